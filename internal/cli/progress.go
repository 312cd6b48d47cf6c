package cli

import (
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress counts the finished steps of a long operation.
type progress interface {
	Increment()
	// Done ends the bar, leaving its last state on the terminal.
	Done()
}

// progress shows a bar on stderr when it is a terminal and there is more than one
// step; on a pipe (CI logs, scripts) it prints nothing.
func (a *app) progress(what string, total int) progress {
	f, ok := a.streams.Err.(*os.File)
	if total < 2 || !ok || !term.IsTerminal(int(f.Fd())) {
		return noProgress{}
	}
	p := mpb.New(mpb.WithOutput(f), mpb.WithWidth(30))
	bar := p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(what+" "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
	)
	return &terminalBar{p: p, bar: bar}
}

type terminalBar struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

func (b *terminalBar) Increment() { b.bar.Increment() }

func (b *terminalBar) Done() {
	b.bar.Abort(false) // a bar left short by an error stops where it is
	b.p.Wait()
}

type noProgress struct{}

func (noProgress) Increment() {}
func (noProgress) Done()      {}

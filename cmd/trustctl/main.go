// Command trustctl signs and verifies container images with Docker Content Trust
// (Notary v1).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/trustctl/trustctl/internal/cli"
	"github.com/trustctl/trustctl/internal/cli/dockertrust"
)

func main() {
	os.Exit(run())
}

func run() int {
	// A short-lived process that parses megabytes of metadata: collecting garbage a
	// quarter as often saves a third of verify's time for tens of megabytes of memory
	// (docs/benchmarks.md). GOGC still overrides it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopOnSignal(cancel)
	// Installed as docker-trust (a link in a cli-plugins folder), trustctl is docker's
	// `docker trust` plugin.
	if name, ok := dockertrust.PluginName(os.Args[0]); ok {
		return dockertrust.Main(ctx, name, os.Args[1:], dockertrust.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
	}
	return cli.Execute(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
}

// stopGrace is how long a command has, after SIGINT or SIGTERM, to notice the
// cancelled context, release the trust-dir lock and remove its temporary files.
const stopGrace = 2 * time.Second

// stopOnSignal cancels the context at the first SIGINT or SIGTERM, and ends the process
// when a second one arrives or the grace period is over: a read that cannot be
// interrupted (opening a FIFO no one reads, a hung file system) must not keep it alive.
// Writes are atomic renames, so ending mid-way leaves at most a temporary file.
func stopOnSignal(cancel context.CancelFunc) {
	// A passphrase prompt turns the terminal's echo off; ending during it must not
	// leave it so.
	restore := func() {}
	if state, err := term.GetState(int(os.Stdin.Fd())); err == nil {
		restore = func() { term.Restore(int(os.Stdin.Fd()), state) }
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		cancel()
		select {
		case <-signals:
		case <-time.After(stopGrace):
		}
		// 128+n, as a shell reports a process ended by signal n.
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		restore()
		fmt.Fprintf(os.Stderr, "trustctl: stopped by %v\n", sig)
		os.Exit(code)
	}()
}

// Command trustctl signs and verifies container images with Docker Content Trust
// (Notary v1).
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Installed as docker-trust (a link in a cli-plugins folder), trustctl is docker's
	// `docker trust` plugin.
	if name, ok := dockertrust.PluginName(os.Args[0]); ok {
		return dockertrust.Main(ctx, name, os.Args[1:], dockertrust.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
	}
	return cli.Execute(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
}

// Command trustctl signs and verifies container images with Docker Content Trust
// (Notary v1).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustctl/trustctl/internal/cli"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Execute(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
}

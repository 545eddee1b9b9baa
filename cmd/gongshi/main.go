package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := interruptible(context.Background())
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// interruptible returns a context that SIGINT or SIGTERM cancels. Every command
// stops its work when its context ends, leaving what it finished in place and
// nothing half done that a re-run does not mend (a batch files the rest and
// reports the rest as already filed; an audit resumes). The first signal says
// so on stderr; a second one ends the process at once, with the signal's own
// default action: a stop at any moment is safe too, only less tidy.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			fmt.Fprintf(os.Stderr, "\ngongshi: %v: stopping (a second signal stops at once)\n", s)
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

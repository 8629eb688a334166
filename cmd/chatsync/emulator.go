package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
)

// defaultEmulatorAddr is where chatsync emulator listens unless told.
const defaultEmulatorAddr = "127.0.0.1:8400"

// saveEvery is how often a running emulator writes its state file when
// requests came in.
const saveEvery = 2 * time.Second

var emulatorUsage = usage{synopsis: "chatsync emulator [-addr HOST:PORT] [-state FILE]", flags: flagsOf(emulatorFlags), description: `
Emulator serves, until SIGINT or SIGTERM, the Chat emulator's REST API and a
stand-in for AWS Secrets Manager (GetSecretValue of one secret, ` + local.EmulatorSecretID + `,
holding the emulator's key in the functions' secret shape) on one port, and
prints the environment a function needs to use them. The compiled functions
then run against it unchanged: under ` + "`sam local invoke`" + ` and
` + "`sam local start-api`" + ` with events/env.local.json, or any process
given that environment.

A container does not reach the host's loopback: for SAM, listen on the
Docker bridge's address (-addr 198.18.0.1:8400 with the repository's Docker
setup, 172.17.0.1:8400 with Docker's default bridge). The functions accept
plain http to such an address only under the SAM CLI (AWS_SAM_LOCAL=true).

Accounts live while it runs; with -state FILE the key, the accounts and the
kicks are read from FILE at start (when it exists) and written back every
few seconds and at exit, so they survive a restart and so do the UserSigs
issued before it. FILE holds the emulator's key: it is written readable by
its owner only.`,
}

type emulatorOptions struct {
	addr  string
	state string
}

func emulatorFlags() (*flag.FlagSet, *emulatorOptions) {
	o := &emulatorOptions{}
	fs := newFlagSet("emulator")
	fs.StringVar(&o.addr, "addr", defaultEmulatorAddr, "`HOST:PORT` to listen on (port 0 picks a free one)")
	fs.StringVar(&o.state, "state", "", "`FILE` that keeps the key and the accounts across runs")
	return fs, o
}

func (c *cli) emulator(ctx context.Context, args []string) error {
	fs, o := emulatorFlags()
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	host, err := addrHost(o.addr, defaultEmulatorAddr)
	if err != nil {
		return err
	}
	emu, err := local.NewEmulator(o.state)
	if err != nil {
		return err
	}
	ln, err := listen(o.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	c.printEmulatorBanner(emu, base, host)

	saveCtx, stopSaving := context.WithCancel(ctx)
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		t := time.NewTicker(saveEvery)
		defer t.Stop()
		for {
			select {
			case <-saveCtx.Done():
				return
			case <-t.C:
				if err := emu.Save(); err != nil {
					fmt.Fprintf(c.stderr, "chatsync emulator: %v\n", err)
				}
			}
		}
	}()
	err = local.Serve(ctx, ln, emu, shutdownGrace)
	stopSaving()
	<-saved
	if serr := emu.Save(); serr != nil && err == nil {
		err = serr
	}
	fmt.Fprintf(c.stderr, "chatsync emulator: stopped with %d accounts\n", emu.Chat.Len())
	return err
}

// printEmulatorBanner prints the environment lines on stdout, one NAME=value
// a line, and the notes on stderr.
func (c *cli) printEmulatorBanner(emu *local.Emulator, base, host string) {
	fmt.Fprintf(c.stderr, "chatsync emulator: Chat REST API and Secrets Manager on %s (SDKAppID %d, admin %s)\n",
		base, emu.Credentials().SDKAppID, emu.Credentials().Admin)
	if p := emu.StatePath(); p != "" {
		fmt.Fprintf(c.stderr, "state: %s (%d accounts)\n", p, emu.Chat.Len())
	} else {
		fmt.Fprintln(c.stderr, "state: none (accounts are forgotten at exit; -state FILE keeps them)")
	}
	if !isLoopbackHost(host) {
		fmt.Fprintf(c.stderr, "note: listening on %s, not loopback: anyone who can reach it can read the emulator's key\n", host)
	}
	fmt.Fprintln(c.stderr, "The environment a function needs (AWS credentials and region: any values):")
	fmt.Fprintln(c.stdout, strings.Join(local.EmulatorEnv(base), "\n"))
	fmt.Fprintln(c.stderr, "Press Ctrl+C to stop.")
}

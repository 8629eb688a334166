package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// defaultAddr is where `sam local start-api` listens too.
const defaultAddr = "127.0.0.1:3000"

// shutdownGrace is how long requests in flight may take after a signal.
const shutdownGrace = 10 * time.Second

// localUsage is the help of chatsync local.
var localUsage = usage{synopsis: "chatsync local [flags]", flags: flagsOf(localFlags), backend: true, description: `
Local serves the functions' HTTP API, as ` + "`sam local start-api`" + ` does: each
request becomes an API Gateway HTTP API payload 2.0 event (stage $default,
an IAM caller ` + local.DefaultCaller.ARN + `) for the
function that owns its route, and the function's reply becomes the response:

  POST   /accounts            ImportFunction (one account, or {"AccountList":[...]})
  DELETE /accounts/{userId}   DeleteFunction
  POST   /accounts/delete     DeleteFunction ({"DeleteItem":[...]})
  POST   /usersig             UserSigFunction ({"UserID":"..."}: a UserSig for a Chat SDK login)
  GET    /usersig             UserSigFunction (IAM mode: answers 400, a UserID is required)

Other methods and paths under /accounts reach the function that owns the
path, which answers 404, or 405 with Allow; so do other methods on /usersig. Request bodies over 2 MiB are
refused by the functions (400). Each request is logged as a JSON line on
stderr, with the functions' own log lines. SIGINT or SIGTERM stops it
gracefully.

With no key configured it runs on the embedded Chat emulator, which starts
empty (see -seed) and forgets everything at exit.`,
}

type localOptions struct {
	backend backendFlags
	addr    string
	seed    string
	quiet   bool
}

func localFlags() (*flag.FlagSet, *localOptions) {
	o := &localOptions{}
	fs := backendFlagSet("local", &o.backend)
	fs.StringVar(&o.addr, "addr", defaultAddr, "`HOST:PORT` to listen on (port 0 picks a free one)")
	fs.StringVar(&o.seed, "seed", "", "`IDS` (comma-separated) to create in the emulator at start")
	fs.BoolVar(&o.quiet, "q", false, "do not log requests and the functions' log lines")
	return fs, o
}

func (c *cli) local(ctx context.Context, args []string) error {
	fs, o := localFlags()
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	host, err := addrHost(o.addr, defaultAddr)
	if err != nil {
		return err
	}
	remote, seed, err := c.remoteAndSeed(fs, &o.backend, o.seed)
	if err != nil {
		return err
	}
	log := c.functionLogger(o.quiet)
	stack, err := c.openStack(ctx, remote, log)
	if err != nil {
		return err
	}
	defer stack.Close()
	if len(seed) > 0 {
		stack.Emulator.Seed(seed...)
	}

	ln, err := listen(o.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if !isLoopbackHost(host) {
		fmt.Fprintf(c.stderr, "warning: listening on %s, not loopback: anyone who can reach it can create and delete accounts\n", ln.Addr())
	}
	c.printBanner(stack, base, seed)
	gw := &local.Gateway{Import: stack.Import, Delete: stack.Delete, UserSig: stack.UserSig, Logger: log}
	err = local.Serve(ctx, ln, gw, shutdownGrace)
	fmt.Fprintln(c.stderr, "chatsync local: stopped")
	printMetrics(c.stderr, stack)
	return err
}

// printBanner says where the API is and how to call it.
func (c *cli) printBanner(stack *local.Stack, base string, seed []string) {
	w := c.stdout
	fmt.Fprintf(w, "chatsync local: the HTTP API on %s\n", base)
	fmt.Fprintf(w, "backend: %s\n", stack.Backend)
	if stack.Real {
		fmt.Fprintf(w, "warning: this is the REAL Chat service: requests create and delete real accounts\n")
	}
	if len(seed) > 0 {
		fmt.Fprintf(w, "seeded: %s\n", strings.Join(seed, ", "))
	}
	fmt.Fprintln(w)
	width := 0
	for _, r := range local.Routes {
		_, path, _ := strings.Cut(r.Key, " ")
		width = max(width, len(base+path))
	}
	for _, r := range local.Routes {
		method, path, _ := strings.Cut(r.Key, " ")
		fmt.Fprintf(w, "  %-6s %-*s   -> %s\n", method, width, base+path, r.Function)
	}
	fmt.Fprintf(w, `
Try:
  curl -sS -X POST %[1]s/accounts -d '{"UserID":"alice","Nick":"Alice"}'
  curl -sS -X POST %[1]s/accounts -d '{"AccountList":[{"UserID":"bob"},{"UserID":"carol"}]}'
  curl -sS -X DELETE %[1]s/accounts/alice
  curl -sS -X POST %[1]s/accounts/delete -d '{"DeleteItem":[{"UserID":"bob"},{"UserID":"carol"}]}'
  curl -sS -i -X GET %[1]s/accounts
  curl -sS -X POST %[1]s/usersig -d '{"UserID":"alice"}'

Press Ctrl+C to stop.
`, base)
}

// parseSeed reads a -seed flag: comma-separated UserIDs to create in the
// emulator before anything else. It is refused with the real service.
func parseSeed(s string, remote *local.Remote) ([]string, error) {
	var seed []string
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if err := chat.ValidateUserID(id); err != nil {
			return nil, usagef("-seed: %q: %v", id, err)
		}
		seed = append(seed, id)
	}
	if remote != nil && len(seed) > 0 {
		return nil, usagef("-seed is for the emulator only")
	}
	return seed, nil
}

// addrHost checks an -addr value (HOST:PORT) and returns its host; def is
// the example the usage error gives.
func addrHost(addr, def string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("-addr %q: want host:port, such as %s", addr, def)
	}
	return host, nil
}

// listen listens on an -addr value, saying what to do when it is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%v (is another server on it? pick another address with -addr)", err)
	}
	return ln, nil
}

// isLoopbackHost reports whether a listening host is loopback only.
func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

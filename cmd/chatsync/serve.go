package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// defaultAddr is where `sam local start-api` listens too.
const defaultAddr = "127.0.0.1:3000"

// shutdownGrace is how long requests in flight may take after a signal.
const shutdownGrace = 10 * time.Second

// localUsage is the help of chatsync local.
var localUsage = usage{synopsis: "chatsync local [flags]", flags: flagsOf(localFlags), backend: true, description: `
Local serves the functions' HTTP API, as ` + "`sam local start-api`" + ` does: each
request becomes an API Gateway HTTP API payload 2.0 event (stage $default,
in iam mode an IAM caller ` + local.DefaultCaller.ARN + `) for
the function that owns its route, and the function's reply becomes the
response:

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

Auth (-auth, else env HTTP_AUTH_MODE, else iam): in iam mode every request
is the IAM caller above. In jwt mode every request needs
Authorization: Bearer TOKEN, a local token from 'chatsync token' (401
{"message":"Unauthorized"} without one, or with one that is invalid or
expired), and the functions get its claims as from API Gateway's JWT
authorizer: a caller acts only on its own account (DELETE /accounts/me,
GET /usersig without a UserID) unless in ADMIN_GROUP (default chat-admins).
The tokens are for local development only.

The guard, so that a web page you visit cannot call it: a request's Host
must be localhost, 127.0.0.1 (any 127.x.y.z) or [::1] with the port it
listens on (else 421); an Origin header must be one of -cors-origins (else
403); a body must be sent with Content-Type: application/json (else 415).
Requests without an Origin (curl) pass. -cors-origins answers the CORS
preflights of those origins as the template's CorsAllowOrigins does.

With no key configured it runs on the embedded Chat emulator, which starts
empty (see -seed) and forgets everything at exit.`,
}

type localOptions struct {
	backend    backendFlags
	addr       string
	seed       string
	quiet      bool
	auth       string
	cors       string
	jwtKeyFile string
}

func localFlags() (*flag.FlagSet, *localOptions) {
	o := &localOptions{}
	fs := backendFlagSet("local", &o.backend)
	fs.StringVar(&o.addr, "addr", defaultAddr, "`HOST:PORT` to listen on (port 0 picks a free one)")
	fs.StringVar(&o.seed, "seed", "", "`IDS` (comma-separated) to create in the emulator at start")
	fs.BoolVar(&o.quiet, "q", false, "do not log requests and the functions' log lines")
	fs.StringVar(&o.auth, "auth", "", "auth `MODE`: iam or jwt (default: env HTTP_AUTH_MODE, else iam)")
	fs.StringVar(&o.cors, "cors-origins", "", "browser `ORIGINS` allowed to call it, comma-separated, such as http://localhost:5173 (default none)")
	fs.StringVar(&o.jwtKeyFile, "jwt-key-file", "", "`FILE` holding the local token key, as chatsync token -key-file (default: chatsync/local-jwt.key in the user's configuration directory)")
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
	mode, err := c.localAuthMode(o.auth)
	if err != nil {
		return err
	}
	cors, err := local.ParseCORSOrigins(o.cors)
	if err != nil {
		return usagef("-cors-origins: %v", err)
	}
	remote, seed, err := c.remoteAndSeed(fs, &o.backend, o.seed)
	if err != nil {
		return err
	}
	gw := &local.Gateway{}
	if mode == handler.AuthJWT {
		key, err := loadTokenKey(o.jwtKeyFile)
		if err != nil {
			return err
		}
		gw.Tokens = &key
	}
	log := c.functionLogger(o.quiet)
	stack, err := c.openStackMode(ctx, remote, log, mode)
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
		fmt.Fprintf(c.stderr, "warning: listening on %s, not loopback: the guard still answers only requests whose Host is localhost, 127.0.0.1 or [::1]\n", ln.Addr())
	}
	if cors.String() == "*" {
		fmt.Fprintln(c.stderr, "warning: -cors-origins '*': every web page you visit may call this API")
	}
	c.printBanner(stack, base, seed, mode, cors, o.jwtKeyFile)
	gw.Import, gw.Delete, gw.UserSig, gw.Logger = stack.Import, stack.Delete, stack.UserSig, log
	guard := &local.Guard{Next: gw, CORS: cors, Logger: log}
	err = local.Serve(ctx, ln, guard, shutdownGrace)
	fmt.Fprintln(c.stderr, "chatsync local: stopped")
	printMetrics(c.stderr, stack)
	return err
}

// localAuthMode returns local's auth mode: the -auth flag's, else
// HTTP_AUTH_MODE's, else iam.
func (c *cli) localAuthMode(flagValue string) (string, error) {
	if flagValue != "" {
		return parseAuthMode("-auth", flagValue)
	}
	mode, err := parseAuthMode(config.EnvAuthMode, c.getenv(config.EnvAuthMode))
	if err != nil || mode != "" {
		return mode, err
	}
	return handler.AuthIAM, nil
}

// parseAuthMode reads an auth mode named by what (a flag or variable):
// iam, jwt, or "" when v is empty.
func parseAuthMode(what, v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "", handler.AuthIAM, handler.AuthJWT:
		return v, nil
	}
	return "", usagef("%s %q: want %s or %s", what, v, handler.AuthIAM, handler.AuthJWT)
}

// printBanner says where the API is and how to call it.
func (c *cli) printBanner(stack *local.Stack, base string, seed []string, mode string, cors local.CORS, keyFile string) {
	w := c.stdout
	fmt.Fprintf(w, "chatsync local: the HTTP API on %s\n", base)
	fmt.Fprintf(w, "backend: %s\n", stack.Backend)
	if stack.Real {
		fmt.Fprintf(w, "warning: this is the REAL Chat service: requests create and delete real accounts\n")
	}
	if len(seed) > 0 {
		fmt.Fprintf(w, "seeded: %s\n", strings.Join(seed, ", "))
	}
	fmt.Fprintf(w, "auth: %s\n", mode)
	if s := cors.String(); s != "" {
		fmt.Fprintf(w, "cors: %s\n", s)
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
	if mode == handler.AuthJWT {
		printJWTTry(w, base, keyFile)
	} else {
		printIAMTry(w, base)
	}
	fmt.Fprint(w, "\nPress Ctrl+C to stop.\n")
}

// jsonHeader is the curl option every example with a body needs: the
// guard takes only JSON bodies.
const jsonHeader = `-H 'Content-Type: application/json'`

func printIAMTry(w io.Writer, base string) {
	fmt.Fprintf(w, `
Try:
  curl -sS -X POST %[1]s/accounts %[2]s -d '{"UserID":"alice","Nick":"Alice"}'
  curl -sS -X POST %[1]s/accounts %[2]s -d '{"AccountList":[{"UserID":"bob"},{"UserID":"carol"}]}'
  curl -sS -X DELETE %[1]s/accounts/alice
  curl -sS -X POST %[1]s/accounts/delete %[2]s -d '{"DeleteItem":[{"UserID":"bob"},{"UserID":"carol"}]}'
  curl -sS -i -X GET %[1]s/accounts
  curl -sS -X POST %[1]s/usersig %[2]s -d '{"UserID":"alice"}'
`, base, jsonHeader)
}

func printJWTTry(w io.Writer, base, keyFile string) {
	token := "chatsync token -sub alice"
	if keyFile != "" {
		token += " -key-file " + keyFile
	}
	fmt.Fprintf(w, `
Every request needs a local token (local development only):
  TOKEN=$(%[3]s)
Try:
  curl -sS -X POST %[1]s/accounts -H "Authorization: Bearer $TOKEN" %[2]s -d '{"Nick":"Alice"}'
  curl -sS %[1]s/usersig -H "Authorization: Bearer $TOKEN"
  curl -sS -X DELETE %[1]s/accounts/me -H "Authorization: Bearer $TOKEN"
`, base, jsonHeader, token)
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

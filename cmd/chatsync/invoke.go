package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
)

// maxPayload is Lambda's limit on a synchronous invocation's payload.
const maxPayload = 6 << 20

// invokeUsage is the help of chatsync invoke.
var invokeUsage = usage{synopsis: "chatsync invoke [flags] import|delete|usersig EVENT.json|-", flags: flagsOf(invokeFlags), backend: true, description: `
Invoke runs one event through the import, the delete or the UserSig
function, as ` + "`sam local invoke`" + ` does, and prints the function's reply as
indented JSON on stdout; the function's log lines go to stderr. "-" reads
the event from stdin. The events/ files work as they are: the Cognito, API
Gateway (2.0 and 1.0), SQS and direct-invocation events go to import, the
delete events to delete, the usersig events to usersig. A function error
prints Lambda's error document and exits 1.

The functions run in HTTP_AUTH_MODE from the environment; when it is unset,
an event that carries JWT claims (a Cognito JWT authorizer's) runs in jwt
mode and any other in iam mode. USER_SIG_TTL is read from the environment
too.

With the emulator, a delete event's accounts are created first (-seed), so
that the reply shows them deleted (ResultCode 0); with -seed=false the
emulator starts empty and the reply shows 70107 for each, which is still a
success. With a real backend nothing is created.`,
}

type invokeOptions struct {
	backend backendFlags
	seed    bool
	timeout time.Duration
	quiet   bool
}

func invokeFlags() (*flag.FlagSet, *invokeOptions) {
	o := &invokeOptions{}
	fs := backendFlagSet("invoke", &o.backend)
	fs.BoolVar(&o.seed, "seed", true, "with the emulator, create the accounts a delete event names before invoking")
	fs.DurationVar(&o.timeout, "timeout", 0, "the function's timeout `D` (default 60s for import, 30s for delete, 10s for usersig, as in template.yaml)")
	fs.BoolVar(&o.quiet, "q", false, "do not print the function's log lines")
	return fs, o
}

func (c *cli) invoke(ctx context.Context, args []string) error {
	fs, o, pos, err := parseFlags(args, invokeFlags)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want a function and an event: invoke import|delete|usersig EVENT.json (or - for stdin)")
	}
	name, file := pos[0], pos[1]
	fnName, ok := functionNames[name]
	if !ok {
		return usagef("unknown function %q: want import, delete or usersig", name)
	}
	if o.timeout < 0 {
		return usagef("-timeout must not be negative")
	}
	remote, err := o.backend.remote(wasSet(fs), c.getenv)
	if err != nil {
		return err
	}
	payload, err := c.readEvent(file)
	if err != nil {
		return err
	}
	mode, err := c.authMode(payload)
	if err != nil {
		return err
	}
	stack, err := c.startStack(ctx, remote, c.functionLogger(o.quiet), mode)
	if err != nil {
		return err
	}
	defer stack.Close()
	if stack.Emulator != nil && name == "delete" && o.seed {
		if ids := c.callerTargets(deleteTargets(payload), payload, mode); len(ids) > 0 {
			stack.Emulator.Seed(ids...)
			fmt.Fprintf(c.stderr, "emulator: created %s, named by the event, so that the delete has something to remove (-seed=false: start empty)\n", strings.Join(ids, ", "))
		}
	}
	if ev, err := lifecycle.Parse(payload); name == "import" && err == nil && ev.Action != lifecycle.Delete {
		fmt.Fprintln(c.stderr, "note: chatsync invoke wires no Cognito client, so the import function refuses lifecycle imports here (the deployed function reads the user from the pool); lifecycle deletes work, with USER_POOL_ID")
	}
	fn, timeout, _ := stack.Function(name)
	if o.timeout > 0 {
		timeout = o.timeout
	}
	start := time.Now()
	reply, requestID, err := local.Invoke(ctx, fn, fnName, timeout, payload)
	fmt.Fprintf(c.stderr, "REPORT %s RequestId: %s Duration: %s\n", fnName, requestID, round(time.Since(start)))
	var fe *local.FunctionError
	if errors.As(err, &fe) {
		b, _ := json.MarshalIndent(fe, "", "  ")
		fmt.Fprintf(c.stdout, "%s\n", b)
		fmt.Fprintf(c.stderr, "chatsync invoke: %s returned an error: %s\n", fnName, fe.Message)
		if other := guessFunction(payload); other != "" && other != name {
			fmt.Fprintf(c.stderr, "hint: this looks like an event for the %s function: chatsync invoke %s %s\n", other, other, file)
		}
		return errReported
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if json.Indent(&out, reply, "", "  ") != nil {
		out.Reset()
		out.Write(reply)
	}
	fmt.Fprintf(c.stdout, "%s\n", out.Bytes())
	return nil
}

// readEvent reads an event from a file, or from stdin for "-". A file that
// cannot be read or is not JSON is a usage error.
func (c *cli) readEvent(file string) ([]byte, error) {
	var (
		r    io.Reader
		name = file
	)
	if file == "-" {
		r, name = c.stdin, "stdin"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, usagef("cannot read the event: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPayload+1))
	if err != nil {
		return nil, usagef("cannot read the event from %s: %v", name, err)
	}
	if len(b) > maxPayload {
		return nil, usagef("the event in %s is over Lambda's %d-byte payload limit", name, maxPayload)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, usagef("the event in %s is empty", name)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, usagef("the event in %s is not valid JSON: %v", name, err)
	}
	return b, nil
}

// deleteTargets returns the UserIDs a delete event names: in a direct
// invocation's DeleteItem, or in an API Gateway event's body or
// /accounts/{userId} path.
func deleteTargets(payload []byte) []string {
	var e struct {
		DeleteItem     []struct{ UserID string }
		PathParameters struct {
			UserID *string `json:"userId"`
		} `json:"pathParameters"`
		RawPath         string `json:"rawPath"`
		Path            string `json:"path"`
		Body            string `json:"body"`
		IsBase64Encoded bool   `json:"isBase64Encoded"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return nil
	}
	items := e.DeleteItem
	if items == nil && e.Body != "" {
		body := []byte(e.Body)
		if e.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(e.Body)
		}
		var b struct{ DeleteItem []struct{ UserID string } }
		if json.Unmarshal(body, &b) == nil {
			items = b.DeleteItem
		}
	}
	var ids []string
	for _, it := range items {
		if it.UserID != "" {
			ids = append(ids, it.UserID)
		}
	}
	if len(ids) > 0 {
		return ids
	}
	if id := e.PathParameters.UserID; id != nil && *id != "" {
		return []string{*id} // as the function takes it: decoded once, by API Gateway
	}
	p := e.RawPath
	if p == "" {
		p = e.Path
	}
	if i := strings.LastIndex(p, "/accounts/"); i >= 0 {
		seg := strings.TrimRight(p[i+len("/accounts/"):], "/")
		if id, err := url.PathUnescape(seg); err == nil && id != "" && id != "delete" && !strings.Contains(id, "/") {
			return []string{id}
		}
	}
	return nil
}

// callerTargets replaces the "me" of a jwt-mode DELETE /accounts/me with
// the caller's UserID, mapped from the event's JWT claims as the delete
// function maps them (USER_ID_ATTRIBUTE), so that the emulator is seeded
// with the account the function will delete.
func (c *cli) callerTargets(ids []string, payload []byte, mode string) []string {
	if mode != handler.AuthJWT || len(ids) != 1 || ids[0] != "me" {
		return ids
	}
	var e struct {
		RequestContext struct {
			Authorizer struct {
				JWT struct {
					Claims map[string]any `json:"claims"`
				} `json:"jwt"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return nil
	}
	claims := e.RequestContext.Authorizer.JWT.Claims
	lookup := func(k string) (string, bool) {
		v, ok := claims[k].(string)
		return v, ok
	}
	userName, _ := lookup("cognito:username")
	if userName == "" {
		userName, _ = lookup("username")
	}
	id, err := config.LoadMapping(c.getenv).WithDefaults().UserID(lookup, userName)
	if err != nil {
		return nil // the function refuses it (403): nothing to seed
	}
	return []string{id}
}

// guessFunction says which function an event looks meant for: "import",
// "delete", "usersig", or "" when it cannot tell.
func guessFunction(payload []byte) string {
	var e struct {
		TriggerSource *string         `json:"triggerSource"`
		Records       json.RawMessage `json:"Records"`
		UserID        json.RawMessage `json:"UserID"`
		AccountList   json.RawMessage `json:"AccountList"`
		DeleteItem    json.RawMessage `json:"DeleteItem"`
		RawPath       string          `json:"rawPath"`
		Path          string          `json:"path"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return ""
	}
	p := e.RawPath + e.Path
	switch {
	case strings.HasSuffix(strings.TrimRight(p, "/"), "/usersig"):
		return "usersig"
	case e.DeleteItem != nil || strings.Contains(p, "/accounts/"):
		return "delete"
	case e.Records != nil && queuedDelete(e.Records):
		return "delete"
	case e.TriggerSource != nil || e.Records != nil || e.UserID != nil || e.AccountList != nil || strings.HasSuffix(p, "/accounts"):
		return "import"
	}
	return ""
}

// queuedDelete reports whether an SQS batch's first message is a
// lifecycle delete, which the delete function's queue carries; any other
// batch is the import function's (the retry queue, lifecycle creates and
// updates).
func queuedDelete(records json.RawMessage) bool {
	var rs []struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(records, &rs) != nil || len(rs) == 0 {
		return false
	}
	ev, err := lifecycle.Parse([]byte(rs[0].Body))
	return err == nil && ev.Action == lifecycle.Delete
}

// functionNames maps invoke's function names to the template's.
var functionNames = map[string]string{"import": "ImportFunction", "delete": "DeleteFunction", "usersig": "UserSigFunction"}

// authMode returns the HTTP_AUTH_MODE to run an event in: the
// environment's, else jwt for an event that carries JWT claims, else iam.
func (c *cli) authMode(payload []byte) (string, error) {
	if v, err := parseAuthMode(config.EnvAuthMode, c.getenv(config.EnvAuthMode)); err != nil || v != "" {
		return v, err
	}
	var e struct {
		RequestContext struct {
			Authorizer struct {
				JWT *struct {
					Claims map[string]any `json:"claims"`
				} `json:"jwt"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(payload, &e) == nil && e.RequestContext.Authorizer.JWT != nil && len(e.RequestContext.Authorizer.JWT.Claims) > 0 {
		fmt.Fprintf(c.stderr, "auth: jwt (the event carries JWT claims; set %s to choose)\n", config.EnvAuthMode)
		return handler.AuthJWT, nil
	}
	return handler.AuthIAM, nil
}

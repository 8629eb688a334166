package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// demoUsage is the help of chatsync demo.
var demoUsage = usage{synopsis: "chatsync demo [-v]", flags: flagsOf(demoFlags), backend: false, description: `
Demo starts the Chat emulator, an in-memory secret store and the HTTP API on
loopback ports, all in this process, and runs the real handlers through the
event paths a deployment uses, in eleven steps:

` + demoSteps + `
It prints each step, its outcome and its time, and exits 1 if any outcome is
not the expected one. It always uses the emulator, whatever the
environment says: it creates and deletes fixed UserIDs.`,
}

// demoSteps lists the demo's steps, as its help and docs/local-tools.md
// show them.
const demoSteps = `  1. a Cognito sign-up (PostConfirmation_ConfirmSignUp) imports the user
  2. that user's UserSig from the UserSig function, and its login (the
     emulator checks it as Chat checks an SDK login)
  3. a UserSig for the admin identifier, refused (403)
  4. an HTTP import
  5. an HTTP batch import
  6. a check (account_check)
  7. an HTTP delete of one account: kicked, then deleted
  8. a direct delete of an account that does not exist (70107 in its
     ResultItem, still OK)
  9. the user deleted in Cognito (DeleteUser, via CloudTrail and
     EventBridge): the delete function kicks and deletes the account, and
     the UserSig issued before is refused at login
  10. a fresh UserSig for that deleted user, refused (403): the ledger
      holds its tombstone
  11. a final check
`

func demoFlags() (*flag.FlagSet, *bool) {
	fs := newFlagSet("demo")
	verbose := fs.Bool("v", false, "also print the handlers' JSON log lines on stderr")
	return fs, verbose
}

// demoProfile is the PROFILE_ATTRIBUTES of the demo's stack: the sign-up
// carries these fields to Chat with portrait_set.
const demoProfile = "gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,custom:tier=Tag_Profile_Custom_Tier"

// The sign-up the demo confirms: events/cognito-signup.json's user.
const (
	demoSub    = "6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b"
	demoUserID = "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b" // the sub without hyphens (USER_ID_ATTRIBUTE=sub)
)

const demoSignUp = `{
  "version": "1",
  "region": "us-east-1",
  "userPoolId": "us-east-1_EXAMPLE",
  "userName": "` + demoSub + `",
  "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789abcdefghij"},
  "triggerSource": "PostConfirmation_ConfirmSignUp",
  "request": {
    "userAttributes": {
      "sub": "` + demoSub + `",
      "cognito:user_status": "CONFIRMED",
      "email_verified": "true",
      "email": "alice@example.com",
      "nickname": "Alice",
      "picture": "https://example.com/avatars/alice.png",
      "gender": "female",
      "birthdate": "1990-05-17",
      "custom:tier": "gold"
    }
  },
  "response": {}
}`

// demo is one run of the demo: the stack, the HTTP API in front of it, and
// the transcript.
type demo struct {
	w      io.Writer
	stack  *local.Stack
	ledger *local.MemoryLedger // the ledger the handlers record in
	api    string              // base URL of the HTTP API
	http   *http.Client

	userSig string // the signed-up user's UserSig, from the UserSig step
}

// demoStep is one step: a title, and a function that performs it and
// checks its outcome, returning the lines to print under the title. A
// non-nil error is a mismatch.
type demoStep struct {
	title string
	run   func(ctx context.Context) ([]string, error)
}

func (c *cli) demo(ctx context.Context, args []string) error {
	fs, verbose := demoFlags()
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	log := c.functionLogger(!*verbose)
	begin := time.Now()
	profile, err := chat.ParseProfileFields(demoProfile)
	if err != nil {
		return err
	}
	ledger := local.NewMemoryLedger()
	stack, err := local.StartEmulator(ctx, local.Options{Logger: log, Mapping: chat.Mapping{Profile: profile}, Ledger: ledger})
	if err != nil {
		return err
	}
	defer stack.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- local.Serve(sctx, ln, &local.Gateway{Import: stack.Import, Delete: stack.Delete, UserSig: stack.UserSig, Logger: log}, time.Second)
	}()
	defer func() {
		stopServing()
		<-served
	}()

	if c.demoSetup != nil {
		c.demoSetup(stack)
	}
	d := &demo{w: c.stdout, stack: stack, ledger: ledger, api: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 30 * time.Second}}
	defer d.http.CloseIdleConnections()
	fmt.Fprintf(d.w, "chatsync demo: the real handlers, through the event paths of a deployment\n")
	fmt.Fprintf(d.w, "backend:  %s\n", stack.Backend)
	fmt.Fprintf(d.w, "HTTP API: %s (API Gateway payload 2.0, IAM caller %s)\n\n", d.api, local.DefaultCaller.ARN)

	steps := d.steps()
	failed := 0
	for i, s := range steps {
		if !d.runStep(ctx, i+1, len(steps), s) {
			failed++
		}
	}
	ok := failed == 0
	fetches := stack.Store.Calls()
	if fetches != 1 {
		ok = false
		fmt.Fprintf(c.stdout, "mismatch: the secret was fetched %d times, want once per process\n", fetches)
	}
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(c.stdout, "\n%s  %d/%d steps ok in %s; %s to the emulator, %s\n", verdict, len(steps)-failed, len(steps), round(time.Since(begin)),
		plural(stack.Emulator.TotalRequests(), "Chat request", "Chat requests"), plural(fetches, "secret fetch", "secret fetches"))
	printMetrics(c.stdout, stack)
	if !ok {
		return errReported
	}
	return nil
}

// runStep runs step n of total and prints its title, outcome, time and
// details. It reports whether the outcome was the expected one.
func (d *demo) runStep(ctx context.Context, n, total int, s demoStep) bool {
	start := time.Now()
	lines, err := s.run(ctx)
	took := time.Since(start)
	status := "ok"
	if err != nil {
		status = "FAIL"
	}
	label := fmt.Sprintf("[%d/%d] %s ", n, total, s.title)
	fmt.Fprintf(d.w, "%s%s %-4s %8s\n", label, strings.Repeat(".", max(3, 76-len(label))), status, round(took))
	for _, l := range lines {
		fmt.Fprintf(d.w, "      %s\n", l)
	}
	if err != nil {
		fmt.Fprintf(d.w, "      mismatch: %v\n", err)
	}
	return err == nil
}

func (d *demo) steps() []demoStep {
	everyone := []string{demoUserID, "alice", "bob", "carol", "dave"}
	return []demoStep{
		{"Cognito sign-up (PostConfirmation_ConfirmSignUp) -> ImportFunction", d.signUp},
		{"That user's UserSig (POST /usersig) -> UserSigFunction, then the SDK login", d.userSigLogin},
		{"A UserSig for the admin identifier: refused (403) -> UserSigFunction", d.userSigAdminRefused},
		{"HTTP import (API Gateway payload 2.0) -> ImportFunction", func(ctx context.Context) ([]string, error) {
			return d.httpCall(ctx, http.MethodPost, "/accounts", `{"UserID":"alice","Nick":"Alice"}`, http.StatusOK, func(env chat.Envelope) error {
				if !d.stack.Emulator.Has("alice") {
					return fmt.Errorf("alice is not in the emulator")
				}
				return nil
			})
		}},
		{"HTTP batch import -> ImportFunction", func(ctx context.Context) ([]string, error) {
			before := d.stack.Emulator.Requests(chat.CmdMultiImport)
			body := `{"AccountList":[{"UserID":"bob","Nick":"Bob"},{"UserID":"carol","Nick":"Carol"},{"UserID":"dave"}]}`
			return d.httpCall(ctx, http.MethodPost, "/accounts", body, http.StatusOK, func(env chat.Envelope) error {
				if len(env.FailAccounts) != 0 {
					return fmt.Errorf("FailAccounts %v, want none", env.FailAccounts)
				}
				if n := d.stack.Emulator.Requests(chat.CmdMultiImport) - before; n != 1 {
					return fmt.Errorf("%d multiaccount_import calls, want 1", n)
				}
				for _, id := range []string{"bob", "carol", "dave"} {
					if !d.stack.Emulator.Has(id) {
						return fmt.Errorf("%s is not in the emulator", id)
					}
				}
				return nil
			})
		}},
		{"Check (account_check through the Chat client)", func(ctx context.Context) ([]string, error) {
			return d.check(ctx, append(everyone, "zoe"), []string{"zoe"})
		}},
		{"HTTP delete -> DeleteFunction: kick, delete", func(ctx context.Context) ([]string, error) {
			lines, err := d.httpCall(ctx, http.MethodDelete, "/accounts/alice", "", http.StatusOK, func(env chat.Envelope) error {
				if len(env.ResultItem) != 1 || env.ResultItem[0].UserID != "alice" || env.ResultItem[0].ResultCode != 0 {
					return fmt.Errorf("ResultItem %+v, want alice with ResultCode 0", env.ResultItem)
				}
				if d.stack.Emulator.Has("alice") {
					return fmt.Errorf("alice is still in the emulator")
				}
				if _, kicked := d.stack.Emulator.KickedAt("alice"); !kicked {
					return fmt.Errorf("alice was not kicked before the delete")
				}
				return nil
			})
			if err != nil {
				return lines, err
			}
			return append(lines, "alice kicked (the UserSigs issued to her stop working), then deleted"), nil
		}},
		{"Direct delete of an absent account -> DeleteFunction", d.deleteAbsent},
		{"Cognito DeleteUser (via EventBridge) -> DeleteFunction: kick, delete", d.userDeleted},
		{"The deleted user's fresh UserSig: refused (403), the ledger holds a tombstone -> UserSigFunction", d.userSigLockedOut},
		{"Final check: the deleted user, alice, ghost gone; the rest there", func(ctx context.Context) ([]string, error) {
			return d.check(ctx, append(everyone, "ghost"), []string{demoUserID, "alice", "ghost"})
		}},
	}
}

// signUp sends the post-confirmation trigger to the import function, as
// Cognito does.
func (d *demo) signUp(ctx context.Context) ([]string, error) {
	event := []byte(demoSignUp)
	reply, requestID, err := local.Invoke(ctx, d.stack.Import, "ImportFunction", local.ImportTimeout, event)
	if err != nil {
		return nil, fmt.Errorf("function error: %v", err)
	}
	lines := []string{fmt.Sprintf("> user pool us-east-1_EXAMPLE, username %s (request %s)", demoSub, requestID)}
	if !bytes.Equal(reply, event) {
		return lines, fmt.Errorf("the reply is not the event's own bytes: %.200s", reply)
	}
	lines = append(lines, fmt.Sprintf("< the event's own %d bytes, as Cognito requires", len(reply)))
	a, ok := d.stack.Emulator.Account(demoUserID)
	if !ok {
		return lines, fmt.Errorf("account %s is not in the emulator", demoUserID)
	}
	lines = append(lines, fmt.Sprintf("account %s (the sub without hyphens) imported, Nick %q, FaceUrl %q", a.UserID, a.Nick, a.FaceURL))
	if a.Nick != "Alice" || a.FaceURL != "https://example.com/avatars/alice.png" {
		return lines, fmt.Errorf("the profile was not copied from the nickname and picture attributes")
	}
	p, _ := d.stack.Emulator.Profile(demoUserID)
	lines = append(lines, fmt.Sprintf("profile set with portrait_set: %s=%v, %s=%v, %s=%v", chat.TagGender, p[chat.TagGender],
		chat.TagBirthDay, p[chat.TagBirthDay], "Tag_Profile_Custom_Tier", p["Tag_Profile_Custom_Tier"]))
	if p[chat.TagGender] != chat.GenderFemale || p[chat.TagBirthDay] != uint32(19900517) || p["Tag_Profile_Custom_Tier"] != "gold" || len(p) != 3 {
		return lines, fmt.Errorf("profile %v: want the gender, birthdate and custom:tier attributes converted", p)
	}
	return lines, nil
}

// httpCall sends a real HTTP request to the local HTTP API and checks the
// status, the JSON envelope, and whatever more check wants.
func (d *demo) httpCall(ctx context.Context, method, path, body string, wantStatus int, check func(chat.Envelope) error) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, method, d.api+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	request := "> " + method + " " + path
	if body != "" {
		request += " " + body
	}
	lines := []string{request, fmt.Sprintf("< %d %s", resp.StatusCode, bytes.TrimSpace(got))}
	if resp.StatusCode != wantStatus {
		return lines, fmt.Errorf("status %d, want %d", resp.StatusCode, wantStatus)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return lines, fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	var env chat.Envelope
	if err := json.Unmarshal(got, &env); err != nil {
		return lines, fmt.Errorf("the body is not a Chat envelope: %v", err)
	}
	if !env.OK() {
		return lines, fmt.Errorf("ActionStatus %s, ErrorCode %d; want OK, 0", env.ActionStatus, env.ErrorCode)
	}
	return lines, check(env)
}

// check runs account_check through the client and compares the statuses:
// every id is Imported except those in absent.
func (d *demo) check(ctx context.Context, ids, absent []string) ([]string, error) {
	res, err := d.stack.Client.CheckAccounts(ctx, ids)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return nil, err
	}
	var parts []string
	var bad []string
	for _, it := range res.Items {
		parts = append(parts, it.UserID+" "+it.AccountStatus)
		want := chat.Imported
		if slices.Contains(absent, it.UserID) {
			want = chat.NotImported
		}
		if it.AccountStatus != want {
			bad = append(bad, fmt.Sprintf("%s is %s, want %s", it.UserID, it.AccountStatus, want))
		}
	}
	lines := wrap(parts, 72)
	if len(res.Items) != len(ids) {
		bad = append(bad, fmt.Sprintf("%d results for %d UserIDs", len(res.Items), len(ids)))
	}
	if len(bad) > 0 {
		return lines, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return lines, nil
}

// deleteAbsent invokes the delete function directly for an account that
// does not exist: Chat answers 70107 for the item, which is a success.
func (d *demo) deleteAbsent(ctx context.Context) ([]string, error) {
	event := `{"DeleteItem":[{"UserID":"ghost"}]}`
	reply, _, err := local.Invoke(ctx, d.stack.Delete, "DeleteFunction", local.DeleteTimeout, []byte(event))
	if err != nil {
		return nil, fmt.Errorf("function error: %v", err)
	}
	lines := []string{"> " + event, "< " + string(reply)}
	var env chat.Envelope
	if err := json.Unmarshal(reply, &env); err != nil {
		return lines, fmt.Errorf("the reply is not a Chat envelope: %v", err)
	}
	if !env.OK() {
		return lines, fmt.Errorf("ActionStatus %s, ErrorCode %d; want OK, 0", env.ActionStatus, env.ErrorCode)
	}
	if len(env.ResultItem) != 1 || env.ResultItem[0].ResultCode != chat.CodeAccountNotFound {
		return lines, fmt.Errorf("ResultItem %+v, want ghost with ResultCode %d", env.ResultItem, chat.CodeAccountNotFound)
	}
	lines = append(lines, fmt.Sprintf("ResultCode %d: the account was already gone, which counts as deleted", chat.CodeAccountNotFound))
	return lines, nil
}

// wrap joins parts with ", " into lines of at most width bytes where it
// can.
func wrap(parts []string, width int) []string {
	var lines []string
	var cur string
	for i, p := range parts {
		if i < len(parts)-1 {
			p += ","
		}
		switch {
		case cur == "":
			cur = p
		case len(cur)+1+len(p) > width:
			lines = append(lines, cur)
			cur = p
		default:
			cur += " " + p
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// round shortens d for the transcript.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// printMetrics prints the totals of the metrics the functions wrote as EMF
// documents during a local run: what CloudWatch would show.
func printMetrics(w io.Writer, stack *local.Stack) {
	sum, bad := stack.Metrics.Summary()
	fmt.Fprintf(w, "\nmetrics: %s in all (%s; see docs/metrics.md)\n", plural(sum.Documents, "EMF document", "EMF documents"), "what CloudWatch would count")
	for _, line := range strings.Split(strings.TrimRight(sum.String(), "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if bad > 0 {
		fmt.Fprintf(w, "  (%d documents could not be read)\n", bad)
	}
}

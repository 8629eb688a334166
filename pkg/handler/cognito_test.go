package handler_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// signUp is a post-confirmation event as Cognito sends it, with a field no
// struct in aws-lambda-go knows, which the reply must keep.
func signUp(trigger string, attrs string) []byte {
	return []byte(`{"version":"1","region":"us-east-1","userPoolId":"us-east-1_EXAMPLE","userName":"jdoe",` +
		`"callerContext":{"awsSdkVersion":"aws-sdk-unknown-unknown","clientId":"abc123"},` +
		`"triggerSource":"` + trigger + `","request":{"userAttributes":{` + attrs + `}},"response":{},"futureField":{"x":[1,2]}}`)
}

const (
	subAttrs = `"sub":"a1b2c3d4-0000-4000-8000-123456789abc","email":"jdoe@example.com","email_verified":"true","nickname":"JD","picture":"https://example.com/jd.png","custom:chat_id":"chat-jdoe"`
	wantSub  = "a1b2c3d400004000800012345678" + "9abc"
)

func TestCognitoSignUp(t *testing.T) {
	tests := []struct {
		name    string
		mapping chat.Mapping
		attrs   string
		wantID  string
		nick    string
	}{
		{"sub loses its hyphens", chat.Mapping{}, subAttrs, wantSub, "JD"},
		{"username", chat.Mapping{UserIDAttribute: "username"}, subAttrs, "jdoe", "JD"},
		{"custom attribute", chat.Mapping{UserIDAttribute: "custom:chat_id", NickAttribute: "email"}, subAttrs, "chat-jdoe", "jdoe@example.com"},
		{"over-long nickname dropped", chat.Mapping{}, strings.Replace(subAttrs, `"JD"`, `"`+strings.Repeat("n", 501)+`"`, 1), wantSub, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mapping: tt.mapping})
			in := signUp("PostConfirmation_ConfirmSignUp", tt.attrs)
			out, err := invoke(t, e.imp, in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, in) {
				t.Errorf("reply is not the input's own bytes:\n%s", out)
			}
			a, ok := e.emu.Account(tt.wantID)
			if !ok {
				t.Fatalf("account %q not imported; have %v", tt.wantID, e.emu.Accounts())
			}
			if a.Nick != tt.nick {
				t.Errorf("Nick = %q, want %q", a.Nick, tt.nick)
			}
			if tt.nick == "" && e.logs.has(t, "profile field dropped") == nil {
				t.Error("a dropped profile field was not logged")
			}
		})
	}
}

func TestCognitoOtherTriggersIgnored(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, trig := range []string{"PostConfirmation_ConfirmForgotPassword", "PostConfirmation_AdminConfirmSignUp"} {
		in := signUp(trig, subAttrs)
		out, err := invoke(t, e.imp, in)
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("%s: reply %s, err %v", trig, out, err)
		}
	}
	if n := e.emu.TotalRequests(); n != 0 {
		t.Errorf("ignored triggers made %d Chat requests", n)
	}
}

func TestCognitoProfileRefusedByChat(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.Inject(chatemu.Fault{Code: chat.CodeProfileRefused, Command: chat.CmdImport})
	if _, err := invoke(t, e.imp, signUp("PostConfirmation_ConfirmSignUp", subAttrs)); err != nil {
		t.Fatal(err)
	}
	a, ok := e.emu.Account(wantSub)
	if !ok || a.Nick != "" || e.emu.Requests(chat.CmdImport) != 2 {
		t.Errorf("account %+v %v after %d requests: want it imported without Nick on the second", a, ok, e.emu.Requests(chat.CmdImport))
	}
}

func TestCognitoUnusableUserIDParked(t *testing.T) {
	tests := []struct {
		name    string
		mapping chat.Mapping
		attrs   string
	}{
		{"no sub", chat.Mapping{}, `"email":"jdoe@example.com"`},
		{"missing custom attribute", chat.Mapping{UserIDAttribute: "custom:chat_id"}, `"sub":"x"`},
		{"custom attribute too long", chat.Mapping{UserIDAttribute: "custom:chat_id"}, `"custom:chat_id":"` + strings.Repeat("x", 40) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mapping: tt.mapping})
			in := signUp("PostConfirmation_ConfirmSignUp", tt.attrs)
			out, err := invoke(t, e.imp, in)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("reply %s, err %v: want the event back", out, err)
			}
			if e.emu.TotalRequests() != 0 {
				t.Error("an unusable UserID cost a Chat call")
			}
			if e.dlq.len() != 1 || e.retry.len() != 0 {
				t.Fatalf("dead-letter %d, retry %d; want 1 and 0", e.dlq.len(), e.retry.len())
			}
			p := e.dlq.msgs[0]
			if p.UserPoolID != "us-east-1_EXAMPLE" || p.UserName != "jdoe" || p.Reason == "" || p.Version != 1 {
				t.Errorf("parked message %+v", p)
			}
			line := e.logs.has(t, "import parked")
			if line == nil || line["level"] != "ERROR" || line["userPoolId"] != "us-east-1_EXAMPLE" || line["userName"] != "jdoe" {
				t.Errorf("parked line %v: want an error naming pool and username", line)
			}
		})
	}
}

func TestCognitoChatDown(t *testing.T) {
	tests := []struct {
		name     string
		fault    chatemu.Fault
		noQueues bool
		queueErr error
		wantErr  bool
		queued   int
		parked   int
		logMsg   string
	}{
		{"transient: queued", chatemu.Fault{Code: 70500, Times: 1000}, false, nil, false, 1, 0, "import queued"},
		{"slow past the budget: queued", chatemu.Fault{Delay: 10 * time.Second, Times: 1000}, false, nil, false, 1, 0, "import queued"},
		{"unreachable: queued", chatemu.Fault{Drop: true, Times: 1000}, false, nil, false, 1, 0, "import queued"},
		{"misconfigured: queued for an operator's fix", chatemu.Fault{Code: 70003, Times: 1000}, false, nil, false, 1, 0, "import queued"},
		{"caller-class code: parked", chatemu.Fault{Code: 70402, Times: 1000}, false, nil, false, 0, 1, "import parked"},
		{"no queue: lost import", chatemu.Fault{Code: 70500, Times: 1000}, true, nil, true, 0, 0, "lost import"},
		{"queue down: lost import", chatemu.Fault{Code: 70500, Times: 1000}, false, errSQSDown, true, 0, 0, "lost import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{noQueues: tt.noQueues, cognitoBudget: 600 * time.Millisecond, queueMargin: 150 * time.Millisecond})
			e.retry.err = tt.queueErr
			e.emu.Inject(tt.fault)
			// The function's own timeout is long; the Cognito budget rules.
			ctx, cancel := invocation(time.Minute)
			defer cancel()
			in := signUp("PostConfirmation_ConfirmSignUp", subAttrs)
			start := time.Now()
			out, err := e.imp.Invoke(ctx, in)
			if elapsed := time.Since(start); elapsed > 600*time.Millisecond {
				t.Errorf("answered after %v, past the 600ms budget", elapsed)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(out, in) {
				t.Error("reply is not the event")
			}
			if err != nil {
				assertNoSecrets(t, err.Error())
				if strings.Contains(err.Error(), "70500") {
					t.Errorf("the error shown to the person signing up carries internals: %v", err)
				}
			}
			if e.retry.len() != tt.queued || e.dlq.len() != tt.parked {
				t.Errorf("queued %d, parked %d; want %d, %d", e.retry.len(), e.dlq.len(), tt.queued, tt.parked)
			}
			if tt.queued == 1 {
				p := e.retry.msgs[0]
				if p.Account.UserID != wantSub || p.Account.Nick != "JD" || p.UserName != "jdoe" || p.Reason == "" || p.FirstFailedAt.IsZero() {
					t.Errorf("queued message %+v", p)
				}
			}
			line := e.logs.has(t, tt.logMsg)
			if line == nil || line["userPoolId"] != "us-east-1_EXAMPLE" || line["userName"] != "jdoe" {
				t.Errorf("no %q line naming pool and username in:\n%s", tt.logMsg, e.logs.String())
			}
		})
	}
}

func TestSQSRetryQueue(t *testing.T) {
	msg := func(id, body string) string {
		return `{"messageId":"` + id + `","receiptHandle":"r","body":` + quote(body) + `,"attributes":{"ApproximateReceiveCount":"1"},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:retry"}`
	}
	good := `{"version":1,"account":{"UserID":"dave","Nick":"Dave"},"userPoolId":"us-east-1_EXAMPLE","userName":"dave","reason":"chat unavailable","firstFailedAt":"2026-11-23T10:00:00Z"}`
	event := `{"Records":[` + strings.Join([]string{
		msg("m-good", good),
		msg("m-version", strings.Replace(good, `"version":1`, `"version":2`, 1)),
		msg("m-junk", `not json`),
		msg("m-bad-id", strings.Replace(good, `"dave"`, `"`+strings.Repeat("x", 40)+`"`, 1)),
	}, ",") + `]}`

	e := newEnv(t, envOpts{})
	raw, err := invoke(t, e.imp, []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	failed := batchFailures(t, raw)
	if len(failed) != 2 || !failed["m-version"] || !failed["m-junk"] {
		t.Errorf("item failures %v, want m-version and m-junk", failed)
	}
	if !e.emu.Has("dave") || e.dlq.len() != 1 {
		t.Errorf("dave imported %v, parked %d", e.emu.Has("dave"), e.dlq.len())
	}

	// Chat still down: the message fails and SQS will deliver it again.
	e2 := newEnv(t, envOpts{})
	e2.emu.Inject(chatemu.Fault{Code: 70500, Times: 1000})
	raw, err = invoke(t, e2.imp, []byte(`{"Records":[`+msg("m1", good)+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	if f := batchFailures(t, raw); !f["m1"] || e2.emu.Has("dave") {
		t.Errorf("failures %v while Chat is down", f)
	}
	e2.emu.ClearFaults()
	raw, _ = invoke(t, e2.imp, []byte(`{"Records":[`+msg("m1", good)+`]}`))
	if f := batchFailures(t, raw); len(f) != 0 || !e2.emu.Has("dave") {
		t.Errorf("failures %v once Chat is back", f)
	}
}

func TestDeadlineWithoutBudget(t *testing.T) {
	// The direct path has no Cognito budget: a call can use the function's
	// whole deadline, minus the margin to answer.
	e := newEnv(t, envOpts{})
	e.emu.Inject(chatemu.Fault{Delay: 700 * time.Millisecond})
	ctx, cancel := invocation(3 * time.Second)
	defer cancel()
	raw, err := e.imp.Invoke(ctx, []byte(`{"UserID":"slow"}`))
	if env := decodeEnvelope(t, raw, err); env.ActionStatus != "OK" {
		t.Errorf("envelope %+v", env)
	}
}

func TestCognitoBudgetCountsTheColdStart(t *testing.T) {
	// Cognito's 5 s (here 2 s) began before the process did: a first
	// invocation 1.5 s after the init began has 0.5 s left, not 2 s.
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	emu.Inject(chatemu.Fault{Delay: 10 * time.Second, Times: 10})
	q := &memQueue{}
	h := handler.NewImportHandler(handler.ImportConfig{
		Chat: emuClient(t, emu), RetryQueue: q, Logger: discardLogger(),
		CognitoBudget: 2 * time.Second, QueueMargin: 150 * time.Millisecond,
		InitStart: time.Now().Add(-1500 * time.Millisecond),
	})
	for i, limit := range []time.Duration{time.Second, 3 * time.Second} {
		ctx, cancel := invocation(time.Minute)
		begin := time.Now()
		_, err := h.Invoke(ctx, signUp("PostConfirmation_ConfirmSignUp", subAttrs))
		took := time.Since(begin)
		cancel()
		if err != nil || q.len() != i+1 {
			t.Fatalf("invocation %d: err %v, queued %d", i, err, q.len())
		}
		if took > limit {
			t.Errorf("invocation %d took %v, want under %v", i, took, limit)
		}
		if i == 1 && took < time.Second {
			t.Errorf("the second invocation took %v: its budget wrongly counted from the init too", took)
		}
	}
}

// TestColdStartCountsOnlyForTheFirstInvocation: a process whose first event
// is not a sign-up must not charge its init to the next sign-up.
func TestColdStartCountsOnlyForTheFirstInvocation(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	q := &memQueue{}
	h := handler.NewImportHandler(handler.ImportConfig{
		Chat: emuClient(t, emu), RetryQueue: q, Logger: discardLogger(),
		CognitoBudget: 3 * time.Second, QueueMargin: 150 * time.Millisecond,
		InitStart: time.Now().Add(-2500 * time.Millisecond), // had the init counted, 0.35 s would be left
	})
	ctx, cancel := invocation(time.Minute)
	defer cancel()
	if _, err := h.Invoke(ctx, []byte(`{"UserID":"first"}`)); err != nil { // the process's first event: direct
		t.Fatal(err)
	}
	emu.Inject(chatemu.Fault{Delay: time.Second}) // Chat answers the sign-up after 1 s
	if _, err := h.Invoke(ctx, signUp("PostConfirmation_ConfirmSignUp", subAttrs)); err != nil {
		t.Fatal(err)
	}
	if q.len() != 0 || !emu.Has(wantSub) {
		t.Errorf("the sign-up was queued (%d) instead of imported (%v): it was charged the init", q.len(), emu.Has(wantSub))
	}
}

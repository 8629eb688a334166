package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

// withLedger makes a ledger table in w's moto and returns the functions'
// environment naming it, and the ledger to read it with.
func withLedger(t *testing.T, w *world) ([]string, *ledger.Ledger) {
	t.Helper()
	api := dynamodb.NewFromConfig(w.moto.Config())
	table := moto.UniqueName(t, "ledger")
	if err := ledger.CreateTable(context.Background(), api, table); err != nil {
		t.Fatal(err)
	}
	return append(append([]string(nil), w.env...), "LEDGER_TABLE="+table), ledger.New(api, table, nil)
}

func ledgerItem(t *testing.T, l *ledger.Ledger, id string) chat.Record {
	t.Helper()
	r, ok, err := l.Get(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("ledger item %s: %v, found %v", id, err, ok)
	}
	return r
}

// userSigDirect asks p for a UserSig for id by direct invocation and
// returns the reply's envelope (a FAIL) or the UserSig.
func userSigDirect(t *testing.T, p *lambdatest.Process, id string) (chat.Envelope, string) {
	t.Helper()
	r := call(t, p, []byte(`{"UserID":"`+id+`"}`), 5*time.Second)
	if r.Failed() {
		t.Fatalf("function error: %s", r.Error)
	}
	var env chat.Envelope
	json.Unmarshal(r.Payload, &env)
	var rep userSigReply
	json.Unmarshal(r.Payload, &rep)
	return env, rep.UserSig
}

// TestLedgerEveryPath follows accounts through the compiled bootstraps with
// a ledger in moto's DynamoDB: a sign-up, a retry-queue message and a
// direct import are recorded with their source; a delete tombstones the
// account and the UserSig function then refuses it (direct FAIL 70107,
// HTTP 403); a re-import clears the tombstone.
func TestLedgerEveryPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	env, l := withLedger(t, w)
	imp := start(t, build(t, "import"), env)
	del := start(t, build(t, "delete"), env)
	sig := start(t, build(t, "usersig"), env)

	signUp := readEvent(t, "cognito-signup.json")
	if r := call(t, imp, signUp, 10*time.Second); r.Failed() || !bytes.Equal(r.Payload, signUp) {
		t.Fatalf("sign-up: %s %s", r.Payload, r.Error)
	}
	got := ledgerItem(t, l, "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b")
	want := chat.Record{UserID: "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b", Sub: "6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b", Username: "6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b", PoolID: "us-east-1_EXAMPLE", Source: chat.SourceSignup, ImportedAt: got.ImportedAt}
	if got != want || time.Since(got.ImportedAt) > time.Minute {
		t.Errorf("sign-up item %+v\nwant %+v", got, want)
	}

	if r := call(t, imp, readEvent(t, "sqs-retry.json"), 10*time.Second); r.Failed() || strings.Contains(string(r.Payload), "itemIdentifier") {
		t.Fatalf("retry message: %s %s", r.Payload, r.Error)
	}
	if got := ledgerItem(t, l, "dave"); got.Source != chat.SourceSignup || got.Username != "dave" || got.PoolID != "us-east-1_EXAMPLE" || !got.Live() {
		t.Errorf("retried sign-up item %+v", got)
	}

	importCarol := readEvent(t, "direct-import.json")
	if r := call(t, imp, importCarol, 10*time.Second); !strings.Contains(string(r.Payload), `"OK"`) {
		t.Fatalf("direct import: %s %s", r.Payload, r.Error)
	}
	if got := ledgerItem(t, l, "carol"); got.Source != chat.SourceAPI || !got.Live() {
		t.Errorf("direct import item %+v", got)
	}
	if env, us := userSigDirect(t, sig, "carol"); us == "" {
		t.Fatalf("no UserSig for a live account: %+v", env)
	}

	if r := call(t, del, readEvent(t, "direct-delete.json"), 10*time.Second); !strings.Contains(string(r.Payload), `"OK"`) {
		t.Fatalf("direct delete: %s %s", r.Payload, r.Error)
	}
	if w.emu.Has("carol") {
		t.Fatal("carol still in Chat")
	}
	if got := ledgerItem(t, l, "carol"); got.Live() || got.Source != chat.SourceAPI {
		t.Errorf("deleted item %+v: want a tombstone that keeps the fields", got)
	}
	if env, us := userSigDirect(t, sig, "carol"); us != "" || env.ActionStatus != "FAIL" || env.ErrorCode != 70107 || env.ErrorInfo != "account deleted" {
		t.Errorf("direct UserSig for a deleted account: %+v (sig %t); want FAIL 70107 account deleted", env, us != "")
	}
	post := bytes.Replace(readEvent(t, "http-usersig-post.json"), []byte(`\"alice\"`), []byte(`\"carol\"`), 1)
	if status, _ := httpStatus(t, call(t, sig, post, 5*time.Second).Payload); status != 403 {
		t.Errorf("POST /usersig for a deleted account: %d, want 403", status)
	}

	if r := call(t, imp, importCarol, 10*time.Second); !strings.Contains(string(r.Payload), `"OK"`) {
		t.Fatalf("re-import: %s %s", r.Payload, r.Error)
	}
	if got := ledgerItem(t, l, "carol"); !got.Live() {
		t.Errorf("re-import left the tombstone: %+v", got)
	}
	if env, us := userSigDirect(t, sig, "carol"); us == "" {
		t.Errorf("no UserSig after the re-import: %+v", env)
	}
}

// TestLedgerUnreachable: with a ledger that cannot be written or read (its
// table does not exist), a sign-up is queued like any transient failure,
// never lost; a direct import fails with 70500; and the UserSig function
// issues nothing: direct FAIL 70500, HTTP 503 (fail closed).
func TestLedgerUnreachable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	env := append(append([]string(nil), w.env...), "LEDGER_TABLE=no-such-ledger")
	imp := start(t, build(t, "import"), env)
	sig := start(t, build(t, "usersig"), env)

	signUp := readEvent(t, "cognito-signup.json")
	if r := call(t, imp, signUp, 10*time.Second); r.Failed() || !bytes.Equal(r.Payload, signUp) {
		t.Fatalf("sign-up: %s %s", r.Payload, r.Error)
	}
	got, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.retryURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("retry queue: %v, %d messages; want the sign-up", err, len(got.Messages))
	}
	p, err := chat.DecodePendingImport([]byte(*got.Messages[0].Body))
	if err != nil || p.Account.UserID != "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b" || p.Sub != "6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b" || !strings.Contains(p.Reason, "ledger") {
		t.Errorf("queued %+v, %v", p, err)
	}

	r := call(t, imp, readEvent(t, "direct-import.json"), 10*time.Second)
	var envl chat.Envelope
	if json.Unmarshal(r.Payload, &envl); envl.ActionStatus != "FAIL" || envl.ErrorCode != 70500 {
		t.Errorf("direct import with no ledger: %s", r.Payload)
	}

	if e, us := userSigDirect(t, sig, "alice"); us != "" || e.ActionStatus != "FAIL" || e.ErrorCode != 70500 {
		t.Errorf("direct UserSig with an unreadable ledger: %+v (sig %t)", e, us != "")
	}
	raw := call(t, sig, readEvent(t, "http-usersig-post.json"), 5*time.Second).Payload
	if status, _ := httpStatus(t, raw); status != 503 {
		t.Errorf("POST /usersig with an unreadable ledger: %d, want 503", status)
	}
	for _, p := range []*lambdatest.Process{imp, sig} {
		assertNoSecrets(t, p.Stdout.String())
		assertNoSecrets(t, string(raw))
		if strings.Contains(string(raw), "arn:") || strings.Contains(string(raw), "no-such-ledger") {
			t.Errorf("the reply names AWS resources: %s", raw)
		}
	}
}

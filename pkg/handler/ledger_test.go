package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// gateLedger is a ledger whose writes wait until gate is closed (by the
// Chat side), so that a handler which wrote the ledger before calling Chat,
// instead of side by side, would hang; fail makes every call fail.
type gateLedger struct {
	gate chan struct{}
	fail error

	mu         sync.Mutex
	recs       []chat.Record
	tombstones []string
}

func (l *gateLedger) wait(ctx context.Context) error {
	if l.gate == nil {
		return l.fail
	}
	select {
	case <-l.gate:
		return l.fail
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return errors.New("the Chat call never came while the ledger was written")
	}
}

func (l *gateLedger) Record(ctx context.Context, recs []chat.Record) error {
	err := l.wait(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.recs = append(l.recs, recs...)
	}
	return err
}

func (l *gateLedger) Tombstone(ctx context.Context, ids []string) error {
	err := l.wait(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.tombstones = append(l.tombstones, ids...)
	}
	return err
}

// gateChat is an importer and deleter that opens its ledger's gate when
// Chat is called.
type gateChat struct {
	gate chan struct{}
	once sync.Once
	fail error
}

func (c *gateChat) open() { c.once.Do(func() { close(c.gate) }) }

func (c *gateChat) ImportAccount(ctx context.Context, a chat.Account) (chat.Stats, error) {
	c.open()
	return chat.Stats{Calls: 1, Attempts: 1}, c.fail
}

func (c *gateChat) ImportAccounts(ctx context.Context, as []chat.Account) (chat.ImportResult, error) {
	c.open()
	return chat.ImportResult{Requested: len(as)}, c.fail
}

func (c *gateChat) DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error) {
	c.open()
	res := chat.DeleteResult{}
	for _, id := range ids {
		res.Items = append(res.Items, chat.ResultItem{UserID: id})
	}
	return res, c.fail
}

func (c *gateChat) Kick(ctx context.Context, id string) (chat.Stats, error) { return chat.Stats{}, nil }

// TestLedgerOverlapsChat: on the sign-up, direct import and delete paths
// the ledger write runs while Chat is called (a write made first would
// wait for a Chat call that never comes), and the records carry the
// sign-up's sub, username, pool and source.
func TestLedgerOverlapsChat(t *testing.T) {
	gate := make(chan struct{})
	l := &gateLedger{gate: gate}
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: &gateChat{gate: gate}, Ledger: l, Logger: discardLogger(), RetryQueue: &memQueue{}})
	ev := `{"triggerSource":"PostConfirmation_ConfirmSignUp","userPoolId":"us-east-1_P","userName":"alice","request":{"userAttributes":{"sub":"0a1b2c3d-0000-1111-2222-333344445555"}}}`
	if raw, err := imp.Invoke(context.Background(), []byte(ev)); err != nil || string(raw) != ev {
		t.Fatalf("sign-up: %s, %v", raw, err)
	}
	want := chat.Record{UserID: "0a1b2c3d000011112222333344445555", Sub: "0a1b2c3d-0000-1111-2222-333344445555", Username: "alice", PoolID: "us-east-1_P", Source: chat.SourceSignup}
	if len(l.recs) != 1 || l.recs[0] != want {
		t.Fatalf("recorded %+v; want %+v", l.recs, want)
	}

	gate2 := make(chan struct{})
	l2 := &gateLedger{gate: gate2}
	imp = handler.NewImportHandler(handler.ImportConfig{Chat: &gateChat{gate: gate2}, Ledger: l2, Logger: discardLogger()})
	if env := invokeEnv(t, imp, []byte(`{"AccountList":[{"UserID":"a"},{"UserID":"b"}]}`)); env.ActionStatus != "OK" {
		t.Fatalf("batch import: %+v", env)
	}
	if len(l2.recs) != 2 || l2.recs[1] != (chat.Record{UserID: "b", Source: chat.SourceAPI}) {
		t.Errorf("batch recorded %+v", l2.recs)
	}

	gate3 := make(chan struct{})
	l3 := &gateLedger{gate: gate3}
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: &gateChat{gate: gate3}, Ledger: l3, Logger: discardLogger()})
	if env := invokeEnv(t, del, []byte(`{"DeleteItem":[{"UserID":"a"},{"UserID":"b"}]}`)); env.ActionStatus != "OK" {
		t.Fatalf("delete: %+v", env)
	}
	if len(l3.tombstones) != 2 {
		t.Errorf("tombstoned %v", l3.tombstones)
	}
}

// TestLedgerFailureIsTransient: a ledger that cannot be written fails the
// import as a transient error: a sign-up goes to the retry queue, an HTTP
// import or delete is answered 503, even though Chat took the account.
func TestLedgerFailureIsTransient(t *testing.T) {
	down := &gateLedger{fail: errors.New("dynamodb: connection refused")}
	retry := &memQueue{}
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: &gateChat{gate: make(chan struct{})}, Ledger: down, Logger: discardLogger(), RetryQueue: retry})
	ev := `{"triggerSource":"PostConfirmation_ConfirmSignUp","userPoolId":"us-east-1_P","userName":"alice","request":{"userAttributes":{"sub":"0a1b2c3d-0000-1111-2222-333344445555"}}}`
	if raw, err := imp.Invoke(context.Background(), []byte(ev)); err != nil || string(raw) != ev {
		t.Fatalf("sign-up: %s, %v", raw, err)
	}
	if retry.len() != 1 {
		t.Fatalf("retry queue holds %d; want the sign-up", retry.len())
	}
	if rep := invokeHTTP(t, imp, mustJSON(t, httpV2("POST", "/accounts", `{"UserID":"a"}`))); rep.Status != 503 {
		t.Errorf("POST /accounts with the ledger down: %d, want 503", rep.Status)
	}
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: &gateChat{gate: make(chan struct{})}, Ledger: down, Logger: discardLogger()})
	rep := invokeHTTP(t, del, mustJSON(t, httpV2("DELETE", "/accounts/a", "")))
	if rep.Status != 503 {
		t.Errorf("DELETE with the ledger down: %d, want 503", rep.Status)
	}
	if strings.Contains(rep.Err.Message, "connection refused") || rep.Err.Message == "" {
		t.Errorf("the reply's message %q: want one without the ledger's internal error", rep.Err.Message)
	}
}

// gateCredentials is a CredentialsSource that answers only once gate is
// closed: the emulator's credentials, or fail.
type gateCredentials struct {
	creds chat.Credentials
	gate  chan struct{}
}

func (g gateCredentials) Credentials(ctx context.Context) (chat.Credentials, error) {
	select {
	case <-g.gate:
		return g.creds, nil
	case <-ctx.Done():
		return chat.Credentials{}, ctx.Err()
	case <-time.After(5 * time.Second):
		return chat.Credentials{}, errors.New("the ledger read never came while the secret was read")
	}
}

func (g gateCredentials) Refresh(ctx context.Context) (chat.Credentials, error) {
	return g.Credentials(ctx)
}

// gateTombstones is the ledger's read side: it closes started when asked,
// then answers deleted.
type gateTombstones struct {
	started chan struct{}
	deleted bool
}

func (g gateTombstones) Deleted(context.Context, string) (bool, error) {
	close(g.started)
	return g.deleted, nil
}

// TestUserSigReadsLedgerAlongsideSecret: the UserSig function's ledger read
// starts before the secret is in hand (a cold start's fetch), so that the
// lockout adds no round trip of its own there: the secret here is given
// only once the read has begun, and a function that read them in turn
// would wait for it in vain.
func TestUserSigReadsLedgerAlongsideSecret(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		emu := chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey})
		started := make(chan struct{})
		h := handler.NewUserSigHandler(handler.UserSigConfig{
			Credentials: gateCredentials{creds: emu.Credentials(), gate: started},
			Tombstones:  gateTombstones{started: started, deleted: deleted},
			Logger:      discardLogger(),
		})
		raw, err := h.Invoke(context.Background(), []byte(`{"UserID":"alice"}`))
		if err != nil {
			t.Fatalf("deleted=%v: %v", deleted, err)
		}
		var env chat.Envelope
		_ = json.Unmarshal(raw, &env)
		switch {
		case deleted && (env.ActionStatus != chat.StatusFail || env.ErrorCode != chat.CodeAccountNotFound):
			t.Errorf("a deleted account: %s; want FAIL 70107", raw)
		case !deleted && !strings.Contains(string(raw), `"UserSig":"`):
			t.Errorf("a live account: %s; want a UserSig", raw)
		}
	}
}

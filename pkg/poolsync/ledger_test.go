package poolsync_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// newLedger makes a ledger table in the shared moto server, with the clock
// now (nil: time.Now).
func newLedger(t *testing.T, now func() time.Time) *ledger.Ledger {
	t.Helper()
	api := dynamodb.NewFromConfig(moto.Shared(t).Config())
	table := moto.UniqueName(t, "ledger")
	if err := ledger.CreateTable(context.Background(), api, table); err != nil {
		t.Fatal(err)
	}
	return ledger.New(api, table, now)
}

// TestSyncRecordsLedger: a sync with the ledger (moto's DynamoDB) records
// every mapped, confirmed user it finds in Chat or imports, with Source
// sync and the user's sub, username and pool; no unmappable or
// unconfirmed one.
func TestSyncRecordsLedger(t *testing.T) {
	fx := pool(t)
	_, client := fx.newChat(t)
	l := newLedger(t, nil)
	eng, err := poolsync.New(poolsync.Config{Pool: fx.pool.ID, Users: fx.lister(30), Chat: client, Mapping: chatIDMapping, Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	c, err := eng.Run(context.Background())
	if err != nil || c.Failed != 0 {
		t.Fatalf("sync: %+v, %v", c, err)
	}
	byID := map[string]cognito.User{}
	for _, u := range fx.users {
		byID[u.Attributes["custom:chat_id"]] = u
	}
	n := 0
	if err := l.Live(context.Background(), func(r chat.Record) error {
		n++
		u, ok := byID[r.UserID]
		if !ok || r.Source != chat.SourceSync || r.Sub != u.Attributes["sub"] || r.Username != u.Username || r.PoolID != fx.pool.ID || u.Status == cognito.StatusUnconfirmed {
			t.Errorf("item %+v for user %+v", r, u)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := len(fx.want) + fx.inChat; n != want {
		t.Errorf("%d items, want %d (imported and already in Chat)", n, want)
	}
}

// failingLedger fails every write after the first ok ones.
type failingLedger struct {
	ok    int32
	calls atomic.Int32
}

func (f *failingLedger) Record(context.Context, []chat.Record) error {
	if f.calls.Add(1) > f.ok {
		return errors.New("dynamodb: throttled")
	}
	return nil
}

func (f *failingLedger) Ensure(ctx context.Context, recs []chat.Record) error {
	return f.Record(ctx, recs)
}

// TestStreamLedgerFailure: a round whose ledger write fails is not done:
// the stream stops with the ledger's error and the token that round began
// from, so that running it again writes it.
func TestStreamLedgerFailure(t *testing.T) {
	fx := pool(t)
	_, client := fx.newChat(t)
	eng, err := poolsync.New(poolsync.Config{Pool: fx.pool.ID, Users: fx.lister(30), Chat: client, Mapping: chatIDMapping, Ledger: &failingLedger{ok: 0}, PagesPerRound: 1})
	if err != nil {
		t.Fatal(err)
	}
	next, _, err := eng.Stream(context.Background(), "a", "", nil)
	if err == nil || !strings.Contains(err.Error(), "ledger") {
		t.Fatalf("Stream: %v, want the ledger's error", err)
	}
	if next != "" {
		t.Errorf("Stream returned token %q: want the failed first round's, \"\"", next)
	}
	// A later round's failure hands back that round's start, not the next.
	eng, _ = poolsync.New(poolsync.Config{Pool: fx.pool.ID, Users: fx.lister(30), Chat: client, Mapping: chatIDMapping, Ledger: &failingLedger{ok: 1}, PagesPerRound: 1})
	next, c, err := eng.Stream(context.Background(), "a", "", nil)
	if err == nil || next == "" || c.Pages < 2 {
		t.Errorf("second round's failure: token %q, %d pages, %v; want the second page's token", next, c.Pages, err)
	}
}

// TestSyncAgainKeepsLedger: a second sync over a pool the ledger holds
// rewrites none of its items (each keeps the ImportedAt, and Source, it
// was written with), and writes only what is missing: a pool user whose
// item was tombstoned while the account is still in Chat is live again.
func TestSyncAgainKeepsLedger(t *testing.T) {
	fx := pool(t)
	_, client := fx.newChat(t)
	first := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	now := first
	l := newLedger(t, func() time.Time { return now })
	run := func() {
		t.Helper()
		eng, err := poolsync.New(poolsync.Config{Pool: fx.pool.ID, Users: fx.lister(30), Chat: client, Mapping: chatIDMapping, Ledger: l})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := eng.Run(context.Background()); err != nil || c.Failed != 0 {
			t.Fatalf("sync: %+v, %v", c, err)
		}
	}
	run()
	items := func() map[string]chat.Record {
		t.Helper()
		m := map[string]chat.Record{}
		if err := l.Live(context.Background(), func(r chat.Record) error { m[r.UserID] = r; return nil }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := items()
	if len(before) < 2 {
		t.Fatalf("%d items after the first sync", len(before))
	}
	var signUp, gone string
	for id := range before {
		switch {
		case signUp == "":
			signUp = id
		case gone == "":
			gone = id
		}
	}
	// One item was written by a sign-up, one tombstoned (its account still
	// in Chat, its user still in the pool).
	su := before[signUp]
	su.Source, su.ImportedAt = chat.SourceSignup, first.Add(-24*time.Hour)
	if err := l.Record(context.Background(), []chat.Record{su}); err != nil {
		t.Fatal(err)
	}
	if err := l.Tombstone(context.Background(), []string{gone}); err != nil {
		t.Fatal(err)
	}

	now = first.Add(24 * time.Hour)
	run()
	after := items()
	if len(after) != len(before) {
		t.Errorf("%d live items after the second sync, want %d", len(after), len(before))
	}
	for id, r := range after {
		switch id {
		case signUp:
			if r.Source != chat.SourceSignup || !r.ImportedAt.Equal(su.ImportedAt) {
				t.Errorf("the sign-up's item was rewritten: %+v", r)
			}
		case gone:
			if !r.ImportedAt.Equal(now) || r.Source != chat.SourceSync {
				t.Errorf("the tombstoned pool user's item: %+v; want it recorded again now", r)
			}
		default:
			if !r.ImportedAt.Equal(first) {
				t.Errorf("item %s rewritten: ImportedAt %v, want %v", id, r.ImportedAt, first)
			}
		}
	}
}

package poolsync_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// TestSyncRecordsLedger: a sync with the ledger (moto's DynamoDB) records
// every mapped, confirmed user it finds in Chat or imports, with Source
// sync and the user's sub, username and pool; no unmappable or
// unconfirmed one.
func TestSyncRecordsLedger(t *testing.T) {
	fx := pool(t)
	_, client := fx.newChat(t)
	api := dynamodb.NewFromConfig(moto.Shared(t).Config())
	table := moto.UniqueName(t, "ledger")
	if err := ledger.CreateTable(context.Background(), api, table); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(api, table, nil)
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

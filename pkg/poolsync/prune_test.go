package poolsync_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// pruneChat starts an emulator holding ids and returns it with a client.
func pruneChat(t *testing.T, ids ...string) (*chatemu.Running, *chatapi.Client) {
	t.Helper()
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "test-key"})
	emu.Seed(ids...)
	emu.ResetCounters()
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	return emu, client
}

// TestPruneReturned: of the tombstones of the last ReturnWindow that prune
// considers, Chat is asked first (one account_check call), and only those
// whose accounts it holds are looked up in the pool; the ones whose subs
// are not in the pool are kicked and deleted, and keep their tombstones.
// A tombstone older than the window, or from the api, is never checked.
func TestPruneReturned(t *testing.T) {
	const pool = "us-east-1_EXAMPLE"
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tomb := func(id string, src chat.Source, deleted time.Time) chat.Record {
		return chat.Record{UserID: id, Sub: "sub-" + id, PoolID: pool, Source: src, ImportedAt: now.AddDate(-1, 0, 0), DeletedAt: deleted}
	}
	led := &memRunLedger{dead: []chat.Record{
		tomb("back", chat.SourceSignup, now.Add(-time.Hour)),                            // in Chat, user gone: returned
		tomb("edge", chat.SourceSync, now.Add(-poolsync.ReturnWindow)),                  // at the window's edge: returned
		tomb("member", chat.SourceSync, now.Add(-time.Hour)),                            // in Chat, user in the pool: left
		tomb("gone", chat.SourceSignup, now.Add(-time.Hour)),                            // not in Chat: no pool lookup
		tomb("expired", chat.SourceSignup, now.Add(-poolsync.ReturnWindow-time.Second)), // beyond the window
		tomb("from-api", chat.SourceAPI, now.Add(-time.Hour)),                           // never pruned
	}}
	emu, client := pruneChat(t, "back", "edge", "member", "expired", "from-api")
	var (
		mu    sync.Mutex
		asked = map[string]bool{}
		outs  = map[string]poolsync.PruneOutcome{}
	)
	c, err := poolsync.Prune(context.Background(), poolsync.PruneConfig{
		Pool: pool, Ledger: led, Chat: client, Now: func() time.Time { return now },
		InPool: func(_ context.Context, r chat.Record) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			asked[r.UserID] = true
			return r.UserID == "member", nil
		},
		OnOrphan: func(o poolsync.PruneOutcome) { mu.Lock(); outs[o.Record.UserID] = o; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := poolsync.PruneCounts{Tombstones: 5, Checked: 4, Returned: 2, Orphans: 2, Pruned: 2, MaxPrune: poolsync.MinMaxPrune, ChatCalls: 1 + 2 + 1}
	if c != want {
		t.Errorf("counts %+v\nwant   %+v", c, want)
	}
	if got := slices.Sorted(maps.Keys(asked)); !slices.Equal(got, []string{"back", "edge", "member"}) {
		t.Errorf("looked up in the pool: %v; want only the accounts Chat holds", got)
	}
	if emu.Requests(chat.CmdCheck) != 1 {
		t.Errorf("%d account_check calls, want 1", emu.Requests(chat.CmdCheck))
	}
	for id, inChat := range map[string]bool{"back": false, "edge": false, "member": true, "expired": true, "from-api": true} {
		if emu.Has(id) != inChat {
			t.Errorf("%s in Chat: %v, want %v", id, emu.Has(id), inChat)
		}
	}
	for _, id := range []string{"back", "edge"} {
		if o := outs[id]; o.Action != poolsync.Pruned || o.Record.Live() {
			t.Errorf("%s: outcome %+v", id, o)
		}
		if _, kicked := emu.KickedAt(id); !kicked {
			t.Errorf("%s not kicked", id)
		}
	}
	if len(led.tombstoned) != 0 {
		t.Errorf("tombstones written again: %v; want the returned ones kept", led.tombstoned)
	}
}

// TestPruneTombstoneScanFails: when the ledger's tombstones cannot be read,
// nothing is pruned, not even a live orphan.
func TestPruneTombstoneScanFails(t *testing.T) {
	led := &memRunLedger{
		live:    []chat.Record{{UserID: "orphan", Sub: "sub-orphan", Source: chat.SourceSignup}},
		deadErr: errors.New("dynamodb: throttled"),
	}
	emu, client := pruneChat(t, "orphan")
	_, err := poolsync.Prune(context.Background(), poolsync.PruneConfig{
		Pool: "p", Ledger: led, Chat: client,
		InPool: func(context.Context, chat.Record) (bool, error) { return false, nil },
	})
	if err == nil || !emu.Has("orphan") || emu.Requests(chat.CmdKick)+emu.Requests(chat.CmdDelete) != 0 {
		t.Errorf("Prune = %v; orphan in Chat %v: want an error and nothing pruned", err, emu.Has("orphan"))
	}
}

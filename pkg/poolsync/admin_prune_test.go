package poolsync_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// memRunLedger is a poolsync.RunLedger in memory: its live items and
// tombstones are fixed, and it remembers what was tombstoned.
type memRunLedger struct {
	mu         sync.Mutex
	live       []chat.Record
	dead       []chat.Record
	deadErr    error // DeletedSince's error, when set
	tombstoned []string
}

func (l *memRunLedger) Record(context.Context, []chat.Record) error { return nil }
func (l *memRunLedger) Ensure(context.Context, []chat.Record) error { return nil }

func (l *memRunLedger) Live(_ context.Context, fn func(chat.Record) error) error {
	for _, r := range l.live {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (l *memRunLedger) DeletedSince(_ context.Context, since time.Time, fn func(chat.Record) error) error {
	if l.deadErr != nil {
		return l.deadErr
	}
	for _, r := range l.dead {
		if r.DeletedAt.Before(since) {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (l *memRunLedger) Tombstone(_ context.Context, ids []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tombstoned = append(l.tombstoned, ids...)
	return nil
}

func (l *memRunLedger) StartRun(context.Context, string, time.Time) error { return nil }

func (l *memRunLedger) StreamDone(context.Context, string, time.Time, string) (int, error) {
	return 0, nil
}

// noSuchSub answers that no user of the pool has the sub.
type noSuchSub struct{}

func (noSuchSub) FindBySub(context.Context, string, string) (cognito.User, error) {
	return cognito.User{}, cognito.ErrNotFound
}

// TestScheduledPruneSparesAdmin: the scheduled sync, given only the
// credentials the Chat client signs with (as functions/sync wires it),
// takes the admin identifier from them and never prunes it, while it
// prunes the other orphan of the same run.
func TestScheduledPruneSparesAdmin(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "test-key"})
	creds := chatapi.StaticCredentials(emu.Credentials())
	admin := emu.Credentials().Admin
	emu.Seed(admin, "gone")
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	const pool = "us-east-1_EXAMPLE"
	run := time.Now().UTC()
	before := run.Add(-time.Hour)
	led := &memRunLedger{live: []chat.Record{
		{UserID: admin, Sub: "0b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b", PoolID: pool, Source: chat.SourceSync, ImportedAt: before},
		{UserID: "gone", Sub: "1b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b", PoolID: pool, Source: chat.SourceSync, ImportedAt: before},
	}}
	h, err := poolsync.NewHandler(poolsync.HandlerConfig{
		Pool: pool, QueueURL: "q", Queue: &recordingQueue{}, Users: failingLister{}, Chat: client,
		Credentials: creds, Ledger: led, Prune: true, Finder: noSuchSub{},
	})
	if err != nil {
		t.Fatalf("NewHandler with Credentials and no Admin: %v", err)
	}
	body, _ := json.Marshal(poolsync.Message{Version: poolsync.MessageVersion, Prune: true, Run: run})
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body), EventSource: "aws:sqs"}}})
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("prune reply %s, %v: want the message done with", out, err)
	}
	if slices.Contains(led.tombstoned, admin) {
		t.Errorf("the admin identifier was tombstoned: %v", led.tombstoned)
	}
	if _, ok := emu.Account(admin); !ok {
		t.Error("the admin account was deleted from Chat")
	}
	if !slices.Contains(led.tombstoned, "gone") {
		t.Errorf("the orphan was not pruned: tombstoned %v", led.tombstoned)
	}
	if _, ok := emu.Account("gone"); ok {
		t.Error("the orphan is still in Chat")
	}
}

package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// pruneWorld is a pool on moto whose ledger holds orphans (accounts in
// Chat, recorded as sign-ups of the pool, whose subs are in no pool), and
// the sync function's bootstrap with SYNC_PRUNE.
type pruneWorld struct {
	*world
	pool    *cognitotest.Pool
	users   []cognito.User
	ledger  *ledger.Ledger
	orphans []string
	url     string
	sync    *lambdatest.Process
}

func newPruneWorld(t *testing.T) *pruneWorld {
	t.Helper()
	w := &pruneWorld{world: newWorld(t)}
	ctx := context.Background()
	env, l := withLedger(t, w.world)
	w.ledger = l
	w.pool = cognitotest.NewPool(t, cip.NewFromConfig(w.moto.Config()), moto.UniqueName(t, "pool"))
	var specs []cognitotest.NewUser
	for i := range 20 {
		specs = append(specs, cognitotest.NewUser{Username: fmt.Sprintf("p%02d", i), Status: cognito.StatusConfirmed})
	}
	w.users = w.pool.Add(t, specs)
	var recs []chat.Record
	for i := range 3 {
		sub := fmt.Sprintf("e%07x-dead-4000-8000-000000000000", i)
		recs = append(recs, chat.Record{UserID: chat.SubUserID(sub), Sub: sub, PoolID: w.pool.ID, Source: chat.SourceSignup, ImportedAt: time.Now().Add(-time.Hour)})
		w.orphans = append(w.orphans, chat.SubUserID(sub))
	}
	// A pool user recorded before the run, unmappable now: found by its
	// sub, so kept.
	recs = append(recs, chat.Record{UserID: "old-name", Sub: w.users[0].Attributes["sub"], PoolID: w.pool.ID, Source: chat.SourceLifecycle, ImportedAt: time.Now().Add(-time.Hour)})
	if err := l.Record(ctx, recs); err != nil {
		t.Fatal(err)
	}
	w.emu.Seed(append([]string{"old-name"}, w.orphans...)...)
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "sync"))})
	if err != nil {
		t.Fatal(err)
	}
	w.url = aws.ToString(q.QueueUrl)
	w.sync = start(t, build(t, "sync"), append(env, "USER_POOL_ID="+w.pool.ID, "SYNC_QUEUE_URL="+w.url, "SYNC_LIST_RATE=30", "SYNC_PRUNE=true"))
	return w
}

// pump feeds the queue's messages to the function until the queue is
// empty, dropping (without running) those for which drop is true, and
// returns the messages it ran.
func (w *pruneWorld) pump(t *testing.T, drop func(poolsync.Message) bool) []poolsync.Message {
	t.Helper()
	var ran []poolsync.Message
	for {
		got := receiveAll(t, w.world, w.url)
		if len(got) == 0 {
			return ran
		}
		for _, m := range got {
			w.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(w.url), ReceiptHandle: m.ReceiptHandle})
			msg, err := poolsync.DecodeMessage([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatalf("queued %s: %v", aws.ToString(m.Body), err)
			}
			if drop(msg) {
				continue
			}
			ran = append(ran, msg)
			payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"}}})
			if r := call(t, w.sync, payload, 20*time.Second); r.Failed() || string(r.Payload) != `{"batchItemFailures":[]}` {
				t.Fatalf("message %s: %s %s\n%s", aws.ToString(m.Body), r.Payload, r.Error, w.sync.Stdout)
			}
		}
	}
}

func (w *pruneWorld) schedule(t *testing.T) {
	t.Helper()
	if r := call(t, w.sync, readEvent(t, "sync-schedule.json"), 10*time.Second); r.Failed() {
		t.Fatalf("schedule event: %s %s", r.Error, w.sync.Stdout)
	}
}

// TestScheduledSyncPrunes: with SYNC_PRUNE, the scheduled sync's fan-out
// runs as before, and the stream that completes the run's 16 queues one
// prune, which deletes and tombstones exactly the orphans: a pool user's
// item the run did not refresh is looked up by its sub and kept.
func TestScheduledSyncPrunes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newPruneWorld(t)
	w.schedule(t)
	ran := w.pump(t, func(poolsync.Message) bool { return false })
	prunes := 0
	for _, m := range ran {
		if m.Prune {
			prunes++
		}
	}
	if prunes != 1 {
		t.Fatalf("%d prune messages, want 1\n%s", prunes, w.sync.Stdout)
	}
	for _, id := range w.orphans {
		if r, ok, _ := w.ledger.Get(context.Background(), id); w.emu.Has(id) || !ok || r.Live() {
			t.Errorf("orphan %s: in Chat %v, ledger %+v", id, w.emu.Has(id), r)
		}
	}
	if r, _, _ := w.ledger.Get(context.Background(), "old-name"); !w.emu.Has("old-name") || !r.Live() {
		t.Errorf("a pool user's older item was pruned: %+v", r)
	}
	for _, u := range w.users {
		if r, ok, _ := w.ledger.Get(context.Background(), chat.SubUserID(u.Attributes["sub"])); !ok || r.Source != chat.SourceSync || !w.emu.Has(r.UserID) {
			t.Errorf("pool user %s: %+v", u.Username, r)
		}
	}
	if !strings.Contains(w.sync.Stdout.String(), `"sync prune done"`) {
		t.Errorf("no prune summary in the log")
	}
}

// TestScheduledSyncPartialPrunesNothing: a run one of whose streams never
// finishes (its message failed for good, here dropped) queues no prune,
// and every orphan stays.
func TestScheduledSyncPartialPrunesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newPruneWorld(t)
	w.schedule(t)
	ran := w.pump(t, func(m poolsync.Message) bool { return m.Prefix == "7" })
	for _, m := range ran {
		if m.Prune {
			t.Fatal("a prune was queued although stream 7 never finished")
		}
	}
	for _, id := range w.orphans {
		if r, _, _ := w.ledger.Get(context.Background(), id); !w.emu.Has(id) || !r.Live() {
			t.Errorf("orphan %s pruned after a partial listing", id)
		}
	}
}

package functions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	env     []string // the functions' environment, with the ledger
	url     string
	sync    *lambdatest.Process
}

func newPruneWorld(t *testing.T) *pruneWorld {
	t.Helper()
	w := &pruneWorld{world: newWorld(t)}
	ctx := context.Background()
	env, l := withLedger(t, w.world)
	w.ledger, w.env = l, env
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

// TestScheduledSyncPrunesReturned: an account that came back after its
// delete is pruned by the scheduled sync. A pool user with an account gets
// a UserSig from the UserSig function; the user is deleted from the pool
// and the account by a direct batch delete (no kick: its tombstone locks the
// user out of new UserSigs, but the old one stays good); a login with the
// old UserSig registers the account again. The run's prune finds it among
// the recent tombstones, kicks and deletes it and keeps the tombstone, so
// the old UserSig is refused from then on. A tombstone older than the
// window is not checked.
func TestScheduledSyncPrunesReturned(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newPruneWorld(t)
	ctx := context.Background()
	del := start(t, build(t, "delete"), w.env)
	sig := start(t, build(t, "usersig"), w.env)
	back := w.users[1]
	id := chat.SubUserID(back.Attributes["sub"])
	if err := w.ledger.Record(ctx, []chat.Record{{UserID: id, Sub: back.Attributes["sub"], Username: back.Username, PoolID: w.pool.ID, Source: chat.SourceSignup}}); err != nil {
		t.Fatal(err)
	}
	w.emu.Seed(id)
	_, oldSig := userSigDirect(t, sig, id)
	if oldSig == "" {
		t.Fatal("no UserSig for a live account")
	}
	if _, err := w.pool.API.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(w.pool.ID), Username: aws.String(back.Username)}); err != nil {
		t.Fatal(err)
	}
	// A batch of two: a delete of one account would kick it.
	if r := call(t, del, []byte(`{"DeleteItem":[{"UserID":"`+id+`"},{"UserID":"bystander"}]}`), 10*time.Second); !strings.Contains(string(r.Payload), `"OK"`) {
		t.Fatalf("direct delete: %s %s", r.Payload, r.Error)
	}
	deleted := ledgerItem(t, w.ledger, id).DeletedAt
	if env, us := userSigDirect(t, sig, id); us != "" || env.ErrorCode != 70107 {
		t.Fatalf("UserSig after the delete: %+v; want the lockout", env)
	}
	if err := w.emu.Login(id, oldSig); err != nil || !w.emu.Has(id) {
		t.Fatalf("login with the old UserSig: %v: want the account registered again", err)
	}
	// A tombstone older than the window, its account in Chat: left alone.
	const oldSub = "f0000000-dead-4000-8000-000000000000"
	old := chat.SubUserID(oldSub)
	if err := w.ledger.Record(ctx, []chat.Record{{UserID: old, Sub: oldSub, PoolID: w.pool.ID, Source: chat.SourceSignup}}); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-poolsync.ReturnWindow - time.Hour)
	if err := ledger.New(dynamodb.NewFromConfig(w.moto.Config()), w.ledger.Table(), func() time.Time { return then }).Tombstone(ctx, []string{old}); err != nil {
		t.Fatal(err)
	}
	w.emu.Seed(old)

	w.schedule(t)
	w.pump(t, func(poolsync.Message) bool { return false })
	if w.emu.Has(id) {
		t.Fatalf("the returned account is still in Chat\n%s", w.sync.Stdout)
	}
	if _, kicked := w.emu.KickedAt(id); !kicked {
		t.Error("the returned account was not kicked")
	}
	var ce *chat.Error
	if err := w.emu.Login(id, oldSig); !errors.As(err, &ce) || ce.Code != chat.CodeSigInvalidated {
		t.Errorf("login with the old UserSig after the prune: %v; want 70052", err)
	}
	if r := ledgerItem(t, w.ledger, id); r.Live() || !r.DeletedAt.Equal(deleted) {
		t.Errorf("ledger item %+v: want the tombstone of %s kept", r, deleted)
	}
	if !w.emu.Has(old) {
		t.Error("a tombstone older than the window was acted on")
	}
	for _, id := range w.orphans {
		if w.emu.Has(id) {
			t.Errorf("live orphan %s still in Chat", id)
		}
	}
	log := w.sync.Stdout.String()
	for _, want := range []string{`"returned":1`, `"userId":"` + id + `"`, "returned: in Chat again after its delete"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s\n%s", want, log)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

// reconcileWorld is a pool on moto with users mapped by sub, a Chat
// emulator and a ledger table on moto's DynamoDB.
type reconcileWorld struct {
	pool   *cognitotest.Pool
	users  []cognito.User
	emu    *chatemu.Running
	ledger *ledger.Ledger
	args   []string
}

func newReconcileWorld(t *testing.T, n int) *reconcileWorld {
	t.Helper()
	srv := moto.Shared(t)
	srv.SetEnv(t)
	w := &reconcileWorld{pool: cognitotest.NewPool(t, cip.NewFromConfig(srv.Config()), moto.UniqueName(t, "pool"))}
	var nu []cognitotest.NewUser
	for i := range n {
		nu = append(nu, cognitotest.NewUser{Username: fmt.Sprintf("r%03d", i), Status: cognito.StatusConfirmed})
	}
	w.users = w.pool.Add(t, nu)
	api := dynamodb.NewFromConfig(srv.Config())
	table := moto.UniqueName(t, "ledger")
	if err := ledger.CreateTable(context.Background(), api, table); err != nil {
		t.Fatal(err)
	}
	w.ledger = ledger.New(api, table, nil)
	w.emu = chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: "sync-test-key"})
	key := writeFile(t, "secret.json", `{"sdkAppId":1400000000,"secretKey":"sync-test-key","adminIdentifier":"administrator"}`)
	w.args = []string{"-key-file", key, "-base-url", w.emu.URL, "-ledger-table", table}
	return w
}

func (w *reconcileWorld) run(t *testing.T, args ...string) result {
	t.Helper()
	all := append([]string{"sync", "-user-pool-id", w.pool.ID}, args...)
	return runCLI(t, runOpts{env: map[string]string{}}, append(all, w.args...)...)
}

// orphans records n accounts in Chat and the ledger, as sign-ups of this
// pool whose users are gone (their subs are in no pool).
func (w *reconcileWorld) orphans(t *testing.T, prefix string, n int) []string {
	t.Helper()
	var ids []string
	var recs []chat.Record
	for i := range n {
		sub := fmt.Sprintf("%s%07x-dead-4000-8000-000000000000", prefix, i)
		id := chat.SubUserID(sub)
		ids = append(ids, id)
		recs = append(recs, chat.Record{UserID: id, Sub: sub, Username: "gone", PoolID: w.pool.ID, Source: chat.SourceSignup})
	}
	w.emu.Seed(ids...)
	if err := w.ledger.Record(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return ids
}

func (w *reconcileWorld) live(t *testing.T, id string) bool {
	t.Helper()
	r, ok, err := w.ledger.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ok && r.Live()
}

// TestSyncPrune reconciles a moto pool with orphans end to end: the sync
// records the pool's users; a dry run lists the orphans and changes
// nothing; the prune kicks, deletes and tombstones exactly the orphans and
// keeps the items it must never touch (no sub, another pool, the api, the
// admin identifier); a second prune finds nothing.
func TestSyncPrune(t *testing.T) {
	w := newReconcileWorld(t, 12)
	gone := w.orphans(t, "a", 3)
	keep := []chat.Record{
		{UserID: "no-sub", PoolID: w.pool.ID, Source: chat.SourceSignup},
		{UserID: "other-pool", Sub: "b0000000-dead-4000-8000-000000000000", PoolID: "us-east-1_Other", Source: chat.SourceSignup},
		{UserID: "from-api", Sub: "b0000001-dead-4000-8000-000000000000", Source: chat.SourceAPI},
		{UserID: "administrator", Sub: "b0000002-dead-4000-8000-000000000000", PoolID: w.pool.ID, Source: chat.SourceAdopted},
	}
	if err := w.ledger.Record(context.Background(), keep); err != nil {
		t.Fatal(err)
	}
	for _, r := range keep {
		w.emu.Seed(r.UserID)
	}

	r := w.run(t, "-prune", "-dry-run")
	r.want(t, exitOK, "12 would be imported", "4 orphans: 3 would be pruned, 1 protected, 0 refused, 0 failed", "3 kept")
	for _, id := range gone {
		if !strings.Contains(r.stdout, id+"\twould-prune") || !w.emu.Has(id) || !w.live(t, id) {
			t.Errorf("dry run: %s not listed, or changed", id)
		}
	}
	if w.emu.Requests(chat.CmdDelete) != 0 || w.emu.Requests(chat.CmdKick) != 0 {
		t.Error("the dry run called kick or account_delete")
	}

	r = w.run(t, "-prune")
	r.want(t, exitOK, "12 imported", "19 live ledger items; 3 kept", "4 orphans: 3 pruned, 1 protected, 0 refused, 0 failed", "administrator\tprotected")
	for _, id := range gone {
		if w.emu.Has(id) || w.live(t, id) {
			t.Errorf("orphan %s: in Chat %v, live in the ledger %v", id, w.emu.Has(id), w.live(t, id))
		}
	}
	if w.emu.Requests(chat.CmdKick) != 3 {
		t.Errorf("%d kicks, want 3", w.emu.Requests(chat.CmdKick))
	}
	for _, k := range keep {
		if !w.emu.Has(k.UserID) || !w.live(t, k.UserID) {
			t.Errorf("kept %s was changed", k.UserID)
		}
	}
	for _, u := range w.users {
		rec, ok, _ := w.ledger.Get(context.Background(), chat.SubUserID(u.Attributes["sub"]))
		if !ok || rec.Source != chat.SourceSync || rec.Sub != u.Attributes["sub"] || rec.PoolID != w.pool.ID || rec.Username != u.Username {
			t.Errorf("pool user %s: ledger item %+v", u.Username, rec)
		}
	}
	w.run(t, "-prune").want(t, exitOK, "1 orphan: 0 pruned, 1 protected")
}

// TestSyncPruneGuard: more orphans than the guard allows (at least 10)
// prune none and exit 1, every orphan counted refused; -max-prune raises
// the guard and -force lifts it.
func TestSyncPruneGuard(t *testing.T) {
	w := newReconcileWorld(t, 2)
	gone := w.orphans(t, "c", 11)
	w.run(t, "-prune").want(t, exitFailure, "11 orphans: 0 pruned, 0 protected, 11 refused", "guard: at most 10", "none pruned")
	for _, id := range gone {
		if !w.emu.Has(id) || !w.live(t, id) {
			t.Fatalf("the refused prune changed %s", id)
		}
	}
	if w.emu.Requests(chat.CmdDelete)+w.emu.Requests(chat.CmdKick) != 0 {
		t.Error("the refused prune called Chat")
	}
	w.run(t, "-prune", "-max-prune", "11").want(t, exitOK, "11 orphans: 11 pruned")
	w.orphans(t, "d", 12)
	w.run(t, "-prune", "-force").want(t, exitOK, "12 orphans: 12 pruned")
	w.run(t, "-max-prune", "3").want(t, exitUsage, "-max-prune and -force go with -prune")
}

// TestSyncPrunePartialListing: a listing cut short (here by -timeout at a
// slow list rate) prunes nothing and says why.
func TestSyncPrunePartialListing(t *testing.T) {
	w := newReconcileWorld(t, 2)
	gone := w.orphans(t, "e", 2)
	r := w.run(t, "-prune", "-list-rate", "1", "-timeout", "3s")
	r.want(t, exitFailure, "prune skipped: the pool was not listed completely")
	for _, id := range gone {
		if !w.emu.Has(id) || !w.live(t, id) {
			t.Errorf("the partial run pruned %s", id)
		}
	}
}

// TestSyncAdopt: -adopt records the UserIDs that exist in Chat as adopted:
// one a pool user maps to (with that user's sub), one made before the stack
// whose user is gone (with the sub its UserID spells, so the same run's
// prune deletes it), and not one that Chat lacks; a bad file is a usage
// error that changes nothing.
func TestSyncAdopt(t *testing.T) {
	w := newReconcileWorld(t, 3)
	mine := chat.SubUserID(w.users[0].Attributes["sub"])
	legacy := chat.SubUserID("f1234567-dead-4000-8000-000000000000")
	w.emu.Seed(mine, legacy)
	file := writeFile(t, "ids.txt", "# made before the stack\n"+mine+"\n"+legacy+"\n\nghost\n")

	w.run(t, "-adopt", writeFile(t, "bad.txt", "ok\nbad id\n")).want(t, exitUsage, "line 2")

	r := w.run(t, "-adopt", file, "-dry-run")
	r.want(t, exitOK, "adopt: 3 given; 2 would be adopted (2 with a sub); 1 not in Chat", "ghost\tnot-in-chat")
	if w.live(t, legacy) {
		t.Error("the dry run recorded an adoption")
	}

	r = w.run(t, "-adopt", file, "-prune")
	r.want(t, exitOK, "adopt: 3 given; 2 adopted (2 with a sub); 1 not in Chat", "1 orphan: 1 pruned", legacy+"\tpruned")
	if rec, ok, _ := w.ledger.Get(context.Background(), mine); !ok || rec.Source != chat.SourceAdopted || rec.Sub != w.users[0].Attributes["sub"] || rec.Username != w.users[0].Username {
		t.Errorf("adopted pool user: %+v", rec)
	}
	if rec, ok, _ := w.ledger.Get(context.Background(), legacy); !ok || rec.Live() || rec.Source != chat.SourceAdopted {
		t.Errorf("adopted orphan: %+v, want a tombstone", rec)
	}
	if w.emu.Has(legacy) || !w.emu.Has(mine) {
		t.Errorf("Chat: legacy %v, mine %v; want the orphan gone and the pool user kept", w.emu.Has(legacy), w.emu.Has(mine))
	}
	if _, ok, _ := w.ledger.Get(context.Background(), "ghost"); ok {
		t.Error("an account Chat lacks was recorded")
	}
}

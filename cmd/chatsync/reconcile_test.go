package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// reconcileKey is the emulator's key in a reconcileWorld.
const reconcileKey = "sync-test-key"

// reconcileWorld is a pool on moto with users mapped by sub, a Chat
// emulator and a ledger table on moto's DynamoDB.
type reconcileWorld struct {
	pool   *cognitotest.Pool
	users  []cognito.User
	emu    *chatemu.Running
	ledger *ledger.Ledger
	api    *dynamodb.Client // the ledger's DynamoDB
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
	w.ledger, w.api = ledger.New(api, table, nil), api
	w.emu = chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: reconcileKey})
	key := writeFile(t, "secret.json", `{"sdkAppId":1400000000,"secretKey":"`+reconcileKey+`","adminIdentifier":"administrator"}`)
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

// deleteWithoutKick deletes ids as a batch delete over HTTP or direct
// invocation does:
// account_delete and the tombstone, no kick, so the UserSigs issued before
// stay good for a login.
func (w *reconcileWorld) deleteWithoutKick(t *testing.T, ids ...string) {
	t.Helper()
	client, err := chatapi.New(chatapi.Config{BaseURL: w.emu.URL, Credentials: chatapi.StaticCredentials(w.emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.DeleteAccounts(context.Background(), ids)
	if err != nil || res.Err() != nil {
		t.Fatalf("account_delete: %v, %v", err, res.Err())
	}
	if err := w.ledger.Tombstone(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
}

// removeFromPool deletes u from the Cognito pool (no lifecycle event
// follows: nothing but a prune can notice).
func (w *reconcileWorld) removeFromPool(t *testing.T, u cognito.User) {
	t.Helper()
	if _, err := w.pool.API.AdminDeleteUser(context.Background(), &cip.AdminDeleteUserInput{UserPoolId: aws.String(w.pool.ID), Username: aws.String(u.Username)}); err != nil {
		t.Fatal(err)
	}
}

// tombstones records n accounts as sign-ups of this pool whose users are
// gone, tombstoned at the time at; with inChat their accounts are in Chat
// again (imported directly in the emulator), as after a login.
func (w *reconcileWorld) tombstones(t *testing.T, prefix string, n int, at time.Time, inChat bool) []string {
	t.Helper()
	ids := w.orphans(t, prefix, n)
	if err := ledger.New(w.api, w.ledger.Table(), func() time.Time { return at }).Tombstone(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	if !inChat {
		client, _ := chatapi.New(chatapi.Config{BaseURL: w.emu.URL, Credentials: chatapi.StaticCredentials(w.emu.Credentials())})
		if _, err := client.DeleteAccounts(context.Background(), ids); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// deletedAt returns id's DeletedAt; the test fails when id is live or
// unknown.
func (w *reconcileWorld) deletedAt(t *testing.T, id string) time.Time {
	t.Helper()
	r, ok, err := w.ledger.Get(context.Background(), id)
	if err != nil || !ok || r.Live() {
		t.Fatalf("%s: %+v, found %v, %v; want a tombstone", id, r, ok, err)
	}
	return r.DeletedAt
}

// readPruneReport reads the prune counts of a -report file.
func readPruneReport(t *testing.T, path string) poolsync.PruneCounts {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep syncReport
	if err := json.Unmarshal(data, &rep); err != nil || rep.Prune == nil {
		t.Fatalf("report %s: %v", data, err)
	}
	return *rep.Prune
}

// TestSyncPruneReturned follows an account that comes back: its user is
// deleted from the pool and the account deleted in Chat without a kick
// (tombstoned), then the user logs in with a UserSig issued before the
// delete, which registers the account again. The dry run lists it and
// changes nothing; the prune kicks it, deletes it and keeps its tombstone,
// after which the old UserSig is refused. A tombstone older than the window
// is never checked; a recent one whose account stays gone costs only its
// share of the one account_check call; a tombstoned user still in the pool
// is re-imported by the sync.
func TestSyncPruneReturned(t *testing.T) {
	w := newReconcileWorld(t, 4)
	w.run(t).want(t, exitOK, "4 imported")
	back, stay := w.users[0], w.users[1]
	backID, stayID := chat.SubUserID(back.Attributes["sub"]), chat.SubUserID(stay.Attributes["sub"])
	oldSig := usersig.Generate([]byte(reconcileKey), testAppID, backID, time.Now(), 24*time.Hour)
	w.removeFromPool(t, back)
	w.deleteWithoutKick(t, backID, stayID)
	deleted := w.deletedAt(t, backID)
	if err := w.emu.Login(backID, oldSig); err != nil || !w.emu.Has(backID) {
		t.Fatalf("login with the old UserSig: %v; in Chat %v: want the account registered again", err, w.emu.Has(backID))
	}
	old := w.tombstones(t, "b", 1, time.Now().Add(-poolsync.ReturnWindow-time.Hour), true)[0]
	gone := w.tombstones(t, "c", 1, time.Now().Add(-time.Hour), false)[0]
	w.emu.ResetCounters()

	report := filepath.Join(t.TempDir(), "report.json")
	r := w.run(t, "-prune", "-dry-run", "-report", report)
	r.want(t, exitOK, "2 live ledger items; 0 kept", "3 tombstones of the last 180 days, 3 checked in Chat: 1 returned; 1 orphan: 1 would be pruned, 0 protected, 0 refused, 0 failed",
		backID+"\twould-prune\treturned: in Chat again after its delete (tombstone of "+deleted.UTC().Format(time.RFC3339)+")")
	if pc := readPruneReport(t, report); pc.Tombstones != 3 || pc.Checked != 3 || pc.Returned != 1 || pc.ChatCalls != 1 {
		t.Errorf("dry run report %+v: want 3 tombstones checked in 1 Chat call, 1 returned", pc)
	}
	if !w.emu.Has(backID) || !w.deletedAt(t, backID).Equal(deleted) || w.emu.Requests(chat.CmdKick)+w.emu.Requests(chat.CmdDelete) != 0 {
		t.Error("the dry run changed the returned account or its tombstone")
	}

	r = w.run(t, "-prune", "-report", report)
	r.want(t, exitOK, "1 imported", "3 live ledger items", "2 tombstones of the last 180 days, 2 checked in Chat: 1 returned; 1 orphan: 1 pruned, 0 protected",
		backID+"\tpruned\treturned: in Chat again after its delete")
	if pc := readPruneReport(t, report); pc.Checked != 2 || pc.Returned != 1 || pc.Pruned != 1 || pc.ChatCalls != 3 {
		t.Errorf("report %+v: want 2 checked, 1 returned and pruned, in 3 Chat calls (account_check, kick, account_delete)", pc)
	}
	if w.emu.Has(backID) {
		t.Error("the returned account is still in Chat")
	}
	if _, kicked := w.emu.KickedAt(backID); !kicked {
		t.Error("the returned account was not kicked")
	}
	var ce *chat.Error
	if err := w.emu.Login(backID, oldSig); !errors.As(err, &ce) || ce.Code != chat.CodeSigInvalidated || w.emu.Has(backID) {
		t.Errorf("login with the old UserSig after the prune: %v; want 70052 and no account", err)
	}
	if got := w.deletedAt(t, backID); !got.Equal(deleted) {
		t.Errorf("the tombstone changed from %s to %s: want it kept", deleted, got)
	}
	if !w.emu.Has(stayID) || !w.live(t, stayID) {
		t.Error("the tombstoned user still in the pool was not re-imported by the sync")
	}
	if !w.emu.Has(old) {
		t.Error("a tombstone older than the window was acted on")
	}
	for _, id := range []string{old, gone} {
		if _, kicked := w.emu.KickedAt(id); kicked {
			t.Errorf("%s was kicked", id)
		}
	}
	w.run(t, "-prune").want(t, exitOK, "2 checked in Chat: 0 returned; 0 orphans: 0 pruned")
}

// TestSyncPruneGuardCountsReturned: returned accounts count toward the
// guard: ten live orphans and one returned are more than its 10, and none
// is pruned until -max-prune allows eleven.
func TestSyncPruneGuardCountsReturned(t *testing.T) {
	w := newReconcileWorld(t, 2)
	gone := w.orphans(t, "c", 10)
	back := w.tombstones(t, "d", 1, time.Now().Add(-24*time.Hour), true)[0]
	r := w.run(t, "-prune")
	r.want(t, exitFailure, "1 returned; 11 orphans: 0 pruned, 0 protected, 11 refused", back+"\trefused\t11 orphans, more than the guard's 10; returned:")
	if !w.emu.Has(back) || w.emu.Requests(chat.CmdKick)+w.emu.Requests(chat.CmdDelete) != 0 {
		t.Error("the refused prune changed Chat")
	}
	w.run(t, "-prune", "-max-prune", "11").want(t, exitOK, "1 returned; 11 orphans: 11 pruned")
	for _, id := range append(gone, back) {
		if w.emu.Has(id) {
			t.Errorf("%s still in Chat", id)
		}
	}
}

// TestSyncPruneCheckFails: when account_check fails for the recent
// tombstones (Chat answers 70500 to every try), the run exits 1 and lists
// each as failed, deletes none of them, and still prunes the live orphan it
// could decide on. (The pool is empty, so the sync itself checks nothing.)
func TestSyncPruneCheckFails(t *testing.T) {
	w := newReconcileWorld(t, 0)
	live := w.orphans(t, "a", 1)[0]
	back := w.tombstones(t, "b", 1, time.Now().Add(-time.Hour), true)[0]
	w.emu.SetFaultFunc(func(cmd string) *chatemu.Fault {
		if cmd == chat.CmdCheck {
			return &chatemu.Fault{Code: chat.CodeServerError}
		}
		return nil
	})
	r := w.run(t, "-prune")
	r.want(t, exitFailure, "1 checked in Chat: 0 returned, 1 unanswered; 1 orphan: 1 pruned", back+"\tfailed\taccount_check: ",
		"not known whether it came back: left alone", "account_check failed for 1 recent tombstones")
	if !w.emu.Has(back) {
		t.Error("an account prune could not check was deleted")
	}
	if _, kicked := w.emu.KickedAt(back); kicked {
		t.Error("an account prune could not check was kicked")
	}
	if w.emu.Has(live) || w.live(t, live) {
		t.Error("the live orphan was not pruned")
	}
}

// TestSyncAdoptSkipsAdmin: an -adopt file that names the app's admin
// identifier never records it (it is in Chat, so it would be adopted):
// listed and counted protected, while the other UserIDs are adopted.
func TestSyncAdoptSkipsAdmin(t *testing.T) {
	w := newReconcileWorld(t, 1)
	legacy := chat.SubUserID("f7654321-dead-4000-8000-000000000000")
	w.emu.Seed("administrator", legacy)
	file := writeFile(t, "ids.txt", "administrator\n"+legacy+"\n")
	r := w.run(t, "-adopt", file)
	r.want(t, exitOK, "administrator\tprotected\tadopt: the app's admin identifier is never recorded",
		"adopt: 2 given; 1 adopted (1 with a sub); 0 not in Chat; 1 protected (the app's admin identifier); 0 failed")
	if _, ok, _ := w.ledger.Get(context.Background(), "administrator"); ok {
		t.Error("the admin identifier was recorded")
	}
	if !w.live(t, legacy) {
		t.Error("the other UserID was not adopted")
	}
}

// TestReturnWindow: prune looks back at least as long as the longest
// UserSig lifetime the stack allows, and the help says how long.
func TestReturnWindow(t *testing.T) {
	if poolsync.ReturnWindow < config.MaxUserSigTTL {
		t.Errorf("ReturnWindow %s is shorter than the longest USER_SIG_TTL, %s", poolsync.ReturnWindow, config.MaxUserSigTTL)
	}
	days := fmt.Sprintf("last %d days", int(poolsync.ReturnWindow.Hours()/24))
	if h := run(t, "help", "sync").stdout; !strings.Contains(strings.Join(strings.Fields(h), " "), days) {
		t.Errorf("chatsync help sync does not say %q", days)
	}
}

// TestPruneDocSample: the prune summary line in docs/sync.md is the form
// summarizePrune prints, with counts a run can produce: they add up, and
// the guard is the default one for the items considered.
func TestPruneDocSample(t *testing.T) {
	data, err := os.ReadFile("../../docs/sync.md")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^prune \S+: .*$`).FindString(string(data))
	re := regexp.MustCompile(`^prune (\S+): (\d+) live ledger items; (\d+) kept \(no sub, another pool, or api\); (\d+) considered; (\d+) tombstones of the last \d+ days, (\d+) checked in Chat: (\d+) returned; (\d+) orphans: (\d+) pruned, (\d+) protected, (\d+) refused, (\d+) failed \(guard: at most (\d+)\)$`)
	m := re.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("docs/sync.md shows no prune summary line in prune's form: %q", line)
	}
	n := make([]int, len(m))
	for i := 2; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	c := poolsync.PruneCounts{Live: n[2], Kept: n[3], Considered: n[4], Tombstones: n[5], Checked: n[6], Returned: n[7], Orphans: n[8], Pruned: n[9], Protected: n[10], Refused: n[11], Failed: n[12], MaxPrune: n[13]}
	var buf strings.Builder
	summarizePrune(&buf, m[1], c, false)
	if got := strings.TrimSuffix(buf.String(), "\n"); got != line {
		t.Errorf("prune prints these counts as\n  %s\nthe doc shows\n  %s", got, line)
	}
	switch {
	case c.Kept+c.Considered != c.Live:
		t.Error("kept and considered do not add up to the live items")
	case c.Checked > c.Tombstones || c.Returned > c.Checked || c.Returned > c.Orphans:
		t.Error("more checked than tombstones, or more returned than checked or than orphans")
	case c.Pruned+c.Protected+c.Refused+c.Failed != c.Orphans:
		t.Error("the orphans' outcomes do not add up")
	case c.MaxPrune != max(poolsync.MinMaxPrune, (c.Considered*poolsync.DefaultMaxPrunePercent+99)/100):
		t.Errorf("guard %d is not the default for %d considered", c.MaxPrune, c.Considered)
	}
}

package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

func TestMain(m *testing.M) { moto.Main(m) }

// newLedger makes a fresh table in the shared moto server, with a clock
// the test sets.
func newLedger(t *testing.T, now *time.Time) (*ledger.Ledger, *dynamodb.Client) {
	t.Helper()
	srv := moto.Shared(t)
	api := dynamodb.NewFromConfig(srv.Config())
	table := moto.UniqueName(t, "ledger")
	if err := ledger.CreateTable(context.Background(), api, table); err != nil {
		t.Fatal(err)
	}
	return ledger.New(api, table, func() time.Time { return *now }), api
}

// TestRecordTombstoneGet: a recorded account reads back live with every
// field; a tombstone keeps them and adds DeletedAt; a re-import clears it;
// an ID never recorded can still be tombstoned.
func TestRecordTombstoneGet(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l, _ := newLedger(t, &now)
	rec := chat.Record{UserID: "u1", Sub: "a1b2c3d4-0000-1111-2222-333344445555", Username: "alice", PoolID: "us-east-1_P", Source: chat.SourceSignup}
	if err := l.Record(ctx, []chat.Record{rec}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := l.Get(ctx, "u1")
	rec.ImportedAt = now
	if err != nil || !ok || got != rec {
		t.Fatalf("Get = %+v, %v, %v; want %+v", got, ok, err, rec)
	}
	if d, err := l.Deleted(ctx, "u1"); d || err != nil {
		t.Fatalf("Deleted(live) = %v, %v", d, err)
	}

	now = now.Add(time.Hour)
	if err := l.Tombstone(ctx, []string{"u1", "never-recorded", "u1"}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = l.Get(ctx, "u1")
	want := rec
	want.DeletedAt = now
	if got != want {
		t.Errorf("after tombstone: %+v; want %+v", got, want)
	}
	for _, id := range []string{"u1", "never-recorded"} {
		if d, err := l.Deleted(ctx, id); !d || err != nil {
			t.Errorf("Deleted(%s) = %v, %v; want true", id, d, err)
		}
	}
	if d, err := l.Deleted(ctx, "absent"); d || err != nil {
		t.Errorf("Deleted(absent) = %v, %v; want false", d, err)
	}

	now = now.Add(time.Hour)
	if err := l.Record(ctx, []chat.Record{rec}); err != nil { // rec carries the old ImportedAt
		t.Fatal(err)
	}
	if got, _, _ = l.Get(ctx, "u1"); !got.Live() {
		t.Errorf("re-import left the tombstone: %+v", got)
	}
}

// TestRecordBatchAndLive: a batch of more than one BatchWriteItem call is
// written whole (repeated IDs once), and Live lists exactly the items
// without a tombstone, across Scan pages.
func TestRecordBatchAndLive(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l, _ := newLedger(t, &now)
	var recs []chat.Record
	for i := range 260 {
		recs = append(recs, chat.Record{UserID: fmt.Sprintf("user-%03d", i), Source: chat.SourceSync, Sub: fmt.Sprintf("sub-%d", i)})
	}
	recs = append(recs, recs[0])
	if err := l.Record(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var dead []string
	for i := 0; i < 260; i += 10 {
		dead = append(dead, fmt.Sprintf("user-%03d", i))
	}
	if err := l.Tombstone(ctx, dead); err != nil {
		t.Fatal(err)
	}
	var live []string
	if err := l.Live(ctx, func(r chat.Record) error {
		if r.Source != chat.SourceSync || r.Sub == "" || !r.ImportedAt.Equal(now) {
			t.Errorf("item %+v", r)
		}
		live = append(live, r.UserID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(live)
	if len(live) != 260-len(dead) {
		t.Fatalf("%d live items; want %d", len(live), 260-len(dead))
	}
	for _, id := range live {
		for _, d := range dead {
			if id == d {
				t.Errorf("tombstoned %s listed as live", id)
			}
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := l.Live(ctx, func(chat.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("Live with a failing callback: %v after %d items", err, n)
	}
}

// TestDeletedSince: DeletedSince lists exactly the tombstones written at or
// after its time, to the nanosecond (DeletedAt strings with and without a
// fraction, in the second before, of and after the bound), never a live
// item or a run's item, and ends with its callback's error.
func TestDeletedSince(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 6, 1, 12, 0, 0, 500_000_000, time.UTC)
	now := since
	l, _ := newLedger(t, &now)
	tombstones := []struct {
		id     string
		at     time.Time
		listed bool
	}{
		{"old", since.Add(-200 * 24 * time.Hour), false},
		{"second-before", since.Add(-time.Second), false},
		{"same-second-before", since.Add(-time.Nanosecond), false},
		{"whole-second-before", since.Truncate(time.Second), false},
		{"at", since, true},
		{"same-second-after", since.Add(400 * time.Millisecond), true},
		{"whole-second-after", since.Truncate(time.Second).Add(time.Second), true},
		{"later", since.Add(30 * 24 * time.Hour), true},
	}
	var recs []chat.Record
	for _, ts := range tombstones {
		recs = append(recs, chat.Record{UserID: ts.id, Sub: "sub-" + ts.id, PoolID: "pool", Source: chat.SourceSync})
	}
	recs = append(recs, chat.Record{UserID: "live", Source: chat.SourceSync})
	if err := l.Record(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for _, ts := range tombstones {
		now = ts.at
		if err := l.Tombstone(ctx, []string{ts.id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.StartRun(ctx, "pool", since.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := map[string]chat.Record{}
	if err := l.DeletedSince(ctx, since, func(r chat.Record) error {
		got[r.UserID] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, ts := range tombstones {
		r, ok := got[ts.id]
		switch {
		case ok != ts.listed:
			t.Errorf("%s (deleted %s): listed %v, want %v", ts.id, ts.at.Format(time.RFC3339Nano), ok, ts.listed)
		case ok && (!r.DeletedAt.Equal(ts.at) || r.Sub != "sub-"+ts.id || r.PoolID != "pool" || r.Source != chat.SourceSync):
			t.Errorf("%s: %+v", ts.id, r)
		}
	}
	if len(got) != 4 {
		t.Errorf("listed %d items, want 4: %v", len(got), got)
	}
	stop := errors.New("stop")
	n := 0
	if err := l.DeletedSince(ctx, since, func(chat.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("DeletedSince with a failing callback: %v after %d items", err, n)
	}
}

// TestUnreachable: every operation on a table that does not exist fails,
// and says which operation.
func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	srv := moto.Shared(t)
	l := ledger.New(dynamodb.NewFromConfig(srv.Config()), "no-such-table", nil)
	for name, err := range map[string]error{
		"record":    l.Record(ctx, []chat.Record{{UserID: "x"}}),
		"batch":     l.Record(ctx, []chat.Record{{UserID: "x"}, {UserID: "y"}}),
		"tombstone": l.Tombstone(ctx, []string{"x"}),
		"live":      l.Live(ctx, func(chat.Record) error { return nil }),
		"deleted":   l.DeletedSince(ctx, time.Now(), func(chat.Record) error { return nil }),
	} {
		if err == nil {
			t.Errorf("%s on a missing table: no error", name)
		}
	}
	if _, err := l.Deleted(ctx, "x"); err == nil {
		t.Error("Deleted on a missing table: no error")
	}
}

// TestRunState: a run counts each stream once, a later run resets the
// count and the earlier run's reports count for nothing, and Live never
// lists the run's item.
func TestRunState(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l, _ := newLedger(t, &now)
	run1 := now
	if err := l.StartRun(ctx, "pool", run1); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"0", "1", "1", "2"} {
		n, err := l.StreamDone(ctx, "pool", run1, p)
		want := []int{1, 2, 2, 3}[i]
		if err != nil || n != want {
			t.Fatalf("StreamDone(%s) = %d, %v; want %d", p, n, err, want)
		}
	}
	run2 := now.Add(time.Hour)
	if err := l.StartRun(ctx, "pool", run2); err != nil {
		t.Fatal(err)
	}
	if n, err := l.StreamDone(ctx, "pool", run1, "3"); n != 0 || err != nil {
		t.Errorf("a report of the earlier run: %d, %v; want 0", n, err)
	}
	if n, err := l.StreamDone(ctx, "pool", run2, "3"); n != 1 || err != nil {
		t.Errorf("the new run's first stream: %d, %v; want 1", n, err)
	}
	if err := l.Live(ctx, func(r chat.Record) error { t.Errorf("Live listed %+v", r); return nil }); err != nil {
		t.Fatal(err)
	}
}

// countingAPI counts the ledger's writes to DynamoDB.
type countingAPI struct {
	ledger.API
	mu     sync.Mutex
	writes int // items put, alone or in batches
	gets   int // BatchGetItem calls
}

func (c *countingAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.API.PutItem(ctx, in, opts...)
}

func (c *countingAPI) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.mu.Lock()
	for _, reqs := range in.RequestItems {
		c.writes += len(reqs)
	}
	c.mu.Unlock()
	return c.API.BatchWriteItem(ctx, in, opts...)
}

func (c *countingAPI) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.API.BatchGetItem(ctx, in, opts...)
}

func (c *countingAPI) counts() (writes, gets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, g := c.writes, c.gets
	c.writes, c.gets = 0, 0
	return w, g
}

// TestEnsure: Ensure writes only the records the ledger does not hold as
// live items of the same Sub and PoolId (missing, tombstoned, or another
// user's), and leaves the others as they are, their Source and ImportedAt
// kept; run again, it reads and writes nothing.
func TestEnsure(t *testing.T) {
	ctx := context.Background()
	signedUp := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	now := signedUp
	api := dynamodb.NewFromConfig(moto.Shared(t).Config())
	c := &countingAPI{API: api}
	table := moto.UniqueName(t, "ensure")
	if err := ledger.CreateTable(ctx, api, table); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(c, table, func() time.Time { return now })
	sub := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
	const pool = "us-east-1_P"
	// 250 users, so that the reads take three calls: 0-99 recorded at
	// sign-up, 100 tombstoned, 101 recorded with another sub, 102 of
	// another pool; the rest unknown.
	var signups []chat.Record
	for i := range 102 {
		signups = append(signups, chat.Record{UserID: fmt.Sprintf("u%03d", i), Sub: sub(i), Username: fmt.Sprintf("user%d", i), PoolID: pool, Source: chat.SourceSignup})
	}
	signups[101].Sub = sub(9999)
	signups = append(signups, chat.Record{UserID: "u102", Sub: sub(102), PoolID: "us-east-1_OTHER", Source: chat.SourceSignup})
	if err := l.Record(ctx, signups); err != nil {
		t.Fatal(err)
	}
	if err := l.Tombstone(ctx, []string{"u100"}); err != nil {
		t.Fatal(err)
	}
	c.counts()

	now = now.Add(24 * time.Hour)
	var synced []chat.Record
	for i := range 250 {
		synced = append(synced, chat.Record{UserID: fmt.Sprintf("u%03d", i), Sub: sub(i), Username: fmt.Sprintf("user%d", i), PoolID: pool, Source: chat.SourceSync})
	}
	if err := l.Ensure(ctx, append(synced, synced[0])); err != nil {
		t.Fatal(err)
	}
	if writes, gets := c.counts(); writes != 150 || gets != 3 {
		t.Errorf("Ensure wrote %d items in %d reads; want the 150 not held as they are (100 to 249) in 3", writes, gets)
	}
	for i, want := range []struct {
		id     string
		source chat.Source
		at     time.Time
	}{{"u000", chat.SourceSignup, signedUp}, {"u099", chat.SourceSignup, signedUp}, {"u100", chat.SourceSync, now}, {"u101", chat.SourceSync, now}, {"u102", chat.SourceSync, now}, {"u249", chat.SourceSync, now}} {
		r, ok, err := l.Get(ctx, want.id)
		if err != nil || !ok || !r.Live() || r.Source != want.source || !r.ImportedAt.Equal(want.at) || r.Sub != synced[[]int{0, 99, 100, 101, 102, 249}[i]].Sub || r.PoolID != pool {
			t.Errorf("%s after Ensure: %+v, %v, %v; want live, source %s, imported at %v", want.id, r, ok, err, want.source, want.at)
		}
	}

	if err := l.Ensure(ctx, synced); err != nil {
		t.Fatal(err)
	}
	if writes, gets := c.counts(); writes != 0 || gets != 3 {
		t.Errorf("Ensure again wrote %d items in %d reads; want none in 3", writes, gets)
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// reconcileOptions are sync's flags for the ledger: -ledger-table,
// -prune with its guard, and -adopt.
type reconcileOptions struct {
	table    string
	prune    bool
	maxPrune int
	force    bool
	adopt    string
}

// maxAdoptIDs bounds an -adopt file, so that its memory is bounded.
const maxAdoptIDs = 1_000_000

// ledgerTable returns the ledger table: -ledger-table, else LEDGER_TABLE;
// "" for none.
func (c *cli) ledgerTable(o *reconcileOptions) (string, error) {
	t := strings.TrimSpace(o.table)
	if t == "" {
		t = strings.TrimSpace(c.getenv(config.EnvLedgerTable))
	}
	if err := config.LedgerTable(t); err != nil {
		return "", usagef("%s", strings.Replace(err.Error(), config.EnvLedgerTable, "-ledger-table", 1))
	}
	switch {
	case t == "" && o.prune:
		return "", usagef("-prune needs the ledger: -ledger-table TABLE (or env LEDGER_TABLE)")
	case t == "" && o.adopt != "":
		return "", usagef("-adopt needs the ledger: -ledger-table TABLE (or env LEDGER_TABLE)")
	case o.maxPrune < 0:
		return "", usagef("-max-prune must be 0 (the default guard) or more")
	case (o.maxPrune > 0 || o.force) && !o.prune:
		return "", usagef("-max-prune and -force go with -prune")
	}
	return t, nil
}

// readAdoptFile reads UserIDs, one a line (blank lines and lines starting
// with # are skipped); every line must be a UserID Chat takes.
func readAdoptFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-adopt: %v", err)
	}
	defer f.Close()
	var (
		ids  []string
		bad  []string
		seen = map[string]bool{}
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 4096)
	for n := 1; sc.Scan(); n++ {
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		if err := chat.ValidateUserID(id); err != nil {
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("line %d: %s", n, chat.ErrorInfo(err)))
			}
			continue
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		if len(ids) > maxAdoptIDs {
			return nil, usagef("-adopt %s: more than %d UserIDs; split the file", path, maxAdoptIDs)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("-adopt %s: %v (a line is at most 4 KiB)", path, err)
	}
	if len(bad) > 0 {
		return nil, usagef("-adopt %s: not UserIDs: %s", path, strings.Join(bad, "; "))
	}
	return ids, nil
}

// poolIndex is what a sync's listing tells prune and adoption: every sub in
// the pool, and the users whose UserIDs are being adopted.
type poolIndex struct {
	mapping chat.Mapping
	prune   bool
	adopt   map[string]bool // the UserIDs to adopt

	mu    sync.Mutex
	subs  map[string]struct{}
	owner map[string]cognito.User // UserID to adopt -> the pool user that maps to it
}

func newPoolIndex(m chat.Mapping, prune bool, adopt []string) *poolIndex {
	x := &poolIndex{mapping: m.WithDefaults(), prune: prune, adopt: map[string]bool{}, subs: map[string]struct{}{}, owner: map[string]cognito.User{}}
	for _, id := range adopt {
		x.adopt[id] = true
	}
	return x
}

// listed takes one listed user (poolsync.Config.OnUser).
func (x *poolIndex) listed(u cognito.User) {
	sub := u.Attributes["sub"]
	var id string
	if len(x.adopt) > 0 {
		id, _ = x.mapping.UserID(func(k string) (string, bool) { v, ok := u.Attributes[k]; return v, ok }, u.Username)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.prune && sub != "" {
		x.subs[sub] = struct{}{}
	}
	if id != "" && x.adopt[id] {
		x.owner[id] = u
	}
}

func (x *poolIndex) inPool(_ context.Context, r chat.Record) (bool, error) {
	_, ok := x.subs[r.Sub]
	return ok, nil
}

// subOfUserID returns the sub a UserID was mapped from when the mapping is
// sub (32 hex digits: the sub without its hyphens), else "".
func subOfUserID(m chat.Mapping, id string) string {
	if m.WithDefaults().UserIDAttribute != "sub" || len(id) != 32 || strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" {
		return ""
	}
	id = strings.ToLower(id)
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

// openLedger returns the ledger in table, reached as the SDK's default
// chain says (AWS_ENDPOINT_URL_DYNAMODB for tests).
func openLedger(cfg aws.Config, table string) *ledger.Ledger {
	return ledger.New(dynamodb.NewFromConfig(cfg), table, nil)
}

// adoptCounts are what -adopt did.
type adoptCounts struct {
	Given     int `json:"given"`
	Adopted   int `json:"adopted"` // in Chat: recorded (or, in a dry run, would be)
	WithSub   int `json:"withSub"` // of Adopted, recorded with a sub
	NotFound  int `json:"notInChat"`
	Protected int `json:"protected"` // the app's admin identifier: never recorded
	Failed    int `json:"failed"`
}

// adoption is what an -adopt run works with.
type adoption struct {
	chat   poolsync.Chat
	ledger *ledger.Ledger
	index  *poolIndex
	pool   string
	admin  string // the app's admin identifier: never recorded, so never pruned
	dryRun bool
	out    io.Writer
}

// adopt checks ids in Chat and records those that exist as adopted; the
// admin identifier is left out before the check (counted protected).
func (a adoption) adopt(ctx context.Context, ids []string) (adoptCounts, error) {
	c := adoptCounts{Given: len(ids)}
	if ids = a.withoutAdmin(ids, &c); len(ids) == 0 {
		return c, nil
	}
	res, err := a.chat.CheckAccounts(ctx, ids)
	if err != nil {
		c.Failed = len(ids)
		return c, fmt.Errorf("adopt: account_check: %w", err)
	}
	var recs []chat.Record
	for _, it := range res.Items {
		switch {
		case it.ResultCode != chat.CodeOK:
			c.Failed++
			fmt.Fprintf(a.out, "%s\tfailed\tadopt: account_check code %d\n", it.UserID, it.ResultCode)
		case it.AccountStatus != chat.Imported:
			c.NotFound++
			fmt.Fprintf(a.out, "%s\tnot-in-chat\tadopt: no such account in Chat\n", it.UserID)
		default:
			r := chat.Record{UserID: it.UserID, PoolID: a.pool, Source: chat.SourceAdopted}
			if u, ok := a.index.owner[it.UserID]; ok {
				r.Sub, r.Username = u.Attributes["sub"], u.Username
			} else {
				r.Sub = subOfUserID(a.index.mapping, it.UserID)
			}
			if r.Sub != "" {
				c.WithSub++
			}
			recs = append(recs, r)
		}
	}
	c.Adopted = len(recs)
	if a.dryRun || len(recs) == 0 {
		return c, nil
	}
	if err := a.ledger.Record(ctx, recs); err != nil {
		c.Failed += len(recs)
		c.Adopted = 0
		return c, fmt.Errorf("adopt: %w", err)
	}
	return c, nil
}

// withoutAdmin returns ids without the app's admin identifier, which is
// never recorded (a recorded admin account would be one prune could reach),
// and reports it as protected.
func (a adoption) withoutAdmin(ids []string, c *adoptCounts) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		if !(chat.Credentials{Admin: a.admin}).IsAdmin(id) {
			return false
		}
		c.Protected++
		fmt.Fprintf(a.out, "%s\tprotected\tadopt: the app's admin identifier is never recorded\n", id)
		return true
	})
}

// prunePool runs the prune after a complete listing and prints each
// orphan's outcome on out.
func prunePool(ctx context.Context, cfg poolsync.PruneConfig, out io.Writer) (poolsync.PruneCounts, error) {
	var mu sync.Mutex
	cfg.OnOrphan = func(o poolsync.PruneOutcome) {
		mu.Lock()
		defer mu.Unlock()
		line := o.Record.UserID + "\t" + string(o.Action)
		if o.Reason != "" {
			line += "\t" + strings.ReplaceAll(o.Reason, "\t", " ")
		}
		fmt.Fprintln(out, line)
	}
	return poolsync.Prune(ctx, cfg)
}

// summarizePrune prints prune's summary line.
func summarizePrune(w io.Writer, pool string, c poolsync.PruneCounts, dryRun bool) {
	verb := "pruned"
	if dryRun {
		verb = "would be pruned"
	}
	unanswered := ""
	if c.CheckFailed > 0 {
		unanswered = fmt.Sprintf(", %d unanswered", c.CheckFailed)
	}
	fmt.Fprintf(w, "prune %s: %d live ledger items; %d kept (no sub, another pool, or api); %d considered; %s of the last %d days, %d checked in Chat: %d returned%s; %s: %d %s, %d protected, %d refused, %d failed (guard: at most %d)\n",
		pool, c.Live, c.Kept, c.Considered, plural(c.Tombstones, "tombstone", "tombstones"), int(poolsync.ReturnWindow.Hours()/24), c.Checked, c.Returned, unanswered,
		plural(c.Orphans, "orphan", "orphans"), c.Pruned, verb, c.Protected, c.Refused, c.Failed, c.MaxPrune)
}

// errIncomplete is why a prune did not run.
var errIncomplete = errors.New("prune skipped: the pool was not listed completely, so no account is pruned")

package poolsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Prune finds the Chat accounts the ledger holds whose users are no longer
// in the pool (orphans: a delete event that was lost, came before the
// stack, or was never sent) and deletes them: kick, account_delete, then
// the ledger's tombstone.
//
// A live ledger item is an orphan when its Source is not api, its PoolId is
// the pool (or empty), its Sub is set, and no user of the pool has that
// sub. Items without a Sub, of another pool, or from the api are kept.
// Whether a sub is in the pool is asked of InPool, which must answer from
// a complete listing (or a lookup as good as one): a prune never runs on a
// partial one.

// DefaultMaxPrunePercent and MinMaxPrune make the default guard: at most 5%
// of the items prune considers, and at least 10, in one run.
const (
	DefaultMaxPrunePercent = 5
	MinMaxPrune            = 10
)

// ErrTooManyOrphans is Prune's error when more orphans are found than the
// guard allows: none is pruned.
var ErrTooManyOrphans = errors.New("more orphans than the guard allows: none pruned (check the pool and the ledger, then raise -max-prune or use -force)")

// PruneLedger is the ledger as prune uses it: *ledger.Ledger implements it.
type PruneLedger interface {
	Live(ctx context.Context, fn func(chat.Record) error) error
	Tombstone(ctx context.Context, ids []string) error
}

// PruneChat is the part of the Chat client prune uses; *chatapi.Client
// implements it.
type PruneChat interface {
	Kick(ctx context.Context, userID string) (chat.Stats, error)
	DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error)
}

// PruneConfig configures Prune.
type PruneConfig struct {
	Pool   string
	Ledger PruneLedger
	Chat   PruneChat
	// InPool reports whether a user of the pool has r's Sub. It is called
	// only for the items prune considers.
	InPool func(ctx context.Context, r chat.Record) (bool, error)
	// Admin is the app's admin identifier: never pruned (counted
	// protected).
	Admin string
	// MaxPrune caps the accounts one run prunes; 0: the default guard,
	// DefaultMaxPrunePercent of the considered items, at least MinMaxPrune.
	MaxPrune int
	Force    bool // prune however many orphans there are
	DryRun   bool // list the orphans, change nothing
	// OnOrphan, when set, is called once for every orphan with what was
	// done with it.
	OnOrphan func(PruneOutcome)
}

// Prune actions.
const (
	Pruned     Action = "pruned"
	WouldPrune Action = "would-prune" // DryRun
	Protected  Action = "protected"   // the admin identifier
	Refused    Action = "refused"     // the guard refused the run
)

// PruneOutcome is what happened to one orphan.
type PruneOutcome struct {
	Record chat.Record
	Action Action // Pruned, WouldPrune, Protected, Refused or Failed
	Reason string
}

// PruneCounts are a prune's tallies. Every live item is Considered or
// Kept; every considered item whose sub is not in the pool is an Orphan,
// and every orphan is Pruned (or would be, in a dry run), Protected,
// Refused or Failed.
type PruneCounts struct {
	Live       int `json:"live"`
	Considered int `json:"considered"`
	Kept       int `json:"kept"` // no Sub, another pool, or Source api
	Orphans    int `json:"orphans"`
	Pruned     int `json:"pruned"` // a dry run counts what it would prune
	Protected  int `json:"protected"`
	Refused    int `json:"refused"`
	Failed     int `json:"failed"`
	MaxPrune   int `json:"maxPrune"`
	ChatCalls  int `json:"chatCalls"`
}

// considered reports whether prune may act on the live item r of pool.
func considered(r chat.Record, pool string) bool {
	return r.Source != chat.SourceAPI && (r.PoolID == "" || r.PoolID == pool) && r.Sub != ""
}

// Prune reads every live ledger item, finds the orphans, and deletes them
// unless the guard refuses (ErrTooManyOrphans, nothing changed) or
// DryRun is set. Its error is also set when a read of the ledger or of the
// pool failed (then nothing is pruned) or when an orphan could not be
// deleted.
func Prune(ctx context.Context, cfg PruneConfig) (PruneCounts, error) {
	var (
		c       PruneCounts
		orphans []chat.Record
	)
	switch {
	case cfg.Pool == "":
		return c, errors.New("prune: no user pool")
	case cfg.Ledger == nil || cfg.Chat == nil || cfg.InPool == nil:
		return c, errors.New("prune: no ledger, Chat client or pool lookup")
	}
	report := func(r chat.Record, a Action, why string) {
		if cfg.OnOrphan != nil {
			cfg.OnOrphan(PruneOutcome{Record: r, Action: a, Reason: why})
		}
	}
	err := cfg.Ledger.Live(ctx, func(r chat.Record) error {
		c.Live++
		if !considered(r, cfg.Pool) {
			c.Kept++
			return nil
		}
		c.Considered++
		in, err := cfg.InPool(ctx, r)
		if err != nil {
			return fmt.Errorf("look up sub %s in the pool: %w", r.Sub, err)
		}
		if !in {
			orphans = append(orphans, r)
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("prune: nothing pruned: %w", err)
	}
	c.Orphans = len(orphans)
	c.MaxPrune = cfg.MaxPrune
	if c.MaxPrune <= 0 {
		c.MaxPrune = max(MinMaxPrune, (c.Considered*DefaultMaxPrunePercent+99)/100)
	}
	var act []chat.Record
	for _, r := range orphans {
		if (chat.Credentials{Admin: cfg.Admin}).IsAdmin(r.UserID) {
			c.Protected++
			report(r, Protected, "the app's admin identifier is never deleted")
			continue
		}
		act = append(act, r)
	}
	if len(act) > c.MaxPrune && !cfg.Force {
		c.Refused = len(act)
		for _, r := range act {
			report(r, Refused, fmt.Sprintf("%d orphans, more than the guard's %d", len(act), c.MaxPrune))
		}
		return c, ErrTooManyOrphans
	}
	if cfg.DryRun {
		c.Pruned = len(act)
		for _, r := range act {
			report(r, WouldPrune, "")
		}
		return c, nil
	}
	return c, prune(ctx, cfg, act, &c, report)
}

// pruneConcurrency bounds the kicks in flight.
const pruneConcurrency = 8

// prune kicks each account (its UserSigs stop working), deletes them in
// calls of up to 100, and tombstones the ones Chat deleted (or that were
// already gone).
func prune(ctx context.Context, cfg PruneConfig, act []chat.Record, c *PruneCounts, report func(chat.Record, Action, string)) error {
	if len(act) == 0 {
		return nil
	}
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		sem    = make(chan struct{}, pruneConcurrency)
		kicked []chat.Record
		first  error
	)
	for _, r := range act {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st, err := cfg.Chat.Kick(ctx, r.UserID)
			mu.Lock()
			defer mu.Unlock()
			c.ChatCalls += st.Calls
			if err != nil {
				c.Failed++
				first = cmp.Or(first, err)
				report(r, Failed, "kick: "+reason(err))
				return
			}
			kicked = append(kicked, r)
		})
	}
	wg.Wait()
	if len(kicked) == 0 {
		return fmt.Errorf("prune: %w", first)
	}
	ids := make([]string, len(kicked))
	byID := make(map[string]chat.Record, len(kicked))
	for i, r := range kicked {
		ids[i], byID[r.UserID] = r.UserID, r
	}
	res, err := cfg.Chat.DeleteAccounts(ctx, ids)
	c.ChatCalls += res.Calls
	if err != nil {
		c.Failed += len(kicked)
		for _, r := range kicked {
			report(r, Failed, "account_delete: "+reason(err))
		}
		return fmt.Errorf("prune: account_delete: %w", err)
	}
	var gone []string
	for _, it := range res.Items {
		r := byID[it.UserID]
		if it.ResultCode != chat.CodeOK && it.ResultCode != chat.CodeAccountNotFound {
			c.Failed++
			report(r, Failed, "account_delete: "+itemReason(it))
			continue
		}
		gone = append(gone, it.UserID)
	}
	if err := cfg.Ledger.Tombstone(ctx, gone); err != nil {
		// Deleted in Chat, but the ledger still says live: the next
		// prune finds them again, and account_delete answers 70107.
		c.Failed += len(gone)
		for _, id := range gone {
			report(byID[id], Failed, "deleted, but the tombstone could not be written: "+reason(err))
		}
		return fmt.Errorf("prune: tombstone: %w", err)
	}
	c.Pruned += len(gone)
	for _, id := range gone {
		report(byID[id], Pruned, "")
	}
	if c.Failed > 0 {
		return fmt.Errorf("prune: %d orphans not deleted", c.Failed)
	}
	return nil
}

package poolsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
//
// A tombstone can be an orphan too: an account that came back. Chat's SDK
// login registers a UserID it does not know, so an account deleted without
// a kick (in a batch over HTTP or direct invocation) is made again when
// its user logs in with a UserSig issued before the delete. Prune therefore also asks Chat
// (account_check) about the tombstones of the last ReturnWindow that the
// same rule considers, and an account Chat holds again whose sub is not in
// the pool is a returned orphan, deleted like the others; its tombstone is
// kept as it is (see ReturnWindow).

// DefaultMaxPrunePercent and MinMaxPrune make the default guard: at most 5%
// of the items prune considers, and at least 10, in one run.
const (
	DefaultMaxPrunePercent = 5
	MinMaxPrune            = 10
)

// ReturnWindow is how far back prune looks for accounts that came back
// after their delete: 4320h, the longest a UserSig lives (USER_SIG_TTL's
// upper bound, 180 days, the lifetime Tencent's own libraries default to).
// An account can come back only through a login with a UserSig issued
// before its tombstone, since the UserSig function refuses a tombstoned
// UserID; every such UserSig has expired 4320h after DeletedAt, so an older
// tombstone's account can no longer return, and is not asked about.
//
// For the same reason a returned account's tombstone is kept, not
// refreshed: the UserSigs that could bring it back are the ones issued
// before the first delete, whose lifetimes the original DeletedAt bounds
// (and the prune's kick invalidates them besides).
const ReturnWindow = 4320 * time.Hour

// checkBatch is how many recent tombstones are gathered before their
// account_check (calls of 100, made by the Chat client).
const checkBatch = 1000

// ErrTooManyOrphans is Prune's error when more orphans are found than the
// guard allows: none is pruned.
var ErrTooManyOrphans = errors.New("more orphans than the guard allows: none pruned (check the pool and the ledger, then raise -max-prune or use -force)")

// PruneLedger is the ledger as prune uses it: *ledger.Ledger implements it.
type PruneLedger interface {
	Live(ctx context.Context, fn func(chat.Record) error) error
	DeletedSince(ctx context.Context, since time.Time, fn func(chat.Record) error) error
	Tombstone(ctx context.Context, ids []string) error
}

// PruneChat is the part of the Chat client prune uses; *chatapi.Client
// implements it.
type PruneChat interface {
	CheckAccounts(ctx context.Context, ids []string) (chat.CheckResult, error)
	Kick(ctx context.Context, userID string) (chat.Stats, error)
	DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error)
}

// PruneConfig configures Prune.
type PruneConfig struct {
	Pool   string
	Ledger PruneLedger
	Chat   PruneChat
	// InPool reports whether a user of the pool has r's Sub. It is called
	// only for the live items prune considers and for the considered
	// tombstones whose accounts Chat holds.
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
	// done with it, and once for every tombstone Chat could not be asked
	// about (Failed).
	OnOrphan func(PruneOutcome)
	// Now is the clock ReturnWindow counts back from; default time.Now.
	Now func() time.Time
}

// Prune actions.
const (
	Pruned     Action = "pruned"
	WouldPrune Action = "would-prune" // DryRun
	Protected  Action = "protected"   // the admin identifier
	Refused    Action = "refused"     // the guard refused the run
)

// PruneOutcome is what happened to one orphan. A returned orphan's Record
// is its tombstone (DeletedAt set), and its Reason says so.
type PruneOutcome struct {
	Record chat.Record
	Action Action // Pruned, WouldPrune, Protected, Refused or Failed
	Reason string
}

// PruneCounts are a prune's tallies. Every live item is Considered or
// Kept; every considered item whose sub is not in the pool is an orphan.
// Of the Tombstones (those of the last ReturnWindow), the considered ones
// are Checked in Chat; each is Returned (in Chat again, its sub not in the
// pool: an orphan too), CheckFailed (no answer from Chat: left alone), or
// neither. Every orphan, live or returned, is Pruned (or would be, in a
// dry run), Protected, Refused or Failed.
type PruneCounts struct {
	Live        int `json:"live"`
	Considered  int `json:"considered"`
	Kept        int `json:"kept"` // no Sub, another pool, or Source api
	Tombstones  int `json:"tombstones"`
	Checked     int `json:"checked"`
	Returned    int `json:"returned"`
	CheckFailed int `json:"checkFailed"`
	Orphans     int `json:"orphans"` // Returned included
	Pruned      int `json:"pruned"`  // a dry run counts what it would prune
	Protected   int `json:"protected"`
	Refused     int `json:"refused"`
	Failed      int `json:"failed"`
	MaxPrune    int `json:"maxPrune"`
	ChatCalls   int `json:"chatCalls"`
}

// considered reports whether prune may act on the ledger item r of pool.
func considered(r chat.Record, pool string) bool {
	return r.Source != chat.SourceAPI && (r.PoolID == "" || r.PoolID == pool) && r.Sub != ""
}

// pruner is one run of Prune.
type pruner struct {
	cfg PruneConfig
	c   PruneCounts
}

// Prune reads every live ledger item and the recent tombstones, finds the
// orphans, and deletes them unless the guard refuses (ErrTooManyOrphans,
// nothing changed) or DryRun is set. Its error is also set when a read of
// the ledger or of the pool failed (then nothing is pruned), when Chat
// could not say whether a tombstone's account came back (that one is left
// alone, the others are pruned) or when an orphan could not be deleted.
func Prune(ctx context.Context, cfg PruneConfig) (PruneCounts, error) {
	switch {
	case cfg.Pool == "":
		return PruneCounts{}, errors.New("prune: no user pool")
	case cfg.Ledger == nil || cfg.Chat == nil || cfg.InPool == nil:
		return PruneCounts{}, errors.New("prune: no ledger, Chat client or pool lookup")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &pruner{cfg: cfg}
	orphans, err := p.liveOrphans(ctx)
	if err == nil {
		var back []chat.Record
		back, err = p.returned(ctx)
		orphans = append(orphans, back...)
	}
	if err != nil {
		return p.c, fmt.Errorf("prune: nothing pruned: %w", err)
	}
	err = p.act(ctx, orphans)
	if err == nil && p.c.CheckFailed > 0 {
		err = fmt.Errorf("prune: account_check failed for %d recent tombstones: not known whether their accounts came back", p.c.CheckFailed)
	}
	return p.c, err
}

// liveOrphans reads the live items and returns the orphans among them.
func (p *pruner) liveOrphans(ctx context.Context) ([]chat.Record, error) {
	var orphans []chat.Record
	err := p.cfg.Ledger.Live(ctx, func(r chat.Record) error {
		p.c.Live++
		if !considered(r, p.cfg.Pool) {
			p.c.Kept++
			return nil
		}
		p.c.Considered++
		in, err := p.cfg.InPool(ctx, r)
		if err != nil {
			return fmt.Errorf("look up sub %s in the pool: %w", r.Sub, err)
		}
		if !in {
			orphans = append(orphans, r)
		}
		return nil
	})
	return orphans, err
}

// returned reads the tombstones of the last ReturnWindow and returns those
// whose accounts are in Chat again and whose subs are not in the pool.
// Chat is asked first: a tombstone whose account is gone costs its share
// of an account_check call and no pool lookup (which the scheduled sync
// makes in Cognito, one sub at a time).
func (p *pruner) returned(ctx context.Context) ([]chat.Record, error) {
	var back, batch []chat.Record
	flush := func() error {
		found, err := p.check(ctx, batch)
		batch = batch[:0]
		back = append(back, found...)
		return err
	}
	err := p.cfg.Ledger.DeletedSince(ctx, p.cfg.Now().Add(-ReturnWindow), func(r chat.Record) error {
		p.c.Tombstones++
		// A UserID the SDK cannot log in with cannot come back.
		if !considered(r, p.cfg.Pool) || chat.ValidateUserID(r.UserID) != nil {
			return nil
		}
		p.c.Checked++
		if batch = append(batch, r); len(batch) == checkBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	return back, err
}

// check asks Chat about the accounts of the tombstones recs and returns
// those it holds whose subs are not in the pool. A tombstone Chat gives no
// answer for is counted, reported, and left alone.
func (p *pruner) check(ctx context.Context, recs []chat.Record) ([]chat.Record, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.UserID
	}
	res, err := p.cfg.Chat.CheckAccounts(ctx, ids)
	p.c.ChatCalls += res.Calls
	status := make(map[string]chat.ResultItem, len(res.Items))
	for _, it := range res.Items {
		status[it.UserID] = it
	}
	var back []chat.Record
	for _, r := range recs {
		it, ok := status[r.UserID]
		var why string
		switch {
		case err != nil:
			why = "account_check: " + reason(err)
		case !ok:
			why = "account_check gave no result"
		case it.ResultCode != chat.CodeOK:
			why = "account_check: " + itemReason(it)
		case it.AccountStatus != chat.Imported:
			continue // still deleted
		}
		if why != "" {
			p.c.CheckFailed++
			p.emit(r, Failed, why+"; "+deletedOn(r)+", not known whether it came back: left alone")
			continue
		}
		in, err := p.cfg.InPool(ctx, r)
		if err != nil {
			return back, fmt.Errorf("look up sub %s in the pool: %w", r.Sub, err)
		}
		if !in {
			p.c.Returned++
			back = append(back, r)
		}
	}
	return back, nil
}

// act applies the admin rule, the guard and DryRun to the orphans, then
// prunes them.
func (p *pruner) act(ctx context.Context, orphans []chat.Record) error {
	c := &p.c
	c.Orphans = len(orphans)
	c.MaxPrune = p.cfg.MaxPrune
	if c.MaxPrune <= 0 {
		c.MaxPrune = max(MinMaxPrune, (c.Considered*DefaultMaxPrunePercent+99)/100)
	}
	var act []chat.Record
	for _, r := range orphans {
		if (chat.Credentials{Admin: p.cfg.Admin}).IsAdmin(r.UserID) {
			c.Protected++
			p.report(r, Protected, "the app's admin identifier is never deleted")
			continue
		}
		act = append(act, r)
	}
	if len(act) > c.MaxPrune && !p.cfg.Force {
		c.Refused = len(act)
		for _, r := range act {
			p.report(r, Refused, fmt.Sprintf("%d orphans, more than the guard's %d", len(act), c.MaxPrune))
		}
		return ErrTooManyOrphans
	}
	if p.cfg.DryRun {
		c.Pruned = len(act)
		for _, r := range act {
			p.report(r, WouldPrune, "")
		}
		return nil
	}
	return p.prune(ctx, act)
}

// report tells OnOrphan what was done with the orphan r; a returned
// orphan's reason says that it came back.
func (p *pruner) report(r chat.Record, a Action, why string) {
	if !r.Live() {
		note := "returned: in Chat again after its delete (" + deletedOn(r) + ")"
		if why == "" {
			why = note
		} else {
			why += "; " + note
		}
	}
	p.emit(r, a, why)
}

func (p *pruner) emit(r chat.Record, a Action, why string) {
	if p.cfg.OnOrphan != nil {
		p.cfg.OnOrphan(PruneOutcome{Record: r, Action: a, Reason: why})
	}
}

// deletedOn says when the tombstone r was written.
func deletedOn(r chat.Record) string {
	return "tombstone of " + r.DeletedAt.UTC().Format(time.RFC3339)
}

// pruneConcurrency bounds the kicks in flight.
const pruneConcurrency = 8

// prune kicks each account (its UserSigs stop working), deletes them in
// calls of up to 100, and tombstones the live ones Chat deleted (or that
// were already gone); a returned orphan keeps the tombstone it has.
func (p *pruner) prune(ctx context.Context, act []chat.Record) error {
	if len(act) == 0 {
		return nil
	}
	c := &p.c
	ids := make([]string, len(act))
	for i, r := range act {
		ids[i] = r.UserID
	}
	stats, errs := chat.KickEach(ctx, p.cfg.Chat.Kick, ids, pruneConcurrency)
	var (
		kicked []chat.Record
		first  error
	)
	for i, r := range act {
		c.ChatCalls += stats[i].Calls
		if err := errs[i]; err != nil {
			c.Failed++
			first = cmp.Or(first, err)
			p.report(r, Failed, "kick: "+reason(err))
			continue
		}
		kicked = append(kicked, r)
	}
	if len(kicked) == 0 {
		return fmt.Errorf("prune: %w", first)
	}
	ids = make([]string, len(kicked))
	byID := make(map[string]chat.Record, len(kicked))
	for i, r := range kicked {
		ids[i], byID[r.UserID] = r.UserID, r
	}
	res, err := p.cfg.Chat.DeleteAccounts(ctx, ids)
	c.ChatCalls += res.Calls
	if err != nil {
		c.Failed += len(kicked)
		for _, r := range kicked {
			p.report(r, Failed, "account_delete: "+reason(err))
		}
		return fmt.Errorf("prune: account_delete: %w", err)
	}
	var (
		gone, stale []string // deleted; of those, the live items to tombstone
		tombErr     error
	)
	for _, it := range res.Items {
		r := byID[it.UserID]
		if it.ResultCode != chat.CodeOK && it.ResultCode != chat.CodeAccountNotFound {
			c.Failed++
			p.report(r, Failed, "account_delete: "+itemReason(it))
			continue
		}
		gone = append(gone, it.UserID)
		if r.Live() {
			stale = append(stale, it.UserID)
		}
	}
	if len(stale) > 0 {
		if err := p.cfg.Ledger.Tombstone(ctx, stale); err != nil {
			// Deleted in Chat, but the ledger still says live: the next
			// prune finds them again, and account_delete answers 70107.
			c.Failed += len(stale)
			for _, id := range stale {
				p.report(byID[id], Failed, "deleted, but the tombstone could not be written: "+reason(err))
			}
			gone = slices.DeleteFunc(gone, func(id string) bool { return byID[id].Live() })
			tombErr = fmt.Errorf("prune: tombstone: %w", err)
		}
	}
	c.Pruned += len(gone)
	for _, id := range gone {
		p.report(byID[id], Pruned, "")
	}
	switch {
	case tombErr != nil:
		return tombErr
	case c.Failed > 0:
		return fmt.Errorf("prune: %d orphans not deleted", c.Failed)
	}
	return nil
}

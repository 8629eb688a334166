// Package poolsync brings a Cognito user pool and Tencent Cloud Chat into
// step: it lists every user, skips the unconfirmed ones, maps each to a
// Chat account exactly as the import function does, asks Chat which
// accounts exist (account_check, 100 a call) and imports the missing ones
// (multiaccount_import, with Nick and FaceUrl). It never deletes.
//
// Checks come before imports, so a run that was interrupted and is started
// again only imports what is still missing: the sync is idempotent.
//
// The pool is listed as 16 streams, one per first hex digit of the users'
// sub; a stream is read page by page from a pagination token, so a caller
// can stop after any round and hand the token on (see Handler, which does
// so across Lambda invocations).
package poolsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// PagesPerRound is how many pages of a stream are listed before their
// users are checked and imported together: 300 users, three calls of 100.
const PagesPerRound = 5

// Lister lists a pool's users a page at a time; *cognito.Client
// implements it.
type Lister interface {
	ListPage(ctx context.Context, pool, prefix, token string) (cognito.Page, error)
}

// Credentials give the app's admin identifier, which a sync never imports;
// the functions' secret source and chatapi.CredentialsSource implement it.
type Credentials interface {
	Credentials(ctx context.Context) (chat.Credentials, error)
}

// Chat is the part of the Chat client a sync uses; *chatapi.Client
// implements it.
type Chat interface {
	CheckAccounts(ctx context.Context, ids []string) (chat.CheckResult, error)
	ImportAccounts(ctx context.Context, accounts []chat.Account) (chat.ImportResult, error)
}

// ProfileSetter sets the profile fields beyond Nick and FaceUrl
// (PROFILE_ATTRIBUTES) of an account that exists; *chatapi.Client
// implements it. A sync whose Chat implements it sets them on every
// account it imports or, with Profiles, updates.
type ProfileSetter interface {
	SetProfile(ctx context.Context, userID string, items []chat.ProfileItem) (chat.ProfileResult, error)
}

// profileConcurrency bounds the portrait_set calls of one round in flight
// at once; the Chat client's rate limiter paces them.
const profileConcurrency = 8

// Recorder is the ledger as a sync writes it (see pkg/ledger):
// *ledger.Ledger implements it. Record writes the users a round imports;
// Ensure writes those found in Chat only where the ledger does not hold
// them already, so that a sync over a recorded pool reads the ledger but
// does not rewrite it.
type Recorder interface {
	Record(ctx context.Context, recs []chat.Record) error
	Ensure(ctx context.Context, recs []chat.Record) error
}

// Config configures an Engine.
type Config struct {
	Pool  string // the user pool ID
	Users Lister // the pool's users
	Chat  Chat   // the Chat service
	// Credentials give the admin identifier: a user who maps to it is
	// skipped, counted and reported. nil: not checked.
	Credentials Credentials
	Mapping     chat.Mapping // Cognito attributes to Chat account, as the import function maps them

	// Profiles re-imports every mapped user that is already in Chat, so
	// that Nick and FaceUrl changes reach it.
	Profiles bool
	// DryRun makes no import call; the outcomes say what would be done.
	DryRun bool
	// OnOutcome, when set, is called once per listed user, from several
	// goroutines at once.
	OnOutcome func(Outcome)
	// OnListed, when set, is called with the number of users of each page
	// as soon as it is listed, before their checks (a progress bar moves
	// with it), from several goroutines at once.
	OnListed func(n int)
	// OnUser, when set, is called with every listed user, whatever its
	// status, from several goroutines at once: prune learns the pool's subs
	// from it.
	OnUser func(cognito.User)
	// Ledger, when set, records every mapped user found in Chat (where
	// the ledger lacks it) or imported (Source sync), side by side with
	// the imports. A failed
	// write fails the round, as a refused import would, so that running
	// again (or the queue's redelivery) writes it.
	Ledger Recorder
	// PagesPerRound is how many pages a stream lists before checking and
	// importing their users; default PagesPerRound.
	PagesPerRound int
}

// Engine runs syncs. It is safe for concurrent use.
type Engine struct {
	cfg Config
}

// New returns an Engine for cfg.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Pool == "":
		return nil, errors.New("poolsync: no user pool")
	case cfg.Users == nil:
		return nil, errors.New("poolsync: no user lister")
	case cfg.Chat == nil:
		return nil, errors.New("poolsync: no Chat client")
	}
	if cfg.PagesPerRound <= 0 {
		cfg.PagesPerRound = PagesPerRound
	}
	return &Engine{cfg: cfg}, nil
}

// Action is what a sync did, or would do, with one user.
type Action string

// Actions of an Outcome.
const (
	Imported    Action = "imported"         // new in Chat
	Updated     Action = "updated"          // already in Chat, profile re-sent (Profiles)
	Exists      Action = "exists"           // already in Chat, left alone
	WouldImport Action = "would-import"     // DryRun: missing from Chat
	WouldUpdate Action = "would-update"     // DryRun with Profiles: in Chat, profile would be re-sent
	Unconfirmed Action = "skip-unconfirmed" // UNCONFIRMED: not synced
	Unmappable  Action = "unmappable"       // no usable UserID: reported, never guessed
	AdminUser   Action = "skip-admin"       // maps to the app's admin identifier: never imported
	Failed      Action = "failed"           // the check or the import failed
)

// Outcome is what happened to one listed user.
type Outcome struct {
	UserID   string // "" when unmappable
	Username string // the Cognito username
	Action   Action
	Reason   string // why it failed or was unmappable
	Dropped  []string

	// ProfileRefused names the profile fields (PROFILE_ATTRIBUTES) Chat
	// refused, "Tag (code N)"; ProfileError says why none could be set
	// after the account was imported or updated ("" when they were).
	ProfileRefused []string
	ProfileError   string
}

// Counts are a sync's tallies. Every listed user lands in exactly one of
// SkippedUnconfirmed, SkippedUnmappable, SkippedAdmin, Imported,
// AlreadyInChat, Failed
// (a dry run counts what it would import under Imported).
type Counts struct {
	Listed             int `json:"listed"`
	SkippedUnconfirmed int `json:"skippedUnconfirmed"`
	SkippedUnmappable  int `json:"skippedUnmappable"`
	SkippedAdmin       int `json:"skippedAdmin"` // users who map to the app's admin identifier
	AlreadyInChat      int `json:"alreadyInChat"`
	Imported           int `json:"imported"`
	Updated            int `json:"updated"` // of AlreadyInChat, re-imported for their profile
	Failed             int `json:"failed"`
	ProfileFailed      int `json:"profileFailed"` // of Imported and Updated, accounts whose profile fields could not be set
	Pages              int `json:"pages"`
	ChatCalls          int `json:"chatCalls"`
}

// Add returns the sum of c and o.
func (c Counts) Add(o Counts) Counts {
	return Counts{
		Listed:             c.Listed + o.Listed,
		SkippedUnconfirmed: c.SkippedUnconfirmed + o.SkippedUnconfirmed,
		SkippedUnmappable:  c.SkippedUnmappable + o.SkippedUnmappable,
		SkippedAdmin:       c.SkippedAdmin + o.SkippedAdmin,
		AlreadyInChat:      c.AlreadyInChat + o.AlreadyInChat,
		Imported:           c.Imported + o.Imported,
		Updated:            c.Updated + o.Updated,
		Failed:             c.Failed + o.Failed,
		ProfileFailed:      c.ProfileFailed + o.ProfileFailed,
		Pages:              c.Pages + o.Pages,
		ChatCalls:          c.ChatCalls + o.ChatCalls,
	}
}

// Run syncs the whole pool: its 16 streams side by side, each to its end.
// On an error (or when ctx ends) it stops every stream and returns the
// counts so far with the first error; running again finishes the job.
func (e *Engine) Run(ctx context.Context) (Counts, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		total Counts
		first error
		wg    sync.WaitGroup
	)
	for _, prefix := range cognito.Prefixes() {
		wg.Go(func() {
			_, c, err := e.Stream(ctx, prefix, "", nil)
			mu.Lock()
			defer mu.Unlock()
			total = total.Add(c)
			if err != nil && first == nil {
				first = err
				cancel()
			}
		})
	}
	wg.Wait()
	return total, first
}

// Stream syncs the stream of users whose sub starts with prefix, from the
// page token ("" for the first), round by round (PagesPerRound pages, then
// their checks and imports). After each round it calls stop, if set: when
// stop returns true it returns the token of the next page. The token is ""
// when the stream is done. On an error it returns the token the failed round
// started from, so that nothing is skipped when it is retried.
//
// A round's ledger write (see Config.Ledger) is still in flight while the
// next round is listed; the round counts as done only once it succeeded, so
// a failed write returns the token of the round it records.
func (e *Engine) Stream(ctx context.Context, prefix, token string, stop func() bool) (next string, c Counts, err error) {
	pending, pendingStart := noWait, token // the previous round's ledger write
	finish := func(next string, err error) (string, Counts, error) {
		if lerr := pending(); lerr != nil {
			return pendingStart, c, lerr
		}
		return next, c, err
	}
	for {
		roundStart := token
		var users []cognito.User
		for range e.cfg.PagesPerRound {
			p, err := e.cfg.Users.ListPage(ctx, e.cfg.Pool, prefix, token)
			if err != nil {
				return finish(roundStart, err)
			}
			c.Pages++
			if e.cfg.OnListed != nil {
				e.cfg.OnListed(len(p.Users))
			}
			users = append(users, p.Users...)
			token = p.Next
			if token == "" {
				break
			}
		}
		rc, wait, err := e.users(ctx, users)
		c = c.Add(rc)
		if err != nil {
			wait()
			return finish(roundStart, err)
		}
		if lerr := pending(); lerr != nil {
			wait()
			return pendingStart, c, lerr
		}
		pending, pendingStart = wait, roundStart
		if token == "" {
			return finish("", nil)
		}
		if stop != nil && stop() {
			return finish(token, nil)
		}
		if err := ctx.Err(); err != nil {
			return finish(token, err)
		}
	}
}

// candidate is a mapped user.
type candidate struct {
	user    cognito.User
	account chat.Account
	profile []chat.ProfileItem
	dropped []string
}

// Users syncs a list of users: skips, maps, checks and imports them. Its
// error is a refusal of the whole list by the Chat client, which no retry
// fixes; failures of single users are counted and reported.
func (e *Engine) Users(ctx context.Context, users []cognito.User) (Counts, error) {
	c, wait, err := e.users(ctx, users)
	return c, cmp.Or(err, wait())
}

// users is Users, with the ledger's write still in flight when it returns:
// wait (which may be called more than once) waits for it and returns its
// error, so that a stream can list its next round meanwhile.
func (e *Engine) users(ctx context.Context, users []cognito.User) (c Counts, wait func() error, err error) {
	c = Counts{Listed: len(users)}
	wait = noWait
	var creds chat.Credentials
	if e.cfg.Credentials != nil {
		if creds, err = e.cfg.Credentials.Credentials(ctx); err != nil {
			return c, wait, fmt.Errorf("read the Chat credentials: %w", err)
		}
	}
	var cands []candidate
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if e.cfg.OnUser != nil {
			e.cfg.OnUser(u)
		}
		if u.Status == cognito.StatusUnconfirmed {
			c.SkippedUnconfirmed++
			e.report(Outcome{Username: u.Username, Action: Unconfirmed})
			continue
		}
		a, dropped, err := e.cfg.Mapping.Account(u.Username, u.Attributes)
		if err == nil && seen[a.UserID] {
			err = errors.New("another user of the pool maps to the same UserID")
		}
		if err != nil {
			c.SkippedUnmappable++
			e.report(Outcome{Username: u.Username, UserID: "", Action: Unmappable, Reason: "no usable UserID: " + reason(err)})
			continue
		}
		if creds.IsAdmin(a.UserID) {
			c.SkippedAdmin++
			e.report(Outcome{Username: u.Username, UserID: a.UserID, Action: AdminUser, Reason: chat.ErrAdminAccount.Info})
			continue
		}
		seen[a.UserID] = true
		items, pdropped := e.cfg.Mapping.ProfileItems(u.Attributes)
		cands = append(cands, candidate{user: u, account: a, profile: items, dropped: append(dropped, pdropped...)})
	}
	if len(cands) == 0 {
		return c, wait, nil
	}
	ids := make([]string, len(cands))
	for i, cd := range cands {
		ids[i] = cd.account.UserID
	}
	res, err := e.cfg.Chat.CheckAccounts(ctx, ids)
	if err != nil {
		return c, wait, fmt.Errorf("account_check: %w", err)
	}
	c.ChatCalls += res.Calls
	status := make(map[string]chat.ResultItem, len(res.Items))
	for _, it := range res.Items {
		status[it.UserID] = it
	}
	var (
		send        []candidate
		accounts    []chat.Account
		found, news []chat.Record // the users found in Chat, and those to be imported
	)
	record := func(to *[]chat.Record, cd candidate) {
		*to = append(*to, chat.Record{UserID: cd.account.UserID, Sub: cd.user.Attributes["sub"], Username: cd.user.Username, PoolID: e.cfg.Pool, Source: chat.SourceSync})
	}
	for _, cd := range cands {
		it, ok := status[cd.account.UserID]
		switch {
		case !ok:
			c.Failed++
			e.report(e.outcome(cd, Failed, "account_check gave no result"))
		case it.ResultCode != chat.CodeOK:
			c.Failed++
			e.report(e.outcome(cd, Failed, "account_check: "+itemReason(it)))
		case it.AccountStatus == chat.Imported:
			c.AlreadyInChat++
			record(&found, cd)
			if !e.cfg.Profiles {
				e.report(e.outcome(cd, Exists, ""))
				continue
			}
			send, accounts = append(send, cd), append(accounts, cd.account)
		default:
			record(&news, cd)
			send, accounts = append(send, cd), append(accounts, cd.account)
		}
	}
	if !e.cfg.DryRun && e.cfg.Ledger != nil {
		wait = e.recordAlongside(ctx, news, found)
	}
	if len(send) == 0 {
		return c, wait, nil
	}
	exists := func(cd candidate) bool { return status[cd.account.UserID].AccountStatus == chat.Imported }
	if e.cfg.DryRun {
		for _, cd := range send {
			if exists(cd) {
				c.Updated++
				e.report(e.outcome(cd, WouldUpdate, ""))
			} else {
				c.Imported++
				e.report(e.outcome(cd, WouldImport, ""))
			}
		}
		return c, wait, nil
	}
	imp, err := e.cfg.Chat.ImportAccounts(ctx, accounts)
	if err != nil {
		return c, wait, fmt.Errorf("multiaccount_import: %w", err)
	}
	c.ChatCalls += imp.Calls
	failed := make(map[string]bool, len(imp.FailAccounts))
	for _, id := range imp.FailAccounts {
		failed[id] = true
	}
	why := "multiaccount_import: Chat listed it in FailAccounts"
	if err := imp.Err(); err != nil {
		why = reason(err)
	}
	outs := make([]Outcome, len(send))
	for i, cd := range send {
		switch {
		case failed[cd.account.UserID]:
			if exists(cd) {
				c.AlreadyInChat-- // counted once, as a failure
			}
			c.Failed++
			outs[i] = e.outcome(cd, Failed, why)
		case exists(cd):
			c.Updated++
			outs[i] = e.outcome(cd, Updated, "")
		default:
			c.Imported++
			outs[i] = e.outcome(cd, Imported, "")
		}
	}
	pc := e.profiles(ctx, send, outs)
	c.ChatCalls += pc.ChatCalls
	c.ProfileFailed += pc.ProfileFailed
	for _, o := range outs {
		e.report(o)
	}
	return c, wait, nil
}

// profiles sets the profile fields of the accounts of send that were
// imported or updated, recording in outs what Chat refused or why none
// could be set. A profile field never fails the account.
func (e *Engine) profiles(ctx context.Context, send []candidate, outs []Outcome) Counts {
	ps, ok := e.cfg.Chat.(ProfileSetter)
	if !ok || len(e.cfg.Mapping.Profile) == 0 {
		return Counts{}
	}
	var (
		mu  sync.Mutex
		c   Counts
		wg  sync.WaitGroup
		sem = make(chan struct{}, profileConcurrency)
	)
	for i, cd := range send {
		if len(cd.profile) == 0 || outs[i].Action == Failed {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := ps.SetProfile(ctx, cd.account.UserID, cd.profile)
			outs[i].ProfileRefused = res.RefusedTags()
			if err != nil {
				outs[i].ProfileError = "portrait_set: " + reason(err)
			}
			mu.Lock()
			defer mu.Unlock()
			c.ChatCalls += res.Calls
			if err != nil {
				c.ProfileFailed++
			}
		})
	}
	wg.Wait()
	return c
}

// recordAlongside starts writing a round's users to the ledger, those to
// be imported (news, Record) and those found in Chat (found, Ensure), and
// returns the wait for both (nil error at once when there is nothing to
// write).
func (e *Engine) recordAlongside(ctx context.Context, news, found []chat.Record) func() error {
	if len(news)+len(found) == 0 {
		return noWait
	}
	var g errgroup.Group
	if len(news) > 0 {
		g.Go(func() error { return e.cfg.Ledger.Record(ctx, news) })
	}
	if len(found) > 0 {
		g.Go(func() error { return e.cfg.Ledger.Ensure(ctx, found) })
	}
	return sync.OnceValue(func() error {
		if err := g.Wait(); err != nil {
			return fmt.Errorf("the ledger could not record %d users: %w", len(news)+len(found), err)
		}
		return nil
	})
}

func noWait() error { return nil }

func (e *Engine) outcome(cd candidate, a Action, why string) Outcome {
	return Outcome{UserID: cd.account.UserID, Username: cd.user.Username, Action: a, Reason: why, Dropped: cd.dropped}
}

func (e *Engine) report(o Outcome) {
	if e.cfg.OnOutcome != nil {
		e.cfg.OnOutcome(o)
	}
}

// reason is an error's text on one line.
func reason(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func itemReason(it chat.ResultItem) string {
	if it.ResultInfo == "" {
		return fmt.Sprintf("code %d", it.ResultCode)
	}
	return fmt.Sprintf("code %d: %s", it.ResultCode, strings.Join(strings.Fields(it.ResultInfo), " "))
}

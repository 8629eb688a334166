package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// syncUsage is the help of chatsync sync.
var syncUsage = usage{synopsis: "chatsync sync -user-pool-id POOL [-dry-run] [-profiles] [-prune [-max-prune N] [-force]] [-adopt FILE] [-ledger-table TABLE] [-report FILE] [-v] [backend flags]", flags: flagsOf(syncFlags), backend: true, description: `
Sync brings every user of a Cognito user pool into Tencent Cloud Chat: the
users the post-confirmation trigger missed (signed up before the stack,
created by an admin, imported from CSV, federated, lost imports).

It lists the pool as 16 parallel streams (by the first hex digit of each
user's sub), 60 users a page, under one limiter that keeps ListUsers below
Cognito's quota of 30 requests a second; skips UNCONFIRMED users; maps each
user to a UserID as the import function does (USER_ID_ATTRIBUTE,
NICK_ATTRIBUTE, FACE_URL_ATTRIBUTE); asks Chat which accounts exist
(account_check, 100 a call) and imports the missing ones with their Nick and
FaceUrl (multiaccount_import). Run again after an interruption, it
finishes the job: checks come before imports.

With the ledger (-ledger-table TABLE, or env LEDGER_TABLE) every user found
in Chat or imported is recorded in it, and two more steps can follow the
listing:

  -adopt FILE  UserIDs made before the stack, one a line: those that exist in
               Chat (account_check) are recorded as adopted, with the sub of
               the pool user that maps to them (or, with the sub mapping, the
               sub the UserID spells), so that prune can reach them; never
               the admin identifier (listed as protected)
  -prune       after a COMPLETE listing, deletes the orphans: the account
               of every live ledger item whose sub is not in the pool (kick,
               account_delete, tombstone), and every account that returned
               after its delete (a tombstone of the last 180 days, its sub
               not in the pool, whose account Chat holds again: an SDK login
               with a UserSig made before the delete registers it anew;
               kick, account_delete, the tombstone stays). Items without a
               sub, of another pool, or from the HTTP API / direct
               invocation are kept. Never the admin identifier. A listing
               that fails prunes nothing.
  -max-prune N at most N orphans in one run (default: 5% of the items
               prune considers, at least 10); more, and the whole prune is
               refused (exit 1) unless -force

  -profiles  also re-imports users already in Chat, to update Nick/FaceUrl
             and the PROFILE_ATTRIBUTES fields (set with portrait_set on
             every account imported or updated)
  -dry-run   makes no import call, records nothing, prunes nothing, and says
             what it would do

Output: a progress bar on stderr when it is a terminal (or with -progress);
a summary on stderr; on stdout one line per failure,
"UserID<TAB>failed<TAB>reason", and one per user with no usable UserID,
"USERNAME<TAB>unmappable<TAB>reason", "UserID<TAB>profile-refused<TAB>tags"
for profile fields Chat refused and "UserID<TAB>profile-failed<TAB>reason"
when none could be set (with -v, one line per user:
"UserID<TAB>imported|exists|updated|would-import|would-update", and
"USERNAME<TAB>skip-unconfirmed"); with -prune, one line per orphan,
"UserID<TAB>pruned|would-prune|protected|refused|failed[<TAB>reason]" (a
returned account's reason says "returned: ..."), and one per recent
tombstone that account_check could not answer for,
"UserID<TAB>failed<TAB>account_check: ...". -report FILE writes the
summary as JSON.
Exit status: 0 when nothing failed, 1 when something failed or the run was
cut short, 2 for a usage error.

AWS credentials, region and endpoint come from the SDK's usual chain
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...); it needs
cognito-idp:ListUsers and cognito-idp:DescribeUserPool on the pool, and
with the ledger dynamodb:PutItem, BatchWriteItem, UpdateItem and Scan on
its table.`,
}

type syncOptions struct {
	backend  backendFlags
	pool     string
	dryRun   bool
	profiles bool
	report   string
	verbose  bool
	progress bool
	listRate float64
	timeout  time.Duration
	rec      reconcileOptions
}

func syncFlags() (*flag.FlagSet, *syncOptions) {
	o := &syncOptions{}
	fs := backendFlagSet("sync", &o.backend)
	fs.StringVar(&o.pool, "user-pool-id", "", "the Cognito user pool `ID` to sync (required)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "make no import call; say what would be imported")
	fs.BoolVar(&o.profiles, "profiles", false, "re-import users already in Chat, to update their Nick, FaceUrl and PROFILE_ATTRIBUTES fields")
	fs.StringVar(&o.report, "report", "", "write the summary as JSON to `FILE`")
	fs.BoolVar(&o.verbose, "v", false, "print every user's outcome, not only failures")
	fs.BoolVar(&o.progress, "progress", false, "draw the progress bar even when stderr is not a terminal")
	fs.Float64Var(&o.listRate, "list-rate", cognito.DefaultListRate, "ListUsers requests a `second`, for all streams together (Cognito's quota is 30)")
	fs.DurationVar(&o.timeout, "timeout", 12*time.Hour, "give up after this long")
	fs.StringVar(&o.rec.table, "ledger-table", "", "the ledger's DynamoDB `TABLE` (env LEDGER_TABLE)")
	fs.BoolVar(&o.rec.prune, "prune", false, "delete the accounts of ledger items whose users are not in the pool")
	fs.IntVar(&o.rec.maxPrune, "max-prune", 0, "prune at most `N` accounts, else none (0: 5% of the items considered, at least 10)")
	fs.BoolVar(&o.rec.force, "force", false, "with -prune: prune however many orphans there are")
	fs.StringVar(&o.rec.adopt, "adopt", "", "record the UserIDs in `FILE` (one a line) that exist in Chat as adopted")
	return fs, o
}

// syncReport is the JSON that -report writes.
type syncReport struct {
	UserPoolID string                `json:"userPoolId"`
	DryRun     bool                  `json:"dryRun"`
	Profiles   bool                  `json:"profiles"`
	Complete   bool                  `json:"complete"` // every stream was listed to its end
	Counts     poolsync.Counts       `json:"counts"`
	Adopt      *adoptCounts          `json:"adopt,omitempty"`
	Prune      *poolsync.PruneCounts `json:"prune,omitempty"`
	Seconds    float64               `json:"seconds"`
	Error      string                `json:"error,omitempty"`
}

func (c *cli) sync(ctx context.Context, args []string) error {
	fs, o, pos, err := parseFlags(args, syncFlags)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case strings.TrimSpace(o.pool) == "":
		return usagef("-user-pool-id is required")
	case o.listRate <= 0 || o.listRate > 30:
		return usagef("-list-rate %v: want more than 0 and at most 30 (Cognito's ListUsers quota)", o.listRate)
	case o.timeout <= 0:
		return usagef("-timeout must be positive")
	}
	table, err := c.ledgerTable(&o.rec)
	if err != nil {
		return err
	}
	var adoptIDs []string
	if o.rec.adopt != "" {
		if adoptIDs, err = readAdoptFile(o.rec.adopt); err != nil {
			return err
		}
	}
	remote, err := o.backend.remote(wasSet(fs), c.getenv)
	if err != nil {
		return err
	}
	if err := requireRemote("sync", remote, o.backend.emulator); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	awsCfg, err := c.awsConfig(ctx, "sync")
	if err != nil {
		return err
	}
	mapping, err := c.mapping()
	if err != nil {
		return err
	}
	users := cognito.New(cip.NewFromConfig(awsCfg), cognito.Options{ListRate: o.listRate})
	stack, err := c.startStack(ctx, remote, c.warnLogger(), "")
	if err != nil {
		return err
	}
	defer stack.Close()
	c.noteEmulator(stack, "the emulator lives in this process only: no real account changes")
	if o.dryRun {
		fmt.Fprintln(c.stderr, "dry run: no account is imported")
	}

	var bar *progress
	if o.progress || isTerminal(c.stderr) {
		total, err := users.EstimatedUsers(ctx, o.pool)
		if err != nil {
			return err
		}
		bar = newProgress(c.stderr, "sync", total)
	}
	out := &syncOutput{w: c.stdout, verbose: o.verbose, bar: bar}
	index := newPoolIndex(mapping, o.rec.prune, adoptIDs)
	scfg := poolsync.Config{
		Pool: o.pool, Users: users, Chat: stack.Client, Credentials: stack.Credentials(), Mapping: mapping,
		Profiles: o.profiles, DryRun: o.dryRun, OnOutcome: out.outcome, OnListed: out.listed,
	}
	var led *ledger.Ledger
	if table != "" {
		led = openLedger(awsCfg, table)
		scfg.Ledger, scfg.OnUser = led, index.listed
	}
	eng, err := poolsync.New(scfg)
	if err != nil {
		return err
	}
	start := time.Now()
	counts, runErr := eng.Run(ctx)
	out.finish()
	rep := syncReport{UserPoolID: o.pool, DryRun: o.dryRun, Profiles: o.profiles, Complete: runErr == nil, Counts: counts, Seconds: time.Since(start).Seconds()}
	if runErr != nil {
		rep.Error = runErr.Error()
		switch {
		case errors.Is(runErr, context.DeadlineExceeded):
			rep.Error = fmt.Sprintf("the -timeout of %s ran out before the end: run sync again to finish", o.timeout)
		case errors.Is(runErr, context.Canceled):
			rep.Error = "interrupted before the end: run sync again to finish"
		}
		if pending := out.listedCount() - counts.Listed; pending > 0 {
			rep.Error += fmt.Sprintf(" (%s listed but not yet checked when it stopped; the next run checks them)", plural(pending, "user was", "users were"))
		}
		fmt.Fprintf(c.stderr, "error: %s\n", rep.Error)
	}
	summarizeSync(c.stderr, rep)
	var recErr error
	if led != nil && runErr == nil {
		recErr = c.reconcile(ctx, stack, led, index, o, adoptIDs, &rep)
	} else if runErr != nil && (o.rec.prune || len(adoptIDs) > 0) {
		fmt.Fprintf(c.stderr, "%v (%s)\n", errIncomplete, rep.Error)
	}
	if o.report != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.report, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	if runErr != nil || recErr != nil || counts.Failed > 0 || counts.ProfileFailed > 0 {
		return errReported
	}
	return nil
}

// reconcile runs -adopt and then -prune after a complete listing, printing
// their outcomes and summaries into rep and on stderr.
func (c *cli) reconcile(ctx context.Context, stack *local.Stack, led *ledger.Ledger, index *poolIndex, o *syncOptions, adoptIDs []string, rep *syncReport) error {
	creds, err := stack.Credentials().Credentials(ctx)
	if err != nil {
		return fmt.Errorf("the Chat credentials: %w", err)
	}
	var errs []error
	if len(adoptIDs) > 0 {
		ad := adoption{chat: stack.Client, ledger: led, index: index, pool: o.pool, admin: creds.Admin, dryRun: o.dryRun, out: c.stdout}
		ac, err := ad.adopt(ctx, adoptIDs)
		rep.Adopt = &ac
		verb := "adopted"
		if o.dryRun {
			verb = "would be adopted"
		}
		protected := ""
		if ac.Protected > 0 {
			protected = fmt.Sprintf("; %d protected (the app's admin identifier)", ac.Protected)
		}
		fmt.Fprintf(c.stderr, "adopt: %d given; %d %s (%d with a sub); %d not in Chat%s; %d failed\n", ac.Given, ac.Adopted, verb, ac.WithSub, ac.NotFound, protected, ac.Failed)
		if err != nil {
			fmt.Fprintf(c.stderr, "error: %v\n", err)
			errs = append(errs, err)
		} else if ac.Failed > 0 {
			errs = append(errs, errReported)
		}
	}
	if !o.rec.prune {
		return errors.Join(errs...)
	}
	pc, err := prunePool(ctx, poolsync.PruneConfig{
		Pool: o.pool, Ledger: led, Chat: stack.Client, InPool: index.inPool, Admin: creds.Admin,
		MaxPrune: o.rec.maxPrune, Force: o.rec.force, DryRun: o.dryRun,
	}, c.stdout)
	rep.Prune = &pc
	summarizePrune(c.stderr, o.pool, pc, o.dryRun)
	if err != nil {
		fmt.Fprintf(c.stderr, "error: %v\n", err)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// summarizeSync prints the summary line.
func summarizeSync(w io.Writer, r syncReport) {
	c := r.Counts
	act := fmt.Sprintf("%d imported", c.Imported)
	if r.DryRun {
		act = fmt.Sprintf("%d would be imported", c.Imported)
	}
	if r.Profiles {
		verb := "updated"
		if r.DryRun {
			verb = "would be updated"
		}
		act += fmt.Sprintf(", %d %s", c.Updated, verb)
	}
	if c.ProfileFailed > 0 {
		act += fmt.Sprintf(", %d without their profile fields", c.ProfileFailed)
	}
	admin := ""
	if c.SkippedAdmin > 0 {
		admin = fmt.Sprintf(", %d the app's admin identifier", c.SkippedAdmin)
	}
	fmt.Fprintf(w, "sync %s: %d listed; skipped %d unconfirmed, %d unmappable%s; %d already in Chat; %s; %d failed (%s, %s, %s)\n",
		r.UserPoolID, c.Listed, c.SkippedUnconfirmed, c.SkippedUnmappable, admin, c.AlreadyInChat, act, c.Failed,
		plural(c.Pages, "page", "pages"), plural(c.ChatCalls, "Chat call", "Chat calls"), round(time.Duration(r.Seconds*float64(time.Second))))
}

// syncOutput prints outcomes as they come, from the sync's goroutines.
type syncOutput struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	bar     *progress
	nListed int // users on the pages listed so far
}

func (s *syncOutput) outcome(o poolsync.Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	who := o.UserID
	if who == "" {
		who = o.Username
	}
	switch {
	case o.Action == poolsync.Failed || o.Action == poolsync.Unmappable || o.Action == poolsync.AdminUser:
		fmt.Fprintf(s.w, "%s\t%s\t%s\n", who, o.Action, strings.ReplaceAll(o.Reason, "\t", " "))
	case s.verbose:
		fmt.Fprintf(s.w, "%s\t%s\n", who, o.Action)
	}
	if len(o.ProfileRefused) > 0 {
		fmt.Fprintf(s.w, "%s\tprofile-refused\t%s\n", who, strings.Join(o.ProfileRefused, ", "))
	}
	if o.ProfileError != "" {
		fmt.Fprintf(s.w, "%s\tprofile-failed\t%s\n", who, strings.ReplaceAll(o.ProfileError, "\t", " "))
	}
}

// listed moves the bar by a page's users as soon as the page is listed.
func (s *syncOutput) listed(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nListed += n
	s.bar.add(n)
}

// listedCount returns how many users the pages listed so far held.
func (s *syncOutput) listedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nListed
}

func (s *syncOutput) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bar.finish()
}

// mapping reads USER_ID_ATTRIBUTE, NICK_ATTRIBUTE, FACE_URL_ATTRIBUTE and
// PROFILE_ATTRIBUTES, as the functions do; a bad PROFILE_ATTRIBUTES is a
// usage error.
func (c *cli) mapping() (chat.Mapping, error) {
	m := config.LoadMapping(c.getenv)
	var err error
	if m.Profile, err = config.ProfileFields(c.getenv(config.EnvProfileAttributes)); err != nil {
		return m, usagef("%v", err)
	}
	return m, nil
}

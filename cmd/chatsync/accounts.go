package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

// sliceSize is how many UserIDs accounts hands the client at once: four
// calls of 100, which the client runs in parallel, between progress
// updates.
const sliceSize = 4 * chat.MaxPerCall

// accountsUsage is the help of chatsync accounts.
var accountsUsage = usage{synopsis: "chatsync accounts [flags] import|delete|check [USERID...|-]", flags: flagsOf(accountsFlags), backend: true, description: `
Accounts imports, deletes or checks Chat accounts by UserID, for operators.
The UserIDs come from the arguments, from -f FILE, or from stdin ("-" as an
argument, or -f -): one per line; blank lines and lines starting with # are
ignored. Every UserID is checked before the first call, and repeated ones
are sent once. The app's admin identifier is never imported or deleted.
The client sends them in calls of 100 (Tencent's limit), within Tencent's
rate caps, retrying transient errors.

  import  creates the accounts (no Nick or FaceUrl); an existing one is a success
  delete  kicks each account (its UserSigs stop working, so no old one can log
          in and register it again), then deletes them; one that does not
          exist (70107) counts as deleted. Deleted UserIDs cannot be imported
          again for 3 months on paid editions.
  check   prints "UserID<TAB>Imported" or "UserID<TAB>NotImported" for each

Failures are printed on stdout as "UserID<TAB>failed<TAB>reason" (with -v
every outcome is), and a summary on stderr. A progress bar is drawn on
stderr for more than 200 UserIDs when stderr is a terminal, or always with
-progress. The exit status is 1 when any account failed.

With the ledger (-ledger-table TABLE, or env LEDGER_TABLE), import records
the accounts (source api) and clears their tombstones, and delete writes
their tombstones first, so that the UserSig function refuses them, as the
stack's own imports and deletes do.

It needs the real service (see the backend flags): it refuses to run on the
emulator unless -emulator says so, so that nobody thinks real accounts
changed. The emulator starts empty for each command and forgets everything
at exit: -seed IDS creates accounts in it first, so that check and delete
can be tried.`,
}

type accountsOptions struct {
	backend  backendFlags
	file     string
	progress bool
	verbose  bool
	timeout  time.Duration
	seed     string
	table    string
}

func accountsFlags() (*flag.FlagSet, *accountsOptions) {
	o := &accountsOptions{}
	fs := backendFlagSet("accounts", &o.backend)
	fs.StringVar(&o.file, "f", "", "read UserIDs from `FILE`, one per line (- for stdin)")
	fs.BoolVar(&o.progress, "progress", false, "draw the progress bar even when stderr is not a terminal")
	fs.BoolVar(&o.verbose, "v", false, "print every account's outcome, not only failures")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up on calls not done after this long")
	fs.StringVar(&o.seed, "seed", "", "with -emulator: `IDS` (comma-separated) to create in the emulator first, so that check or delete have accounts to find")
	fs.StringVar(&o.table, "ledger-table", "", "the ledger table `NAME` (env LEDGER_TABLE): import records the accounts, delete tombstones them")
	return fs, o
}

func (c *cli) accounts(ctx context.Context, args []string) error {
	fs, o, pos, err := parseFlags(args, accountsFlags)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want an operation: import, delete or check")
	}
	op := pos[0]
	if op != "import" && op != "delete" && op != "check" {
		return usagef("unknown operation %q: want import, delete or check", op)
	}
	if o.timeout <= 0 {
		return usagef("-timeout must be positive")
	}
	ids, err := c.collectIDs(pos[1:], o.file)
	if err != nil {
		return err
	}
	table := strings.TrimSpace(o.table)
	if table == "" {
		table = strings.TrimSpace(c.getenv(config.EnvLedgerTable))
	}
	if err := config.LedgerTable(table); err != nil {
		return usagef("%s", strings.Replace(err.Error(), config.EnvLedgerTable, "-ledger-table", 1))
	}
	remote, seed, err := c.remoteAndSeed(fs, &o.backend, o.seed)
	if err != nil {
		return err
	}
	if err := requireRemote("accounts", remote, o.backend.emulator); err != nil {
		return err
	}
	stack, err := c.startStack(ctx, remote, c.warnLogger(), "")
	if err != nil {
		return err
	}
	defer stack.Close()
	if c.noteEmulator(stack, "the emulator lives in this process only (empty but for -seed): no real account changes") {
		stack.Emulator.Seed(seed...)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if op != "check" {
		creds, err := stack.Credentials().Credentials(ctx)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(ids, creds.IsAdmin); i >= 0 {
			return usagef("UserID %q is the app's admin identifier: chatsync never imports or deletes it", ids[i])
		}
	}
	t := &tally{op: op, verbose: o.verbose, w: c.stdout, start: time.Now()}
	if table != "" && op != "check" {
		awsCfg, err := c.awsConfig(ctx, "accounts -ledger-table")
		if err != nil {
			return err
		}
		t.ledger = openLedger(awsCfg, table)
	}

	var bar *progress
	if o.progress || (len(ids) > progressThreshold && isTerminal(c.stderr)) {
		bar = newProgress(c.stderr, op, len(ids))
	}
	for lo := 0; lo < len(ids); lo += sliceSize {
		if ctx.Err() != nil {
			t.skipped = len(ids) - lo
			break
		}
		batch := ids[lo:min(lo+sliceSize, len(ids))]
		if err := t.run(ctx, stack.Client, batch); err != nil {
			bar.finish()
			return err
		}
		bar.add(len(batch))
	}
	bar.finish()
	t.summarize(c.stderr, len(ids))
	if t.failed > 0 || t.skipped > 0 {
		return errReported
	}
	return nil
}

// collectIDs gathers the UserIDs of the arguments, -f FILE and stdin, in
// order, and drops repeats.
func (c *cli) collectIDs(args []string, file string) ([]string, error) {
	var ids []string
	stdinUsed := false
	readList := func(name string) error {
		var (
			r     io.Reader
			label = name
		)
		if name == "-" {
			if stdinUsed {
				return usagef("stdin (-) given twice")
			}
			stdinUsed, r, label = true, c.stdin, "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return usagef("cannot read the UserID list: %v", err)
			}
			defer f.Close()
			r = f
		}
		list, err := readIDs(r, label)
		if err != nil {
			return err
		}
		ids = append(ids, list...)
		return nil
	}
	if file != "" {
		if err := readList(file); err != nil {
			return nil, err
		}
	}
	for _, a := range args {
		if a == "-" {
			if err := readList("-"); err != nil {
				return nil, err
			}
			continue
		}
		if err := chat.ValidateUserID(a); err != nil {
			return nil, usagef("UserID %q: %s", a, idProblem(err))
		}
		ids = append(ids, a)
	}
	if len(ids) == 0 {
		return nil, usagef("no UserIDs: give them as arguments, with -f FILE, or on stdin with -")
	}
	seen := make(map[string]bool, len(ids))
	unique := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	return unique, nil
}

// tally runs an operation slice by slice and counts the outcomes.
type tally struct {
	op      string
	verbose bool
	w       io.Writer
	start   time.Time
	ledger  *ledger.Ledger // nil: no ledger

	ok, other, failed, skipped int // other: absent (delete) or not imported (check)
	stats                      chat.Stats
	errs                       []string // distinct call errors
}

// run does one slice.
func (t *tally) run(ctx context.Context, client *chatapi.Client, ids []string) error {
	switch t.op {
	case "import":
		accounts := make([]chat.Account, len(ids))
		recs := make([]chat.Record, len(ids))
		for i, id := range ids {
			accounts[i] = chat.Account{UserID: id}
			recs[i] = chat.Record{UserID: id, Source: chat.SourceAPI}
		}
		// Recorded before the import, as the import function does: an
		// item whose account is missing is harmless, an account missing
		// from the ledger is one nobody finds.
		if t.ledger != nil {
			if err := t.ledger.Record(ctx, recs); err != nil {
				return fmt.Errorf("the ledger could not record the accounts (none imported): %w", err)
			}
		}
		res, err := client.ImportAccounts(ctx, accounts)
		if err != nil {
			return err
		}
		t.noteCall(res.Stats, res.Errs)
		failed := make(map[string]bool, len(res.FailAccounts))
		for _, id := range res.FailAccounts {
			failed[id] = true
		}
		for _, id := range ids {
			if failed[id] {
				t.fail(id, oneField(res.Reason(id)))
				continue
			}
			t.note(&t.ok, id, "imported")
		}
	case "delete":
		// The tombstones come first, so that the UserSig function refuses
		// these accounts from now on, even if this run stops half-way.
		if t.ledger != nil {
			if err := t.ledger.Tombstone(ctx, ids); err != nil {
				return fmt.Errorf("the ledger could not record the deletes (none deleted): %w", err)
			}
		}
		kicked := t.kick(ctx, client, ids)
		if len(kicked) == 0 {
			return nil
		}
		res, err := client.DeleteAccounts(ctx, kicked)
		if err != nil {
			return err
		}
		t.noteCall(res.Stats, res.Errs)
		for _, it := range res.Items {
			switch {
			case it.ResultCode == chat.CodeOK:
				t.note(&t.ok, it.UserID, "deleted")
			case it.ResultCode == chat.CodeAccountNotFound:
				t.note(&t.other, it.UserID, "absent")
			default:
				t.fail(it.UserID, itemReason(it))
			}
		}
	case "check":
		res, err := client.CheckAccounts(ctx, ids)
		if err != nil {
			return err
		}
		t.noteCall(res.Stats, res.Errs)
		for _, it := range res.Items {
			switch {
			case it.ResultCode != chat.CodeOK:
				t.fail(it.UserID, itemReason(it))
			case it.AccountStatus == chat.Imported:
				t.ok++
				fmt.Fprintf(t.w, "%s\t%s\n", it.UserID, it.AccountStatus)
			default:
				t.other++
				fmt.Fprintf(t.w, "%s\t%s\n", it.UserID, it.AccountStatus)
			}
		}
	}
	return nil
}

// kickers bounds the kicks a slice has in flight: kick takes one account a
// call, and the client's limiter keeps them within Tencent's cap.
const kickers = 16

// kick kicks every account of ids and returns those kicked (an absent one,
// 70107, counts as kicked: its delete answers 70107 too). An account whose
// kick failed is counted failed and not deleted: its UserSigs still work.
func (t *tally) kick(ctx context.Context, client *chatapi.Client, ids []string) []string {
	stats, errs := chat.KickEach(ctx, client.Kick, ids, kickers)
	var kicked []string
	for i, id := range ids {
		t.stats = t.stats.Add(stats[i])
		if errs[i] != nil {
			t.fail(id, "kick failed, not deleted: "+oneField(chat.PublicMessage(errs[i])))
			continue
		}
		kicked = append(kicked, id)
	}
	return kicked
}

// note counts an account's outcome in *n and, with -v, prints it as
// "UserID<TAB>outcome".
func (t *tally) note(n *int, id, outcome string) {
	*n++
	if t.verbose {
		fmt.Fprintf(t.w, "%s\t%s\n", id, outcome)
	}
}

// itemReason says why an item failed: Chat's ResultInfo, which names the
// code when the client wrote it, else the code and the info.
func itemReason(it chat.ResultItem) string {
	code := strconv.Itoa(it.ResultCode)
	switch {
	case it.ResultInfo == "":
		return "code " + code
	case strings.Contains(it.ResultInfo, "code "+code):
		return oneField(it.ResultInfo)
	}
	return "code " + code + ": " + oneField(it.ResultInfo)
}

// oneField keeps a reason to one tab-separated field.
func oneField(s string) string { return strings.ReplaceAll(s, "\t", " ") }

// noteCall adds a call's stats, and its errors not seen before.
func (t *tally) noteCall(stats chat.Stats, errs []error) {
	t.stats = t.stats.Add(stats)
	for _, err := range errs {
		if msg := err.Error(); !slices.Contains(t.errs, msg) {
			t.errs = append(t.errs, msg)
		}
	}
}

// fail counts a failed account and prints its line.
func (t *tally) fail(id, reason string) {
	t.failed++
	fmt.Fprintf(t.w, "%s\tfailed\t%s\n", id, reason)
}

// summarize prints the call errors and one summary line.
func (t *tally) summarize(w io.Writer, n int) {
	for _, e := range t.errs {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	var counts string
	switch t.op {
	case "import":
		counts = fmt.Sprintf("%d imported, %d failed", t.ok, t.failed)
	case "delete":
		counts = fmt.Sprintf("%d deleted, %d already absent, %d failed", t.ok, t.other, t.failed)
	case "check":
		counts = fmt.Sprintf("%d imported, %d not imported, %d failed", t.ok, t.other, t.failed)
	}
	if t.skipped > 0 {
		counts += fmt.Sprintf(", %d not attempted (interrupted)", t.skipped)
	}
	fmt.Fprintf(w, "%s: %s: %s (%s, %s, %s)\n", t.op, plural(n, "UserID", "UserIDs"), counts,
		plural(t.stats.Calls, "call", "calls"), plural(t.stats.Attempts, "request", "requests"), round(time.Since(t.start)))
}

// plural returns n and the noun in the form that fits n.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

package chat

import (
	"context"
	"errors"
	"sync"
)

// Stats counts the work behind one operation.
type Stats struct {
	Calls    int // Chat commands completed or abandoned
	Attempts int // HTTP requests sent, retries included
}

// Add returns the sum of s and o.
func (s Stats) Add(o Stats) Stats {
	return Stats{Calls: s.Calls + o.Calls, Attempts: s.Attempts + o.Attempts}
}

// ImportResult is the outcome of importing a batch of accounts. A batch can
// partly fail: FailAccounts lists every UserID that was not imported, either
// because Chat listed it or because its call failed after its retries.
type ImportResult struct {
	Requested    int      // distinct accounts asked for
	FailAccounts []string // UserIDs not imported
	Errs         []error  // one *Error per failed call, in call order
	Stats

	// Causes holds, for each UserID in FailAccounts whose call failed
	// after its retries, that call's error; an ID Chat itself listed as
	// failed has none.
	Causes map[string]error
}

// Reason says why the account id was not imported, in words a caller may
// see.
func (r ImportResult) Reason(id string) string {
	var e *Error
	if errors.As(r.Causes[id], &e) {
		return e.Public()
	}
	return "Chat listed the account as failed"
}

// Err returns the first call error, or nil when every call was answered.
func (r ImportResult) Err() error { return first(r.Errs) }

// Failure returns why the whole batch failed: the first call error, or,
// when Chat answered every call but imported no account, an error of the
// envelope's code. It is nil when some account was imported.
func (r ImportResult) Failure() error {
	env := r.Envelope()
	if env.ActionStatus != StatusFail {
		return nil
	}
	if err := r.Err(); err != nil {
		return err
	}
	return &Error{Command: CmdMultiImport, Code: env.ErrorCode, Class: ClassConfiguration, Info: env.ErrorInfo}
}

// Envelope returns the Chat reply for the batch: ActionStatus is FAIL only
// when no account was imported.
func (r ImportResult) Envelope() Envelope {
	env := Envelope{ActionStatus: StatusOK, FailAccounts: r.FailAccounts}
	if env.FailAccounts == nil {
		env.FailAccounts = []string{}
	}
	return failed(env, r.Requested > 0 && len(r.FailAccounts) >= r.Requested, r.Errs, "no account was imported")
}

// DeleteResult is the outcome of deleting a batch of accounts. Items has one
// entry per distinct UserID: ResultCode 0 (deleted), 70107 (already absent,
// a success) or the code of the call that failed.
type DeleteResult struct {
	Items []ResultItem
	Errs  []error // one *Error per failed call, in call order
	Stats
}

// Err returns the first call error, or nil when every call was answered.
func (r DeleteResult) Err() error { return first(r.Errs) }

// Deleted reports whether the item's account is gone: deleted now or absent
// already.
func (it ResultItem) Deleted() bool {
	return it.ResultCode == CodeOK || it.ResultCode == CodeAccountNotFound
}

// Failed returns the UserIDs whose deletion failed.
func (r DeleteResult) Failed() []string {
	var ids []string
	for _, it := range r.Items {
		if !it.Deleted() {
			ids = append(ids, it.UserID)
		}
	}
	return ids
}

// Failure returns why the whole batch failed: the first call error, or,
// when Chat answered but refused every item, an error of the first item's
// code. It is nil when some account was deleted or found absent.
func (r DeleteResult) Failure() error {
	if len(r.Items) == 0 || len(r.Failed()) < len(r.Items) {
		return nil
	}
	if err := r.Err(); err != nil {
		return err
	}
	it := r.Items[0]
	return &Error{Command: CmdDelete, Code: it.ResultCode, Class: Classify(it.ResultCode), Info: it.ResultInfo}
}

// Envelope returns the Chat reply for the batch: ActionStatus is FAIL only
// when no account was deleted or found absent.
func (r DeleteResult) Envelope() Envelope {
	env := Envelope{ActionStatus: StatusOK, ResultItem: r.Items}
	if env.ResultItem == nil {
		env.ResultItem = []ResultItem{}
	}
	return failed(env, len(r.Items) > 0 && len(r.Failed()) == len(r.Items), r.Errs, "no account was deleted")
}

// failed returns env as a batch's reply: FAIL with the first call error's
// code and message (or 70500 and what) when every account failed, else as
// it is.
func failed(env Envelope, all bool, errs []error, what string) Envelope {
	if all {
		env.ActionStatus = StatusFail
		env.ErrorCode, env.ErrorInfo = codeInfo(errs, what)
	}
	return env
}

// CheckResult is the outcome of account_check over a batch.
type CheckResult struct {
	Items []ResultItem
	Errs  []error
	Stats
}

// Err returns the first call error, or nil when every call was answered.
func (r CheckResult) Err() error { return first(r.Errs) }

func first(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

// codeInfo picks the code and message of a failed batch's envelope.
func codeInfo(errs []error, fallback string) (int, string) {
	var e *Error
	if len(errs) > 0 && errors.As(errs[0], &e) {
		return e.Code, e.Public()
	}
	return CodeServerError, fallback
}

// ErrorEnvelope returns the FAIL envelope for err.
func ErrorEnvelope(err error) Envelope {
	code := ErrorCode(err)
	if code == 0 {
		code = CodeServerError
	}
	return Envelope{ActionStatus: StatusFail, ErrorCode: code, ErrorInfo: PublicMessage(err)}
}

// PublicMessage returns what a caller may see of err: an *Error's Public
// message, and for any other error only "internal error".
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Public()
	}
	return "internal error"
}

// KickEach kicks every account of ids with kick, at most n at a time (the
// Chat client's limiter paces them), and returns each kick's stats and
// error, in the order of ids. Kick takes one account a call, so a tool
// that ends the logins of many accounts runs their kicks side by side.
func KickEach(ctx context.Context, kick func(context.Context, string) (Stats, error), ids []string, n int) ([]Stats, []error) {
	stats := make([]Stats, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(n, 1))
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			stats[i], errs[i] = kick(ctx, id)
		})
	}
	wg.Wait()
	return stats, errs
}

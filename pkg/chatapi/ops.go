package chatapi

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// ImportAccount imports one account with account_import. Importing an
// account that exists is a success (Chat updates its profile). The input is
// validated first: a refused account costs no request.
func (c *Client) ImportAccount(ctx context.Context, a chat.Account) (chat.Stats, error) {
	if err := a.Validate(); err != nil {
		return chat.Stats{}, err
	}
	_, attempts, err := c.call(ctx, chat.CmdImport, a)
	return chat.Stats{Calls: 1, Attempts: attempts}, err
}

// ImportAccounts imports any number of accounts with multiaccount_import,
// in calls of at most 100. Repeated UserIDs are sent once (the first
// occurrence wins). Every account is validated before the first call; a
// refused batch costs no request and returns an error. Otherwise the error is
// nil and the result lists what failed: the accounts Chat refused and those
// of calls that failed after their retries.
func (c *Client) ImportAccounts(ctx context.Context, accounts []chat.Account) (chat.ImportResult, error) {
	if len(accounts) == 0 {
		return chat.ImportResult{}, chat.Errorf(chat.CodeBatchCount, "the list of accounts is empty")
	}
	seen := make(map[string]bool, len(accounts))
	unique := make([]chat.Account, 0, len(accounts))
	for i, a := range accounts {
		if err := a.Validate(); err != nil {
			return chat.ImportResult{}, chat.ItemError(err, i)
		}
		if !seen[a.UserID] {
			seen[a.UserID] = true
			unique = append(unique, a)
		}
	}
	res := chat.ImportResult{Requested: len(unique)}
	n := numChunks(len(unique))
	fails, errs, attempts := make([][]string, n), make([]error, n), make([]int, n)
	c.chunks(ctx, len(unique), func(ctx context.Context, k, lo, hi int) {
		batch := unique[lo:hi]
		env, tries, err := c.call(ctx, chat.CmdMultiImport, chat.MultiImportRequest{AccountList: batch})
		attempts[k], errs[k] = tries, err
		if err != nil {
			for _, a := range batch {
				fails[k] = append(fails[k], a.UserID)
			}
			return
		}
		fails[k] = env.FailAccounts
	})
	for k := range n {
		res.Calls++
		res.Attempts += attempts[k]
		res.FailAccounts = append(res.FailAccounts, fails[k]...)
		if errs[k] != nil {
			res.Errs = append(res.Errs, errs[k])
			if res.Causes == nil {
				res.Causes = make(map[string]error)
			}
			for _, id := range fails[k] {
				res.Causes[id] = errs[k]
			}
		}
	}
	return res, nil
}

// DeleteAccounts deletes accounts with account_delete, in calls of at most
// 100. Repeated UserIDs are sent once. An account that does not exist comes
// back with ResultCode 70107, which ResultItem.Deleted counts as a success.
// A call that fails after its retries gives each of its UserIDs a ResultItem
// with the call's code.
func (c *Client) DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error) {
	items, stats, errs, err := c.perItem(ctx, chat.CmdDelete, ids, func(batch []string) any {
		return chat.DeleteRequest{DeleteItem: chat.Items(batch)}
	})
	return chat.DeleteResult{Items: items, Errs: errs, Stats: stats}, err
}

// CheckAccounts reports with account_check whether each account is
// imported, in calls of at most 100.
func (c *Client) CheckAccounts(ctx context.Context, ids []string) (chat.CheckResult, error) {
	items, stats, errs, err := c.perItem(ctx, chat.CmdCheck, ids, func(batch []string) any {
		return chat.CheckRequest{CheckItem: chat.Items(batch)}
	})
	return chat.CheckResult{Items: items, Errs: errs, Stats: stats}, err
}

// perItem runs a command whose reply has a ResultItem per UserID.
func (c *Client) perItem(ctx context.Context, cmd string, ids []string, body func([]string) any) ([]chat.ResultItem, chat.Stats, []error, error) {
	unique, err := uniqueIDs(ids)
	if err != nil {
		return nil, chat.Stats{}, nil, err
	}
	items := make([]chat.ResultItem, len(unique))
	n := numChunks(len(unique))
	callErrs, attempts := make([]error, n), make([]int, n)
	c.chunks(ctx, len(unique), func(ctx context.Context, k, lo, hi int) {
		batch := unique[lo:hi]
		env, tries, err := c.call(ctx, cmd, body(batch))
		attempts[k], callErrs[k] = tries, err
		// Results that come one per ID in the order asked are matched by
		// position; others by UserID, through a map.
		var replied []chat.ResultItem
		if env != nil {
			replied = env.ResultItem
		}
		var byID map[string]chat.ResultItem
		aligned := inOrder(batch, replied)
		if !aligned && len(replied) > 0 {
			byID = make(map[string]chat.ResultItem, len(replied))
			for _, it := range replied {
				byID[it.UserID] = it
			}
		}
		for i, id := range batch {
			it, ok := byID[id]
			if aligned {
				it, ok = replied[i], true
			}
			switch {
			case err != nil:
				it = chat.ResultItem{UserID: id, ResultCode: chat.ErrorCode(err), ResultInfo: detail(err)}
			case !ok:
				it = chat.ResultItem{UserID: id, ResultCode: chat.CodeServerError, ResultInfo: "chat " + cmd + ": no result for this UserID"}
			}
			items[lo+i] = it
		}
	})
	var (
		stats chat.Stats
		errs  []error
	)
	for k := range n {
		stats.Calls++
		stats.Attempts += attempts[k]
		if callErrs[k] != nil {
			errs = append(errs, callErrs[k])
		}
	}
	return items, stats, errs, nil
}

// inOrder reports whether items holds one result per ID of batch, in
// batch's order.
func inOrder(batch []string, items []chat.ResultItem) bool {
	if len(items) != len(batch) {
		return false
	}
	for i, it := range items {
		if it.UserID != batch[i] {
			return false
		}
	}
	return true
}

// smallBatch is the most IDs uniqueIDs compares pairwise rather than
// through a map.
const smallBatch = 8

func uniqueIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, chat.Errorf(chat.CodeBatchCount, "the list of UserIDs is empty")
	}
	if len(ids) <= smallBatch {
		return uniqueSmall(ids)
	}
	seen := make(map[string]bool, len(ids))
	unique := make([]string, 0, len(ids))
	for i, id := range ids {
		if err := chat.ValidateUserID(id); err != nil {
			return nil, chat.ItemError(err, i)
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	return unique, nil
}

// uniqueSmall is uniqueIDs for a few IDs: ids itself when no ID repeats,
// which a single delete always is.
func uniqueSmall(ids []string) ([]string, error) {
	repeated := false
	for i, id := range ids {
		if err := chat.ValidateUserID(id); err != nil {
			return nil, chat.ItemError(err, i)
		}
		repeated = repeated || slices.Contains(ids[:i], id)
	}
	if !repeated {
		return ids, nil
	}
	unique := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(unique, id) {
			unique = append(unique, id)
		}
	}
	return unique, nil
}

// numChunks returns the number of calls n items take.
func numChunks(n int) int { return (n + chat.MaxPerCall - 1) / chat.MaxPerCall }

// chunks calls fn for each slice k, [lo, hi), of at most chat.MaxPerCall of
// n items, with at most Concurrency calls in flight, and waits for all.
func (c *Client) chunks(ctx context.Context, n int, fn func(ctx context.Context, k, lo, hi int)) {
	if n <= chat.MaxPerCall {
		fn(ctx, 0, 0, n)
		return
	}
	sem := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	for k := range numChunks(n) {
		lo, hi := k*chat.MaxPerCall, min((k+1)*chat.MaxPerCall, n)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, k, lo, hi)
		})
	}
	wg.Wait()
}

// detail is the ResultInfo of an item whose call failed: what went wrong,
// without the code the item carries already, and without an internal cause.
func detail(err error) string {
	var e *chat.Error
	if errors.As(err, &e) {
		return e.Detail()
	}
	return "request failed"
}

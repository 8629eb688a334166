package handler

import (
	"context"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Ledger is the ledger of Chat accounts (see pkg/ledger) as the import and
// delete handlers write it: Record marks accounts live (and clears their
// tombstones), Tombstone marks them deleted.
type Ledger interface {
	Record(ctx context.Context, recs []chat.Record) error
	Tombstone(ctx context.Context, ids []string) error
}

// Tombstones is the ledger as the UserSig handler reads it: whether a
// UserID's account was deleted, read strongly consistent.
type Tombstones interface {
	Deleted(ctx context.Context, userID string) (bool, error)
}

// ledgerCommand names the operation in the errors of a ledger that could
// not be written or read. It is no Chat command.
const ledgerCommand = "ledger"

// ledgerError is the error of a ledger write or read that failed: transient
// (70500), so that a sign-up is queued, a queue message and a lifecycle
// event retried, and an HTTP caller answered 503, exactly as for a Chat
// outage. Its cause names AWS resources, so callers see only the message.
func ledgerError(info string, err error) *chat.Error {
	return &chat.Error{Command: ledgerCommand, Code: chat.CodeServerError, Class: chat.ClassTransient, Info: info, Err: err, Internal: true}
}

// alongside starts writing recs to l, when l is set, and returns the wait
// for that write: the caller makes its Chat call in between, so that the
// write costs no time of its own, and the import is done only when both
// succeeded. The wait's error is a ledgerError.
func alongside(ctx context.Context, l Ledger, recs []chat.Record) (wait func() error) {
	if l == nil || len(recs) == 0 {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() { done <- l.Record(ctx, recs) }()
	return func() error {
		if err := <-done; err != nil {
			return ledgerError("the account ledger could not be written", err)
		}
		return nil
	}
}

// firstErr returns chatErr, else the ledger's error: an import is done
// only when Chat and the ledger both took it.
func firstErr(chatErr error, wait func() error) error {
	lerr := wait()
	if chatErr != nil {
		return chatErr
	}
	return lerr
}

// apiRecords are the ledger records of accounts imported on POST /accounts
// or by direct invocation: Source api, which prune never touches, since
// the caller, not a pool, decides about them.
func apiRecords(accounts []chat.Account) []chat.Record {
	recs := make([]chat.Record, len(accounts))
	for i, a := range accounts {
		recs[i] = chat.Record{UserID: a.UserID, Source: chat.SourceAPI}
	}
	return recs
}

// tombstoning is a Deleter that sets the ledger's tombstone of every
// account it is asked to delete, side by side with the delete: every delete
// path (HTTP, direct, lifecycle) goes through DeleteAccounts, so none can
// leave a deleted account able to get a UserSig. The tombstone is written
// even when Chat's delete fails: the delete was asked for, and a later
// import of the user clears it.
type tombstoning struct {
	Deleter
	ledger Ledger
}

func (t tombstoning) DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error) {
	done := make(chan error, 1)
	go func() { done <- t.ledger.Tombstone(ctx, ids) }()
	res, err := t.Deleter.DeleteAccounts(ctx, ids)
	if lerr := <-done; lerr != nil && err == nil {
		err = ledgerError("the account ledger could not record the delete", lerr)
	}
	return res, err
}

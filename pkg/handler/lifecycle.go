package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// Users reads a Cognito user's current attributes, for lifecycle events:
// by sub, or by username. A user that does not exist (any more) is
// ErrUserNotFound.
type Users interface {
	UserBySub(ctx context.Context, pool, sub string) (User, error)
	UserByName(ctx context.Context, pool, username string) (User, error)
}

// User is what a lifecycle import needs of a Cognito user.
type User struct {
	Username   string
	Status     string // such as CONFIRMED, FORCE_CHANGE_PASSWORD, UNCONFIRMED
	Attributes map[string]string
}

// ErrUserNotFound is the error of Users when no user matches.
var ErrUserNotFound = errors.New("no such user")

// lifecycleReply is what a function answers a lifecycle event with.
// EventBridge ignores it; it is for `chatsync invoke` and tests.
type lifecycleReply struct {
	Verdict string `json:"verdict"` // "done", "ignored" or "refused"
	Reason  string `json:"reason,omitempty"`
	UserID  string `json:"userId,omitempty"`
}

// lifecycle parses and decides a lifecycle event for the stack's pool
// (pool, else the wrapper's). deletes says which events this function
// follows: deletes (the delete function) or creates and updates (the
// import function). When there is nothing to act on, done is true and the
// reply is written: the event is logged and acknowledged, since retrying
// cannot help.
func (iv *invocation) lifecycle(payload []byte, pool string, deletes bool, out *outcome) (ev lifecycle.Event, d lifecycle.Decision, reply []byte, done bool) {
	ev, err := lifecycle.Parse(payload)
	if err != nil {
		return ev, d, iv.lifecycleDone(*out, "refused", "the event cannot be read: "+err.Error(), ""), true
	}
	out.extra = append(out.extra, slog.Any("lifecycle", ev))
	if (ev.Action == lifecycle.Delete) != deletes {
		other := "import"
		if !deletes {
			other = "delete"
		}
		return ev, d, iv.lifecycleDone(*out, "refused", ev.Name+" events go to the "+other+" function: check the stack's EventBridge rules", ""), true
	}
	d = lifecycle.Decide(ev, ev.StackPool(pool), iv.auth.Mapping.UserIDAttribute)
	switch d.Verdict {
	case lifecycle.Ignore:
		return ev, d, iv.lifecycleDone(*out, "ignored", d.Reason, ""), true
	case lifecycle.Refuse:
		return ev, d, iv.lifecycleDone(*out, "refused", d.Reason, ""), true
	}
	return ev, d, nil, false
}

// lifecycleDone logs an event acknowledged without a change (ignored: info;
// refused: an error, an operator may need to repair by hand) or with one
// (done), and returns the reply.
func (iv *invocation) lifecycleDone(out outcome, verdict, reason, userID string) []byte {
	out.event = "lifecycle"
	if userID != "" {
		out.userIDs = []string{userID}
	}
	if reason != "" {
		out.extra = append(out.extra, slog.String("reason", reason))
	}
	msg := "lifecycle event " + verdict
	if verdict == "refused" && out.err == nil {
		out.err = errors.New(reason)
	}
	iv.logOutcome(msg, out)
	b, _ := json.Marshal(lifecycleReply{Verdict: verdict, Reason: reason, UserID: userID})
	return b
}

// lifecycleFailed logs a lifecycle event that failed in a way that may pass
// and returns the function error, so that EventBridge delivers it again
// (and, after its retries, to the rule's dead-letter queue).
func (iv *invocation) lifecycleFailed(out outcome, err error) ([]byte, error) {
	out.event, out.err = "lifecycle", err
	iv.count(metrics.Failed, len(out.userIDs))
	iv.logOutcome("lifecycle event failed, will retry", out)
	return nil, &EventError{Msg: "lifecycle event not done, to be retried: " + chat.PublicMessage(err)}
}

// lifecycleEnd finishes a lifecycle event whose Chat work on the one
// account in out ended with err: done (counted as done), a function error
// when the failure may pass, else refused and acknowledged.
func (iv *invocation) lifecycleEnd(out outcome, err error, done metrics.Name) ([]byte, error) {
	id := out.userIDs[0]
	switch {
	case err == nil:
		iv.count(done, 1)
		return iv.lifecycleDone(out, "done", "", id), nil
	case retryable(err):
		return iv.lifecycleFailed(out, err)
	default:
		out.err = err
		iv.count(metrics.Failed, 1)
		return iv.lifecycleDone(out, "refused", "Chat refused: "+chat.PublicMessage(err), id), nil
	}
}

// retryable reports whether a Chat failure may pass by itself.
func retryable(err error) bool {
	switch chat.ErrorClass(err) {
	case chat.ClassTransient, chat.ClassRateLimited, chat.ClassSignature, chat.ClassCredentials:
		return true
	}
	return false
}

// lifecycle handles AdminCreateUser, AdminUpdateUserAttributes and
// UpdateUserAttributes: the user is read from Cognito as it is now and
// imported with multiaccount_import, which creates the account or updates
// its Nick and FaceUrl.
func (h *ImportHandler) lifecycle(iv *invocation, payload []byte) ([]byte, error) {
	out := outcome{event: "lifecycle"}
	ev, d, reply, done := iv.lifecycle(payload, h.cfg.UserPoolID, false, &out)
	if done {
		return reply, nil
	}
	if h.cfg.Users == nil {
		return iv.lifecycleDone(out, "refused", "the function cannot read users from Cognito (no USER_POOL_ID or permission set up)", ""), nil
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	pool := ev.StackPool(h.cfg.UserPoolID)
	var (
		u   User
		err error
	)
	if d.Lookup.Sub != "" {
		u, err = h.cfg.Users.UserBySub(ctx, pool, d.Lookup.Sub)
	} else {
		u, err = h.cfg.Users.UserByName(ctx, pool, d.Lookup.Username)
	}
	switch {
	case errors.Is(err, ErrUserNotFound):
		return iv.lifecycleDone(out, "ignored", "the user is no longer in the pool", ""), nil
	case err != nil:
		return iv.lifecycleFailed(out, err)
	case u.Status == "UNCONFIRMED":
		return iv.lifecycleDone(out, "ignored", "the user has not confirmed the sign-up: the post-confirmation trigger imports them then", ""), nil
	}
	acct, dropped, err := h.cfg.Mapping.Account(u.Username, u.Attributes)
	if err != nil {
		return iv.lifecycleDone(out, "refused", "no usable UserID ("+h.cfg.Mapping.UserIDAttribute+"): "+err.Error(), ""), nil
	}
	if len(dropped) > 0 {
		out.extra = append(out.extra, slog.Any("dropped", dropped))
	}
	out.command, out.userIDs = chat.CmdMultiImport, []string{acct.UserID}
	wait := alongside(ctx, h.cfg.Ledger, []chat.Record{{UserID: acct.UserID, Sub: u.Attributes["sub"], Username: u.Username, PoolID: pool, Source: chat.SourceLifecycle}})
	res, err := h.cfg.Chat.ImportAccounts(ctx, []chat.Account{acct})
	out.stats = res.Stats
	if err == nil {
		err = res.Failure()
	}
	err = firstErr(err, wait)
	return iv.lifecycleEnd(out, err, metrics.Imported)
}

// lifecycle handles AdminDeleteUser and DeleteUser: the account is kicked
// (its UserSigs stop working) and deleted. An account already gone counts
// as deleted.
func (h *DeleteHandler) lifecycle(iv *invocation, payload []byte) ([]byte, error) {
	out := outcome{event: "lifecycle"}
	_, d, reply, done := iv.lifecycle(payload, h.cfg.UserPoolID, true, &out)
	if done {
		return reply, nil
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	out.userIDs = []string{d.UserID}
	out.command = chat.CmdKick
	stats, err := h.cfg.Chat.Kick(ctx, d.UserID)
	out.stats = stats
	if err == nil {
		out.command = chat.CmdDelete
		var res chat.DeleteResult
		res, err = h.cfg.Chat.DeleteAccounts(ctx, []string{d.UserID})
		out.stats = out.stats.Add(res.Stats)
		if err == nil {
			err = res.Failure()
		}
	}
	return iv.lifecycleEnd(out, err, metrics.Deleted)
}

package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// Users reads a Cognito user's current attributes, for lifecycle events.
// UserByName is AdminGetUser (Cognito's UserRead quota, 120 requests a
// second by default, adjustable), which also takes a local user's sub as the
// username; UserBySub is ListUsers with a sub filter (the UserList quota, 30
// a second, not adjustable, which the pool sync needs), used only when
// AdminGetUser finds no one. A user that does not exist (any more) is
// ErrUserNotFound.
type Users interface {
	UserBySub(ctx context.Context, pool, sub string) (User, error)
	UserByName(ctx context.Context, pool, username string) (User, error)
}

// readUser reads the user l names from pool, as they are now: AdminGetUser
// by username when the event names one, else with the sub as the username,
// and ListUsers by sub only when that finds no one (a user of an external
// provider, whose username is not their sub). A user found under the event's
// username whose sub is not the event's is someone else, who took the name
// since: the event's user is looked for by sub.
func readUser(ctx context.Context, users Users, pool string, l lifecycle.Lookup) (User, error) {
	ours := func(u User) bool { return l.Sub == "" || u.Attributes["sub"] == l.Sub }
	for _, name := range []string{l.Username, l.Sub} {
		if name == "" {
			continue
		}
		u, err := users.UserByName(ctx, pool, name)
		switch {
		case err == nil && ours(u):
			return u, nil
		case err != nil && !errors.Is(err, ErrUserNotFound):
			return User{}, err
		}
	}
	if l.Sub == "" {
		return User{}, ErrUserNotFound
	}
	return users.UserBySub(ctx, pool, l.Sub)
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
	Verdict string `json:"verdict"` // "done", "ignored", "refused" or "skipped" (the app's admin identifier)
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
// and returns the function error: from the function's queue, a batch item
// failure, so that SQS delivers it again (and, after the queue's
// maxReceiveCount, moves it to the dead-letter queue).
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

// nameTaken checks, before a delete under the username mapping, that no
// user named username exists in pool now: the event names the account by
// username, which a new user may have taken since (or, in a
// case-insensitive pool, which names another case of a user who still
// exists). done is true when the delete must not go on: such a user exists
// (acknowledged, nothing changes), the pool cannot be read at all
// (refused), or the read failed (retried).
func (h *DeleteHandler) nameTaken(ctx context.Context, iv *invocation, pool, username string, out outcome) (done bool, reply []byte, err error) {
	if h.cfg.Users == nil {
		return true, iv.lifecycleDone(out, "refused", "with USER_ID_ATTRIBUTE=username a delete needs to check the pool for a user of that name, and the function cannot read the pool (no USER_POOL_ID or permission set up)", ""), nil
	}
	u, rerr := h.cfg.Users.UserByName(ctx, pool, username)
	switch {
	case rerr == nil:
		out.extra = append(out.extra, slog.String("cognitoUsername", u.Username))
		return true, iv.lifecycleDone(out, "ignored", "a user named "+quoted(username)+" exists in the pool now (registered again, or the event named another case of the name): the account is kept", username), nil
	case errors.Is(rerr, ErrUserNotFound):
		return false, nil, nil
	}
	out.userIDs = []string{username}
	reply, err = iv.lifecycleFailed(out, rerr)
	return true, reply, err
}

// skipAdmin acknowledges a lifecycle event whose user maps to the app's
// admin identifier: skipped, logged as a warning with the reason and a
// skipped count of 1, never acted on. done is false for any other user.
// Credentials that cannot be read are a failure that may pass.
func (iv *invocation) skipAdmin(ctx context.Context, src chatapi.CredentialsSource, out outcome, id string) (done bool, reply []byte, err error) {
	switch rerr := refuseAdmin(ctx, src, id); {
	case rerr == nil:
		return false, nil, nil
	case errors.Is(rerr, chat.ErrAdminAccount):
		out.err, out.warn = rerr, true
		out.extra = append(out.extra, slog.Int("skipped", 1))
		return true, iv.lifecycleDone(out, "skipped", chat.ErrAdminAccount.Info, id), nil
	default:
		out.userIDs = []string{id}
		reply, err := iv.lifecycleFailed(out, rerr)
		return true, reply, err
	}
}

// quoted returns s in double quotes, as JSON writes it.
func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
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
		return iv.lifecycleDone(out, "refused", "no Cognito client is wired into this function to read the user with, so a lifecycle import cannot run here (the deployed import function has one)", ""), nil
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	pool := ev.StackPool(h.cfg.UserPoolID)
	u, err := readUser(ctx, h.cfg.Users, pool, d.Lookup)
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
	if done, reply, err := iv.skipAdmin(ctx, h.cfg.Credentials, out, acct.UserID); done {
		return reply, err
	}
	items, pdropped := h.cfg.Mapping.ProfileItems(u.Attributes)
	if len(pdropped) > 0 {
		out.extra = append(out.extra, slog.Any("profileDropped", pdropped))
	}
	out.command, out.userIDs = chat.CmdMultiImport, []string{acct.UserID}
	wait := alongside(ctx, h.cfg.Ledger, []chat.Record{{UserID: acct.UserID, Sub: u.Attributes["sub"], Username: u.Username, PoolID: pool, Source: chat.SourceLifecycle}})
	res, err := h.cfg.Chat.ImportAccounts(ctx, []chat.Account{acct})
	out.stats = res.Stats
	if err == nil {
		err = res.Failure()
	}
	err = firstErr(err, wait)
	if err == nil && len(items) > 0 {
		var pstats chat.Stats
		pstats, err = h.setProfile(ctx, acct.UserID, items, out.extra)
		out.stats = out.stats.Add(pstats)
	}
	return iv.lifecycleEnd(out, err, metrics.Imported)
}

// lifecycle handles AdminDeleteUser and DeleteUser: the account is kicked
// (its UserSigs stop working) and deleted, by kickThenDelete as every
// delete of one account is. An account already gone counts as deleted.
func (h *DeleteHandler) lifecycle(iv *invocation, payload []byte) ([]byte, error) {
	out := outcome{event: "lifecycle"}
	ev, d, reply, done := iv.lifecycle(payload, h.cfg.UserPoolID, true, &out)
	if done {
		return reply, nil
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	if done, reply, err := iv.skipAdmin(ctx, h.cfg.Credentials, out, d.UserID); done {
		return reply, err
	}
	if iv.auth.Mapping.UserIDAttribute == chat.SourceUsername {
		if done, reply, err := h.nameTaken(ctx, iv, ev.StackPool(h.cfg.UserPoolID), d.UserID, out); done {
			return reply, err
		}
	}
	// The one place a lifecycle delete reaches Chat.
	out.userIDs = []string{d.UserID}
	res, cmd, err := h.kickThenDelete(ctx, d.UserID)
	out.command, out.stats = cmd, res.Stats
	if err == nil {
		err = res.Failure()
	}
	return iv.lifecycleEnd(out, err, metrics.Deleted)
}

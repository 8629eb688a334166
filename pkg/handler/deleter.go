package handler

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
)

// Deleter is the part of the Chat client the delete handler uses.
type Deleter interface {
	DeleteAccounts(ctx context.Context, ids []string) (chat.DeleteResult, error)
	Kick(ctx context.Context, userID string) (chat.Stats, error)
}

// DeleteConfig configures a DeleteHandler. Chat is required.
type DeleteConfig struct {
	Chat       Deleter
	Auth       Auth
	UserPoolID string // USER_POOL_ID: the stack's pool, for lifecycle events that come without the stack's wrapper
	// Users reads the pool before a lifecycle delete with the username
	// mapping (a user of that name who exists now keeps the account); nil:
	// such deletes are refused. Other mappings never read the pool.
	Users Users
	// Credentials are those the Chat client signs with: no path kicks or
	// deletes their admin identifier. nil: not checked (tests of other
	// rules).
	Credentials  chatapi.CredentialsSource
	Ledger       Ledger // LEDGER_TABLE: every delete sets the account's tombstone; nil: no ledger
	Logger       *slog.Logger
	AnswerMargin time.Duration // kept back from the deadline to answer; default DefaultAnswerMargin
	Now          func() time.Time
}

// DeleteHandler is the delete function: DELETE /accounts/{userId},
// POST /accounts/delete, direct invocation, and lifecycle events (from
// their SQS queue, or delivered directly).
type DeleteHandler struct {
	base
	cfg DeleteConfig
}

// NewDeleteHandler returns the delete function's handler.
func NewDeleteHandler(cfg DeleteConfig) *DeleteHandler {
	if cfg.Ledger != nil {
		cfg.Chat = tombstoning{Deleter: cfg.Chat, ledger: cfg.Ledger}
	}
	h := &DeleteHandler{cfg: cfg, base: newBase("delete", cfg.Logger, cfg.Now, cfg.AnswerMargin, cfg.Auth)}
	h.unknown = errUnknownDeleteEvent
	return h
}

// Invoke handles one event. It implements aws-lambda-go's lambda.Handler.
func (h *DeleteHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	iv := h.begin(ctx)
	switch k := classify(payload); k {
	case kindHTTPv1, kindHTTPv2:
		return h.http(iv, payload, k)
	case kindLifecycle:
		return h.lifecycle(iv, payload)
	case kindSQS:
		return h.sqs(iv, payload)
	case kindDelete:
		var b deleteBody
		if err := decodeBody(payload, &b); err != nil {
			return iv.refuseBody(err)
		}
		return iv.direct(func(ctx context.Context) result { return h.run(ctx, b.ids()) })
	default:
		return iv.unknownEvent(payload)
	}
}

// deleteBody is the account_delete body.
type deleteBody struct {
	DeleteItem userItems `json:"DeleteItem"`
}

func (b deleteBody) ids() []string {
	ids := make([]string, len(b.DeleteItem))
	for i, it := range b.DeleteItem {
		ids[i] = it.UserID
	}
	return ids
}

// run deletes the accounts ids of an HTTP request or a direct invocation,
// after the checks every delete meets (the batch, each UserID, the app's
// admin identifier). One account is kicked, then deleted
// (kickThenDelete), so that its UserSigs stop working with it. A batch of
// two or more is deleted without a kick: kick takes one account a call,
// and the kicks of a large batch would not fit an HTTP request's time.
func (h *DeleteHandler) run(ctx context.Context, ids []string) result {
	r := result{out: outcome{command: chat.CmdDelete, userIDs: ids}}
	if err := validateIDs(ids); err != nil {
		return r.refused(err)
	}
	if err := refuseAdmin(ctx, h.cfg.Credentials, ids...); err != nil {
		return r.refused(err)
	}
	var (
		res chat.DeleteResult
		err error
	)
	if id, one := oneAccount(ids); one {
		r.out.userIDs = []string{id}
		res, r.out.command, err = h.kickThenDelete(ctx, id)
	} else {
		res, err = h.cfg.Chat.DeleteAccounts(ctx, ids)
	}
	if err != nil {
		r = r.refused(err)
		r.out.stats = res.Stats
		return r
	}
	failed := len(res.Failed())
	return r.answered(res, res.Stats, len(res.Items)-failed, failed)
}

// oneAccount reports whether ids, a validated batch, name exactly one
// account (an ID repeated is one account), and which.
func oneAccount(ids []string) (string, bool) {
	for _, id := range ids[1:] {
		if id != ids[0] {
			return "", false
		}
	}
	return ids[0], true
}

// kickThenDelete is how the delete of one account reaches Chat on every
// path (lifecycle, HTTP, direct): kick first, so that every UserSig issued
// for the account stops working (a login with one would register the
// account again), then account_delete. A kick that fails ends it there:
// the account is not deleted, err is the kick's error, and the caller
// fails as for any other Chat failure, to be retried. Chat answers the
// kick of an account that does not exist with 70107, which the Chat client
// takes as done (no login state is left to end); the delete then answers
// 70107 for it in its item: already gone, a success. cmd is the command
// the work ended with, for the log; res.Stats counts both calls.
func (h *DeleteHandler) kickThenDelete(ctx context.Context, id string) (res chat.DeleteResult, cmd string, err error) {
	kick, err := h.cfg.Chat.Kick(ctx, id)
	if err != nil {
		res.Stats = kick
		return res, chat.CmdKick, err
	}
	res, err = h.cfg.Chat.DeleteAccounts(ctx, []string{id})
	res.Stats = kick.Add(res.Stats)
	return res, chat.CmdDelete, err
}

// http handles DELETE /accounts/{userId} and POST /accounts/delete.
func (h *DeleteHandler) http(iv *invocation, payload []byte, k kind) ([]byte, error) {
	r, err := parseHTTP(payload, k)
	if err != nil {
		return nil, err
	}
	out := outcome{event: "http"}
	reply := func(he *httpError) ([]byte, error) { return iv.refuse(r, out, he) }
	var (
		ids      []string
		pathUser string
	)
	switch seg, ok := strings.CutPrefix(r.path, "/accounts/"); {
	case !ok || seg == "" || strings.Contains(seg, "/"):
		return reply(notFound(r.path))
	case seg == "delete" && r.method == http.MethodPost:
		if r.bodyErr != nil {
			return reply(r.bodyErr)
		}
		var b deleteBody
		if err := decodeBody(r.body, &b); err != nil {
			return reply(bodyRefused(err))
		}
		ids = b.ids()
	case r.method == http.MethodDelete:
		id, he := r.pathUserID(seg)
		if he != nil {
			return reply(he)
		}
		pathUser = id
		ids = []string{id}
	case seg == "delete":
		return reply(methodNotAllowed(http.MethodDelete, http.MethodPost))
	default:
		return reply(methodNotAllowed(http.MethodDelete))
	}
	who, he := iv.caller(r, &out)
	if he != nil {
		return reply(he)
	}
	if who.jwt && pathUser == "me" {
		ids = []string{who.userID} // DELETE /accounts/me deletes the caller
	}
	if he := who.may(ids...); he != nil {
		out.userIDs = ids
		return reply(he)
	}
	return iv.serve(r, out, func(ctx context.Context) result { return h.run(ctx, ids) })
}

// validateIDs checks a delete batch's size and every UserID in it, so that a
// refused batch costs no Chat call.
func validateIDs(ids []string) error {
	if err := chat.ValidateBatchSize(len(ids)); err != nil {
		return err
	}
	for i, id := range ids {
		if err := chat.ValidateUserID(id); err != nil {
			return chat.ItemError(err, i)
		}
	}
	return nil
}

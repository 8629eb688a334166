package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// DefaultUserSigTTL is a UserSig's lifetime when UserSigConfig.TTL is 0
// (the default of USER_SIG_TTL).
const DefaultUserSigTTL = 24 * time.Hour

// UserSigPath is the path of the UserSig routes, GET and POST.
const UserSigPath = "/usersig"

// userSigCommand names the operation in the errors of a UserSig that could
// not be made. It is no Chat command: issuing a UserSig calls no one.
const userSigCommand = "usersig"

var errUnknownUserSigEvent = fmt.Errorf("%w: want an API Gateway request or a {\"UserID\": \"...\"} body", ErrUnknownEvent)

// errAdminIdentifier refuses a UserSig for the app's admin identifier: it
// would sign requests to the REST API with admin rights.
var errAdminIdentifier = chat.Errorf(chat.CodeInvalidParameter, "no UserSig is issued for the app's admin identifier")

// errAccountDeleted refuses a UserSig for an account the ledger holds as
// deleted: Chat's SDK login would register the UserID again, bringing back
// the account of a user who is gone.
var errAccountDeleted = &chat.Error{Command: userSigCommand, Code: chat.CodeAccountNotFound, Class: chat.ClassCaller, Info: "account deleted"}

// UserSigConfig configures a UserSigHandler. Credentials is required.
type UserSigConfig struct {
	// Credentials is the admin secret, read as the Chat client reads it:
	// its key signs the UserSigs and its Admin is never given one.
	Credentials chatapi.CredentialsSource
	TTL         time.Duration // each UserSig's lifetime; default DefaultUserSigTTL
	// Tombstones, when set (LEDGER_TABLE), is read before each UserSig: a
	// deleted account gets none, and when the ledger cannot be read no
	// UserSig is issued at all (fail closed).
	Tombstones   Tombstones
	Auth         Auth
	Logger       *slog.Logger
	AnswerMargin time.Duration // kept back from the deadline to answer; default DefaultAnswerMargin
	Now          func() time.Time
}

// UserSigHandler is the UserSig function: GET /usersig, POST /usersig and
// direct invocation with {"UserID": "..."}. It signs a UserSig for an app
// user's Chat SDK login and makes no Chat call.
type UserSigHandler struct {
	base
	cfg UserSigConfig
}

// NewUserSigHandler returns the UserSig function's handler.
func NewUserSigHandler(cfg UserSigConfig) *UserSigHandler {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultUserSigTTL
	}
	h := &UserSigHandler{cfg: cfg, base: newBase("usersig", cfg.Logger, cfg.Now, cfg.AnswerMargin, cfg.Auth)}
	h.unknown = errUnknownUserSigEvent
	return h
}

// Warm does ahead of the first request what signing and answering would
// otherwise do on first use (encoding/json's caches for the event probe,
// the body and the reply; the HMAC, zlib and base64 code paths), so that a
// cold start's first request does not pay for it. It reads no credentials
// and keeps nothing it signs. The function calls it in the background
// while its secret is being fetched.
func (h *UserSigHandler) Warm() {
	classify([]byte(`{"UserID":"warm"}`))
	if _, err := decodeUserSigBody([]byte(`{"UserID":"warm"}`)); err != nil {
		return
	}
	sig := usersig.Generate([]byte("warm"), 1, "warm", h.now(), h.cfg.TTL)
	_, _ = json.Marshal(UserSigReply{UserID: "warm", UserSig: sig})
}

// UserSigReply is the reply of every route: the HTTP 200 body and the
// direct invocation's reply. ExpireAt is in Unix seconds: the issue time
// plus the TTL.
type UserSigReply struct {
	SDKAppID uint64 `json:"SDKAppID"`
	UserID   string `json:"UserID"`
	UserSig  string `json:"UserSig"`
	ExpireAt int64  `json:"ExpireAt"`
}

// Invoke handles one event. It implements aws-lambda-go's lambda.Handler.
func (h *UserSigHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	iv := h.begin(ctx)
	switch k := classify(payload); k {
	case kindHTTPv1, kindHTTPv2:
		return h.http(iv, payload, k)
	case kindImport: // a top-level UserID
		return h.direct(iv, payload)
	default:
		return iv.unknownEvent(payload)
	}
}

// userSigBody is the optional request body, and the direct invocation:
// {"UserID": "..."}, or {"Identifier": "..."} as the import body takes it.
type userSigBody struct {
	userIDField
}

// decodeUserSigBody decodes a body under the rules of every other body
// (see decodeBody); an empty one names no UserID. Its errors are in the
// API's terms.
func decodeUserSigBody(body []byte) (userSigBody, error) {
	var b userSigBody
	if len(body) == 0 {
		return b, nil
	}
	if err := decodeBody(body, &b); err != nil {
		return b, err
	}
	return b, b.resolveAlias()
}

// direct answers a direct invocation: the reply, or a FAIL envelope with
// the code Chat would answer for the same input.
func (h *UserSigHandler) direct(iv *invocation, payload []byte) ([]byte, error) {
	out := outcome{event: "direct"}
	b, err := decodeUserSigBody(payload)
	if err == nil {
		var id string
		if b.UserID != nil {
			id = *b.UserID
		}
		out.userIDs = []string{id}
		ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
		defer cancel()
		var rep UserSigReply
		if rep, err = h.issue(ctx, id); err == nil {
			out.extra = append(out.extra, slog.Int64("expireAt", rep.ExpireAt))
			iv.count(metrics.UserSigsIssued, 1)
			iv.logOutcome("usersig done", out)
			return json.Marshal(rep)
		}
	}
	out.err = err
	msg := "usersig failed"
	if chat.ErrorClass(err) == chat.ClassCaller {
		msg = "usersig refused"
	}
	iv.logOutcome(msg, out)
	if errors.Is(err, errAccountDeleted) {
		return envelopeJSON(chat.Envelope{ActionStatus: chat.StatusFail, ErrorCode: chat.CodeAccountNotFound, ErrorInfo: errAccountDeleted.Info})
	}
	return envelopeJSON(chat.ErrorEnvelope(err))
}

// http answers GET and POST /usersig.
func (h *UserSigHandler) http(iv *invocation, payload []byte, k kind) ([]byte, error) {
	r, err := parseHTTP(payload, k)
	if err != nil {
		return nil, err
	}
	r.noStore = true // a UserSig is a credential: no cache may keep it
	out := outcome{event: "http"}
	refuse := func(he *httpError) ([]byte, error) { return iv.refuse(r, out, he) }
	switch {
	case r.path != UserSigPath:
		return refuse(notFound(r.path))
	case r.method != http.MethodGet && r.method != http.MethodPost:
		return refuse(methodNotAllowed(http.MethodGet, http.MethodPost))
	case r.bodyErr != nil:
		return refuse(r.bodyErr)
	}
	b, err := decodeUserSigBody(r.body)
	if err != nil {
		return refuse(httpErrorFor(err))
	}
	who, he := iv.caller(r, &out)
	if he != nil {
		return refuse(he)
	}
	var id string
	switch {
	case b.UserID != nil && *b.UserID != "":
		id = *b.UserID
	case who.jwt:
		id = who.userID // the caller's own
	default:
		return refuse(&httpError{Status: http.StatusBadRequest, Code: "invalid_request", ChatCode: chat.CodeInvalidParameter,
			Message: `UserID is required: POST {"UserID": "..."}`})
	}
	out.userIDs = []string{id}
	if err := chat.ValidateUserID(id); err != nil {
		return refuse(httpErrorFor(err))
	}
	if he := who.may(id); he != nil {
		return refuse(he)
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, APIGatewayTimeout, iv.answerMargin)
	defer cancel()
	rep, err := h.issue(ctx, id)
	switch {
	case errors.Is(err, errAdminIdentifier):
		return refuse(forbidden(errAdminIdentifier.Info))
	case errors.Is(err, errAccountDeleted):
		return refuse(forbidden(errAccountDeleted.Info))
	case err != nil:
		he := iv.httpError(err)
		out.err, out.status = err, he.Status
		iv.logOutcome("usersig failed", out)
		return r.replyError(he)
	}
	out.status = http.StatusOK
	out.extra = append(out.extra, slog.Int64("expireAt", rep.ExpireAt))
	iv.count(metrics.UserSigsIssued, 1)
	iv.logOutcome("usersig done", out)
	return r.reply(http.StatusOK, rep, "")
}

// issue signs a UserSig for id, valid for the TTL from now. It refuses an
// invalid UserID and the admin identifier.
func (h *UserSigHandler) issue(ctx context.Context, id string) (UserSigReply, error) {
	if err := chat.ValidateUserID(id); err != nil {
		return UserSigReply{}, err
	}
	tombstone := h.tombstoned(ctx, id)
	creds, err := h.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return UserSigReply{}, credentialsError(err)
	}
	if creds.IsAdmin(id) {
		return UserSigReply{}, errAdminIdentifier
	}
	if err := tombstone(); err != nil {
		return UserSigReply{}, err
	}
	now := h.now()
	return UserSigReply{
		SDKAppID: creds.SDKAppID,
		UserID:   id,
		UserSig:  usersig.Generate([]byte(creds.Key), creds.SDKAppID, id, now, h.cfg.TTL),
		ExpireAt: now.Unix() + int64(h.cfg.TTL/time.Second),
	}, nil
}

// tombstoned starts reading whether id's account was deleted, when the
// ledger is set, and returns the wait for the answer: errAccountDeleted, a
// ledgerError when the ledger cannot be read (the caller fails closed), or
// nil. The read runs alongside the secret's, which a cold start fetches.
func (h *UserSigHandler) tombstoned(ctx context.Context, id string) (wait func() error) {
	t := h.cfg.Tombstones
	if t == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		deleted, err := t.Deleted(ctx, id)
		switch {
		case err != nil:
			err = ledgerError("the account ledger could not be read", err)
		case deleted:
			err = errAccountDeleted
		}
		done <- err
	}()
	return func() error { return <-done }
}

// credentialsError is the error of a UserSig that could not be made because
// the secret could not be read, classed as the Chat client classes it: 70500
// (transient: a 503) when the source says trying again may help, else 60002
// (configuration: an operator must fix the secret or the permission). Its
// cause names AWS resources, so callers see only the generic message.
func credentialsError(err error) *chat.Error {
	code := chat.CodeBadRequestURL
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		code = chat.CodeServerError
	}
	return &chat.Error{Command: userSigCommand, Code: code, Class: chat.Classify(code), Info: "the Chat credentials could not be loaded", Err: err, Internal: true}
}

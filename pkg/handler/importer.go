package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// Importer is the part of the Chat client the import handler uses.
type Importer interface {
	ImportAccount(ctx context.Context, a chat.Account) (chat.Stats, error)
	ImportAccounts(ctx context.Context, accounts []chat.Account) (chat.ImportResult, error)
}

// Queue takes pending imports: the retry queue and the dead-letter queue.
type Queue interface {
	Send(ctx context.Context, p chat.PendingImport) error
}

// ImportConfig configures an ImportHandler. Chat is required.
type ImportConfig struct {
	Chat    Importer
	Mapping chat.Mapping
	Auth    Auth
	Users   Users // reads users for lifecycle events; nil: lifecycle imports are refused
	// Credentials are those the Chat client signs with: no path imports
	// their admin identifier. nil: not checked (tests of other rules).
	Credentials     chatapi.CredentialsSource
	UserPoolID      string // USER_POOL_ID: the stack's pool; else lifecycle events must carry it in the stack's wrapper
	RetryQueue      Queue  // RETRY_QUEUE_URL; nil when unset
	DeadLetterQueue Queue  // DEAD_LETTER_QUEUE_URL; nil when unset
	Ledger          Ledger // LEDGER_TABLE: every import is recorded; nil: no ledger
	Logger          *slog.Logger

	CognitoBudget time.Duration // default DefaultCognitoBudget
	QueueMargin   time.Duration // sign-up path: kept back to enqueue and answer; default DefaultQueueMargin
	AnswerMargin  time.Duration // other paths: kept back to answer; default DefaultAnswerMargin
	Now           func() time.Time

	// Profiles sets the PROFILE_ATTRIBUTES fields (Mapping.Profile) once
	// an account exists. Nil: Chat, when it implements ProfileSetter.
	Profiles ProfileSetter

	// InitStart is when the process began its init. A sign-up that causes
	// a cold start has been waiting since then, so the first invocation's
	// budget counts from it. Zero: every budget counts from its invocation.
	InitStart time.Time
}

// ImportHandler is the import function: Cognito post-confirmation, API
// Gateway POST /accounts, direct invocation and the retry queue.
type ImportHandler struct {
	base
	cfg     ImportConfig
	invoked atomic.Bool // a first invocation has begun
}

// budgetStart returns when Cognito's clock would have started for an
// invocation that began at start. On a cold start Cognito has been waiting
// since before the process existed, through its whole init, so the
// process's first invocation counts from the process's start (unless that
// is longer ago than a whole budget, as after Lambda initialised the
// environment ahead of any request); every later one from its own start.
// It is called once for every invocation, sign-up or not, so that a process
// whose first event was an HTTP request or a queue batch does not charge its
// init to a later sign-up.
func (h *ImportHandler) budgetStart(start time.Time) time.Time {
	if h.invoked.Swap(true) {
		return start
	}
	if init := h.cfg.InitStart; !init.IsZero() && start.After(init) && start.Sub(init) < h.cfg.CognitoBudget {
		return init
	}
	return start
}

// NewImportHandler returns the import function's handler.
func NewImportHandler(cfg ImportConfig) *ImportHandler {
	if cfg.CognitoBudget <= 0 {
		cfg.CognitoBudget = DefaultCognitoBudget
	}
	if cfg.QueueMargin <= 0 {
		cfg.QueueMargin = DefaultQueueMargin
	}
	cfg.Mapping = cfg.Mapping.WithDefaults()
	cfg.Auth.Mapping = cfg.Mapping
	if p, ok := cfg.Chat.(ProfileSetter); ok && cfg.Profiles == nil {
		cfg.Profiles = p
	}
	h := &ImportHandler{cfg: cfg, base: newBase("import", cfg.Logger, cfg.Now, cfg.AnswerMargin, cfg.Auth)}
	h.unknown = errUnknownImportEvent
	h.cfg.Now = h.now
	return h
}

// Invoke handles one event. It implements aws-lambda-go's lambda.Handler.
func (h *ImportHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	iv := h.begin(ctx)
	// Whatever this invocation is, only the process's first one began
	// during the init; only a sign-up is on Cognito's clock.
	budgetStart := h.budgetStart(iv.start)
	switch k := classify(payload); k {
	case kindCognito:
		iv.start = budgetStart
		return h.cognito(iv, payload)
	case kindHTTPv1, kindHTTPv2:
		return h.http(iv, payload, k)
	case kindSQS:
		return h.sqs(iv, payload)
	case kindLifecycle:
		return h.lifecycle(iv, payload)
	case kindImport, kindBatchImport:
		b, err := decodeImport(payload)
		if err != nil {
			return iv.refuseBody(err)
		}
		return iv.direct(func(ctx context.Context) result { return h.run(ctx, b) })
	default:
		return iv.unknownEvent(payload)
	}
}

// importBody is a POST /accounts or direct-invocation body: the
// account_import body, or the multiaccount_import body for a batch.
type importBody struct {
	userIDField
	Nick        string       `json:"Nick"`
	FaceURL     string       `json:"FaceUrl"`
	AccountList *accountList `json:"AccountList"`
}

func (b importBody) account() chat.Account {
	a := chat.Account{Nick: b.Nick, FaceURL: b.FaceURL}
	if b.UserID != nil {
		a.UserID = *b.UserID
	}
	return a
}

// decodeImport decodes an import body; an empty body is an empty request.
// Identifier, when given, stands for UserID and must agree with it.
func decodeImport(body []byte) (importBody, error) {
	var b importBody
	if len(body) == 0 {
		return b, nil
	}
	if err := decodeBody(body, &b); err != nil {
		return b, err
	}
	return b, b.resolveAlias()
}

// run validates and imports a decoded body, bounded by ctx.
func (h *ImportHandler) run(ctx context.Context, b importBody) result {
	if b.AccountList != nil {
		list := []chat.Account(*b.AccountList)
		r := result{out: outcome{command: chat.CmdMultiImport, userIDs: b.userIDs()}}
		if err := validateBatch(list); err != nil {
			return r.refused(err)
		}
		if err := refuseAdmin(ctx, h.cfg.Credentials, r.out.userIDs...); err != nil {
			return r.refused(err)
		}
		wait := alongside(ctx, h.cfg.Ledger, apiRecords(list))
		res, err := h.cfg.Chat.ImportAccounts(ctx, list)
		if err = firstErr(err, wait); err != nil {
			return r.refused(err)
		}
		return r.answered(res, res.Stats, res.Requested-len(res.FailAccounts), len(res.FailAccounts))
	}
	a := b.account()
	r := result{out: outcome{command: chat.CmdImport, userIDs: []string{a.UserID}}}
	if err := a.Validate(); err != nil {
		return r.refused(err)
	}
	if err := refuseAdmin(ctx, h.cfg.Credentials, a.UserID); err != nil {
		return r.refused(err)
	}
	wait := alongside(ctx, h.cfg.Ledger, apiRecords([]chat.Account{a}))
	stats, err := h.cfg.Chat.ImportAccount(ctx, a)
	err = firstErr(err, wait)
	r.out.stats = stats
	if err != nil {
		return r.refused(err)
	}
	r.env, r.done = chat.Envelope{ActionStatus: chat.StatusOK}, 1
	return r
}

// http handles POST /accounts.
func (h *ImportHandler) http(iv *invocation, payload []byte, k kind) ([]byte, error) {
	r, err := parseHTTP(payload, k)
	if err != nil {
		return nil, err
	}
	out := outcome{event: "http"}
	if r.path != "/accounts" {
		return iv.refuse(r, out, notFound(r.path))
	}
	if r.method != http.MethodPost {
		return iv.refuse(r, out, methodNotAllowed(http.MethodPost))
	}
	if r.bodyErr != nil {
		return iv.refuse(r, out, r.bodyErr)
	}
	who, he := iv.caller(r, &out)
	if he != nil {
		return iv.refuse(r, out, he)
	}
	b, err := decodeImport(r.body)
	if err != nil {
		return iv.refuse(r, out, bodyRefused(err))
	}
	if who.jwt && b.AccountList == nil && b.UserID == nil {
		b.UserID = &who.userID // POST /accounts with no UserID imports the caller
	}
	if he := who.may(b.userIDs()...); he != nil {
		return iv.refuse(r, out, he)
	}
	return iv.serve(r, out, func(ctx context.Context) result { return h.run(ctx, b) })
}

// validateBatch checks a batch's size and every account in it, so that a
// refused batch costs no Chat call.
func validateBatch(list []chat.Account) error {
	if err := chat.ValidateBatchSize(len(list)); err != nil {
		return err
	}
	for i, a := range list {
		if err := a.Validate(); err != nil {
			return chat.ItemError(err, i)
		}
	}
	return nil
}

func (b importBody) userIDs() []string {
	if b.AccountList != nil {
		ids := make([]string, len(*b.AccountList))
		for i, a := range *b.AccountList {
			ids[i] = a.UserID
		}
		return ids
	}
	return []string{b.account().UserID}
}

// errLost is the trigger's error when a sign-up import could neither finish
// nor be queued. Its text reaches the person signing up, so it says nothing
// of the cause.
var errLost = errors.New("the chat account could not be created now; it has been logged for repair")

// cognito handles the post-confirmation trigger. The reply is the input's
// own bytes.
func (h *ImportHandler) cognito(iv *invocation, payload []byte) ([]byte, error) {
	ctx := iv.ctx
	var e struct {
		TriggerSource string `json:"triggerSource"`
		UserPoolID    string `json:"userPoolId"`
		UserName      string `json:"userName"`
		Request       struct {
			UserAttributes map[string]string `json:"userAttributes"`
		} `json:"request"`
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, eventError("Cognito event", err)
	}
	who := []slog.Attr{slog.String("userPoolId", e.UserPoolID), slog.String("userName", e.UserName), slog.String("triggerSource", e.TriggerSource)}
	out := outcome{event: "cognito", extra: who}
	if e.TriggerSource != "PostConfirmation_ConfirmSignUp" {
		iv.logOutcome("trigger ignored", out)
		return payload, nil
	}
	pending := chat.PendingImport{Version: chat.PendingVersion, UserPoolID: e.UserPoolID, UserName: e.UserName, Sub: e.Request.UserAttributes["sub"], FirstFailedAt: h.cfg.Now().UTC()}
	acct, dropped, err := h.cfg.Mapping.Account(e.UserName, e.Request.UserAttributes)
	if err != nil {
		pending.Reason = "no usable UserID (" + h.cfg.Mapping.UserIDAttribute + "): " + err.Error()
		return h.park(iv, payload, pending, out)
	}
	out.userIDs = []string{acct.UserID}
	pending.Account = acct
	if len(dropped) > 0 {
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile field dropped", append(who, slog.String("userId", acct.UserID), slog.Any("fields", dropped))...)
	}
	if len(h.cfg.Mapping.Profile) > 0 {
		var pdropped []string
		pending.Profile, pdropped = h.cfg.Mapping.ProfileItems(e.Request.UserAttributes)
		h.logDropped(ctx, acct.UserID, pdropped, who)
	}

	ictx, cancel := withDeadline(ctx, iv.start, h.cfg.CognitoBudget, h.cfg.QueueMargin)
	if err := refuseAdmin(ictx, h.cfg.Credentials, acct.UserID); errors.Is(err, chat.ErrAdminAccount) {
		cancel()
		pending.Reason = err.Error()
		return h.park(iv, payload, pending, out)
	}
	stats, err := h.importSignup(ictx, pending, acct, who)
	var perr error
	if err == nil && len(pending.Profile) > 0 {
		var pstats chat.Stats
		pstats, perr = h.setProfile(ictx, acct.UserID, pending.Profile, who)
		stats = stats.Add(pstats)
	}
	cancel()
	out.command, out.stats, out.err = chat.CmdImport, stats, err
	if err == nil {
		iv.count(metrics.Imported, 1)
		if perr != nil {
			pending.Reason = "profile fields: " + perr.Error()
			h.queueProfile(iv, pending, out, perr)
			return payload, nil
		}
		iv.logOutcome("import done", out)
		return payload, nil
	}
	pending.Reason = err.Error()
	if chat.ErrorClass(err) == chat.ClassCaller {
		return h.park(iv, payload, pending, out)
	}
	if !h.enqueue(iv, h.retryQueue(), pending, out) {
		return nil, errLost
	}
	return payload, nil
}

// importSignup imports a sign-up's account a (the post-confirmation
// trigger's, or a retry-queue message's) and records it in the ledger as
// p's user, side by side.
func (h *ImportHandler) importSignup(ctx context.Context, p chat.PendingImport, a chat.Account, who []slog.Attr) (chat.Stats, error) {
	wait := alongside(ctx, h.cfg.Ledger, []chat.Record{{UserID: a.UserID, Sub: p.Sub, Username: p.UserName, PoolID: p.UserPoolID, Source: chat.SourceSignup}})
	stats, err := h.importDroppingProfile(ctx, a, who)
	return stats, firstErr(err, wait)
}

// importDroppingProfile imports a, and again without Nick and FaceUrl when
// Chat refuses a profile field: a sign-up must not fail over a nickname.
func (h *ImportHandler) importDroppingProfile(ctx context.Context, a chat.Account, who []slog.Attr) (chat.Stats, error) {
	stats, err := h.cfg.Chat.ImportAccount(ctx, a)
	if code := chat.ErrorCode(err); (code == chat.CodeProfileTooLong || code == chat.CodeProfileRefused) && (a.Nick != "" || a.FaceURL != "") {
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile field dropped", append(who, slog.String("userId", a.UserID), slog.Int("chatCode", code))...)
		a.Nick, a.FaceURL = "", ""
		more, err2 := h.cfg.Chat.ImportAccount(ctx, a)
		return stats.Add(more), err2
	}
	return stats, err
}

// park sends a sign-up import that can never succeed as it is to the
// dead-letter queue for an operator, and returns the event: retrying would
// not help, and an error would only alarm the person signing up.
func (h *ImportHandler) park(iv *invocation, payload []byte, p chat.PendingImport, out outcome) ([]byte, error) {
	out.extra = append(out.extra, slog.String("reason", p.Reason))
	if out.err == nil {
		out.err = errors.New(p.Reason)
	}
	h.enqueue(iv, h.deadLetterQueue(), p, out)
	return payload, nil
}

// queueSendMargin is what a send to a queue keeps back of the sign-up
// budget, to answer Cognito.
const queueSendMargin = 50 * time.Millisecond

// destination is a queue a sign-up import can be sent to: its name in
// logs, and the outcome message once the import is in it.
type destination struct {
	queue  Queue
	name   string
	done   string
	metric metrics.Name // counted once the import is in the queue
}

func (h *ImportHandler) retryQueue() destination {
	return destination{h.cfg.RetryQueue, "retry queue", "import queued", metrics.Queued}
}

func (h *ImportHandler) deadLetterQueue() destination {
	return destination{h.cfg.DeadLetterQueue, "dead-letter queue", "import parked", metrics.Parked}
}

// enqueue sends p to d within the sign-up budget and logs the outcome: done
// when sent, "lost import" when there is no queue or sending fails. It
// reports whether p was sent.
func (h *ImportHandler) enqueue(iv *invocation, d destination, p chat.PendingImport, out outcome) bool {
	if d.queue == nil {
		out.extra = append(out.extra, slog.String("why", "no "+d.name))
		iv.count(metrics.Lost, 1)
		iv.logOutcome("lost import", out)
		return false
	}
	qctx, cancel := withDeadline(iv.ctx, iv.start, h.cfg.CognitoBudget, queueSendMargin)
	defer cancel()
	if err := d.queue.Send(qctx, p); err != nil {
		out.extra = append(out.extra, slog.String("why", d.name+": "+err.Error()))
		iv.count(metrics.Lost, 1)
		iv.logOutcome("lost import", out)
		return false
	}
	iv.count(d.metric, 1)
	iv.logOutcome(d.done, out)
	return true
}

package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
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
	Chat            Importer
	Mapping         chat.Mapping
	Auth            Auth
	RetryQueue      Queue // RETRY_QUEUE_URL; nil when unset
	DeadLetterQueue Queue // DEAD_LETTER_QUEUE_URL; nil when unset
	Logger          *slog.Logger

	CognitoBudget time.Duration // default DefaultCognitoBudget
	QueueMargin   time.Duration // sign-up path: kept back to enqueue and answer; default DefaultQueueMargin
	AnswerMargin  time.Duration // other paths: kept back to answer; default DefaultAnswerMargin
	Now           func() time.Time

	// InitStart is when the process began its init. A sign-up that causes
	// a cold start has been waiting since then, so the first invocation's
	// budget counts from it. Zero: every budget counts from its invocation.
	InitStart time.Time
}

// ImportHandler is the import function: Cognito post-confirmation, API
// Gateway POST /accounts, direct invocation and the retry queue.
type ImportHandler struct {
	cfg     ImportConfig
	log     *slog.Logger
	invoked atomic.Bool // a first invocation has begun
}

// budgetStart returns when Cognito's clock for this invocation started. On
// a cold start Cognito has been waiting since before the process existed,
// through its whole init, so the first invocation counts from the process's
// start (unless that is longer ago than a whole budget, as after Lambda
// initialised the environment ahead of any request); later ones from their
// own start.
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
	if cfg.AnswerMargin <= 0 {
		cfg.AnswerMargin = DefaultAnswerMargin
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Mapping = cfg.Mapping.WithDefaults()
	cfg.Auth.Mapping = cfg.Mapping
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &ImportHandler{cfg: cfg, log: log}
}

// Invoke handles one event. It implements aws-lambda-go's lambda.Handler.
func (h *ImportHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := h.cfg.Now()
	switch k := classify(payload); k {
	case kindCognito:
		return h.cognito(ctx, start, payload)
	case kindHTTPv1, kindHTTPv2:
		return h.http(ctx, start, payload, k)
	case kindSQS:
		return h.sqs(ctx, start, payload)
	case kindImport, kindBatchImport:
		return h.direct(ctx, start, payload)
	default:
		h.log.WarnContext(ctx, "unrecognized event", slog.Int("bytes", len(payload)))
		return nil, errUnknownImportEvent
	}
}

// importBody is a POST /accounts or direct-invocation body: the
// account_import body, or the multiaccount_import body for a batch.
type importBody struct {
	UserID      *string         `json:"UserID"`
	Nick        string          `json:"Nick"`
	FaceURL     string          `json:"FaceUrl"`
	AccountList *[]chat.Account `json:"AccountList"`
}

func (b importBody) account() chat.Account {
	a := chat.Account{Nick: b.Nick, FaceURL: b.FaceURL}
	if b.UserID != nil {
		a.UserID = *b.UserID
	}
	return a
}

func decodeImport(body []byte) (importBody, error) {
	var b importBody
	if len(body) == 0 {
		return b, nil
	}
	err := json.Unmarshal(body, &b)
	return b, err
}

// run validates and imports a decoded body, bounded by ctx.
func (h *ImportHandler) run(ctx context.Context, b importBody) result {
	if b.AccountList != nil {
		list := *b.AccountList
		r := result{out: outcome{command: chat.CmdMultiImport, userIDs: b.userIDs()}}
		if err := validateBatch(list); err != nil {
			return r.refused(err)
		}
		res, err := h.cfg.Chat.ImportAccounts(ctx, list)
		if err != nil {
			return r.refused(err)
		}
		env := res.Envelope()
		return r.answered(env, res.Stats, res.Err(), len(res.FailAccounts), func() error {
			return &chat.Error{Command: chat.CmdMultiImport, Code: env.ErrorCode, Class: chat.ClassConfiguration, Info: env.ErrorInfo}
		})
	}
	a := b.account()
	r := result{out: outcome{command: chat.CmdImport, userIDs: []string{a.UserID}}}
	if err := a.Validate(); err != nil {
		return r.refused(err)
	}
	stats, err := h.cfg.Chat.ImportAccount(ctx, a)
	r.out.stats = stats
	if err != nil {
		return r.refused(err)
	}
	r.env = chat.Envelope{ActionStatus: chat.StatusOK}
	return r
}

// direct handles a direct invocation: the reply is the Chat envelope, also
// for refused input and failed calls.
func (h *ImportHandler) direct(ctx context.Context, start time.Time, payload []byte) ([]byte, error) {
	b, err := decodeImport(payload)
	if err != nil {
		return refuseBody(ctx, h.log, start, "import", err)
	}
	ctx, cancel := withDeadline(ctx, start, 0, h.cfg.AnswerMargin)
	defer cancel()
	r := h.run(ctx, b)
	r.out.event = "direct"
	logOutcome(ctx, h.log, start, outcomeMsg("import", r.fail), r.out)
	return envelopeJSON(r.env)
}

func outcomeMsg(op string, failed bool) string {
	if failed {
		return op + " failed"
	}
	return op + " done"
}

// http handles POST /accounts.
func (h *ImportHandler) http(ctx context.Context, start time.Time, payload []byte, k kind) ([]byte, error) {
	r, err := parseHTTP(payload, k)
	if err != nil {
		return nil, err
	}
	out := outcome{event: "http"}
	reply := func(he *httpError) ([]byte, error) { return refuse(ctx, h.log, start, "import", r, out, he) }
	if r.path != "/accounts" {
		return reply(notFound(r.path))
	}
	if r.method != http.MethodPost {
		return reply(methodNotAllowed(http.MethodPost))
	}
	if r.bodyErr != nil {
		return reply(r.bodyErr)
	}
	who, he := h.cfg.Auth.caller(r)
	if he != nil {
		return reply(he)
	}
	if who.arn != "" {
		out.extra = append(out.extra, slog.String("caller", who.arn))
	}
	b, err := decodeImport(r.body)
	if err != nil {
		return reply(invalidJSON(err))
	}
	if who.jwt && b.AccountList == nil && b.UserID == nil {
		b.UserID = &who.userID // POST /accounts with no UserID imports the caller
	}
	if he := who.may(b.userIDs()...); he != nil {
		return reply(he)
	}
	ctx, cancel := withDeadline(ctx, start, APIGatewayTimeout, h.cfg.AnswerMargin)
	defer cancel()
	res := h.run(ctx, b)
	res.out.extra = append(res.out.extra, out.extra...)
	return respond(ctx, h.log, start, "import", r, res)
}

// validateBatch checks a batch's size and every account in it, so that a
// refused batch costs no Chat call.
func validateBatch(list []chat.Account) error {
	if err := chat.ValidateBatchSize(len(list)); err != nil {
		return err
	}
	for i, a := range list {
		if err := a.Validate(); err != nil {
			return itemError(err, i)
		}
	}
	return nil
}

// itemError names the position of a refused item.
func itemError(err error, i int) error {
	var e *chat.Error
	if errors.As(err, &e) {
		ce := *e
		ce.Info = fmt.Sprintf("item %d: %s", i, ce.Info)
		return &ce
	}
	return err
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
func (h *ImportHandler) cognito(ctx context.Context, start time.Time, payload []byte) ([]byte, error) {
	start = h.budgetStart(start)
	var e struct {
		TriggerSource string `json:"triggerSource"`
		UserPoolID    string `json:"userPoolId"`
		UserName      string `json:"userName"`
		Request       struct {
			UserAttributes map[string]string `json:"userAttributes"`
		} `json:"request"`
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("decode Cognito event: %w", err)
	}
	who := []slog.Attr{slog.String("userPoolId", e.UserPoolID), slog.String("userName", e.UserName), slog.String("triggerSource", e.TriggerSource)}
	out := outcome{event: "cognito", extra: who}
	if e.TriggerSource != "PostConfirmation_ConfirmSignUp" {
		logOutcome(ctx, h.log, start, "trigger ignored", out)
		return payload, nil
	}
	pending := chat.PendingImport{Version: chat.PendingVersion, UserPoolID: e.UserPoolID, UserName: e.UserName, FirstFailedAt: h.cfg.Now().UTC()}
	acct, dropped, err := h.cfg.Mapping.Account(e.UserName, e.Request.UserAttributes)
	if err != nil {
		pending.Reason = "no usable UserID (" + h.cfg.Mapping.UserIDAttribute + "): " + err.Error()
		return h.park(ctx, start, payload, pending, out)
	}
	out.userIDs = []string{acct.UserID}
	pending.Account = acct
	if len(dropped) > 0 {
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile field dropped", append(who, slog.String("userId", acct.UserID), slog.Any("fields", dropped))...)
	}

	ictx, cancel := withDeadline(ctx, start, h.cfg.CognitoBudget, h.cfg.QueueMargin)
	stats, err := h.importDroppingProfile(ictx, acct, who)
	cancel()
	out.command, out.stats, out.err = chat.CmdImport, stats, err
	if err == nil {
		logOutcome(ctx, h.log, start, "import done", out)
		return payload, nil
	}
	pending.Reason = err.Error()
	if chat.ErrorClass(err) == chat.ClassCaller {
		return h.park(ctx, start, payload, pending, out)
	}
	if !h.enqueue(ctx, start, h.cfg.RetryQueue, "retry queue", pending, out, "import queued") {
		return nil, errLost
	}
	return payload, nil
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
func (h *ImportHandler) park(ctx context.Context, start time.Time, payload []byte, p chat.PendingImport, out outcome) ([]byte, error) {
	out.extra = append(out.extra, slog.String("reason", p.Reason))
	if out.err == nil {
		out.err = errors.New(p.Reason)
	}
	h.enqueue(ctx, start, h.cfg.DeadLetterQueue, "dead-letter queue", p, out, "import parked")
	return payload, nil
}

// enqueue sends p to q within the sign-up budget and logs the outcome: done
// when sent, "lost import" when there is no queue or sending fails. It
// reports whether p was sent.
func (h *ImportHandler) enqueue(ctx context.Context, start time.Time, q Queue, name string, p chat.PendingImport, out outcome, done string) bool {
	if q == nil {
		out.extra = append(out.extra, slog.String("why", "no "+name))
		logOutcome(ctx, h.log, start, "lost import", out)
		return false
	}
	qctx, cancel := withDeadline(ctx, start, h.cfg.CognitoBudget, 50*time.Millisecond)
	defer cancel()
	if err := q.Send(qctx, p); err != nil {
		out.extra = append(out.extra, slog.String("why", name+": "+err.Error()))
		logOutcome(ctx, h.log, start, "lost import", out)
		return false
	}
	logOutcome(ctx, h.log, start, done, out)
	return true
}

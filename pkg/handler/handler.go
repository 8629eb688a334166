package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// Defaults for the time a handler keeps back from its deadline.
const (
	DefaultAnswerMargin  = 250 * time.Millisecond // to encode and send a reply
	DefaultCognitoBudget = 5 * time.Second        // Cognito's limit for a trigger
	DefaultQueueMargin   = 800 * time.Millisecond // sign-up path: to enqueue and answer

	// APIGatewayTimeout bounds an API Gateway request whatever the
	// function's timeout: API Gateway stops waiting for the integration
	// after 29 seconds (the template's TimeoutInMillis), and a reply after
	// that would reach no one.
	APIGatewayTimeout = 29 * time.Second
)

// withDeadline bounds ctx to end margin before its own deadline, and no later
// than budget after start when budget is positive.
func withDeadline(ctx context.Context, start time.Time, budget, margin time.Duration) (context.Context, context.CancelFunc) {
	var end time.Time
	if budget > 0 {
		end = start.Add(budget)
	}
	if dl, ok := ctx.Deadline(); ok && (end.IsZero() || dl.Before(end)) {
		end = dl
	}
	if end.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, end.Add(-margin))
}

// base is what the handlers share: where they log, their clock, the time
// they keep back to answer, and who may call them over HTTP.
type base struct {
	op           string // "import" or "delete": the first word of every outcome message
	log          *slog.Logger
	now          func() time.Time
	answerMargin time.Duration
	auth         Auth
	unknown      error // the function error for a payload that is no known event
}

// newBase fills the defaults of what a handler's config leaves empty.
func newBase(op string, log *slog.Logger, now func() time.Time, margin time.Duration, auth Auth) base {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	if margin <= 0 {
		margin = DefaultAnswerMargin
	}
	auth.Mapping = auth.Mapping.WithDefaults()
	return base{op: op, log: log, now: now, answerMargin: margin, auth: auth}
}

// invocation is one event being handled: the context it runs in and when it
// began. Every log line and reply of the event goes through it.
type invocation struct {
	*base
	ctx   context.Context
	start time.Time
}

func (b *base) begin(ctx context.Context) *invocation {
	return &invocation{base: b, ctx: ctx, start: b.now()}
}

// count adds n to the invocation's metric name (see pkg/metrics; nothing
// when the invocation carries no recorder).
func (iv *invocation) count(name metrics.Name, n int) {
	if n > 0 {
		metrics.FromContext(iv.ctx).Add(name, int64(n))
	}
}

// unknownEvent refuses a payload that is no event the function accepts.
func (iv *invocation) unknownEvent(payload []byte) ([]byte, error) {
	iv.log.WarnContext(iv.ctx, "unrecognized event", slog.Int("bytes", len(payload)))
	return nil, iv.unknown
}

// direct answers a direct invocation whose body decoded: run is bounded by
// the invocation's deadline, and the reply is the Chat envelope, also for
// refused input and failed calls.
func (iv *invocation) direct(run func(context.Context) result) ([]byte, error) {
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	r := run(ctx)
	iv.countResult(r)
	r.out.event = "direct"
	iv.logOutcome(outcomeMsg(iv.op, r.fail), r.out)
	return envelopeJSON(r.env)
}

// countResult records an import or delete request's accounts: done
// (Imported or Deleted, by the handler) and failed.
func (iv *invocation) countResult(r result) {
	done := metrics.Imported
	if iv.op == "delete" {
		done = metrics.Deleted
	}
	iv.count(done, r.done)
	iv.count(metrics.Failed, r.failed)
}

// refuseBody answers a direct invocation whose body decodeBody refused: a
// FAIL envelope with the code Chat would answer.
func (iv *invocation) refuseBody(err error) ([]byte, error) {
	iv.logOutcome(iv.op+" refused", outcome{event: "direct", err: err})
	return envelopeJSON(chat.Envelope{ActionStatus: chat.StatusFail, ErrorCode: chat.ErrorCode(err), ErrorInfo: chat.ErrorInfo(err)})
}

func outcomeMsg(op string, failed bool) string {
	if failed {
		return op + " failed"
	}
	return op + " done"
}

// outcome collects the fields of the one log line an invocation writes.
type outcome struct {
	event   string
	command string
	userIDs []string
	stats   chat.Stats
	err     error
	status  int
	warn    bool // a refusal: logged as a warning, not an error
	extra   []slog.Attr
}

// maxLoggedIDs caps the UserIDs one log line lists.
const maxLoggedIDs = 20

// logOutcome writes the invocation's one outcome line.
func (iv *invocation) logOutcome(msg string, o outcome) {
	level := slog.LevelInfo
	attrs := make([]slog.Attr, 0, 10+len(o.extra)) // room for every field below
	attrs = append(attrs,
		slog.String("event", o.event),
		slog.Int64("durationMs", time.Since(iv.start).Milliseconds()),
	)
	if o.command != "" {
		attrs = append(attrs, slog.String("command", o.command))
	}
	if n := len(o.userIDs); n > 0 {
		ids := o.userIDs
		if n > maxLoggedIDs {
			ids = ids[:maxLoggedIDs]
			attrs = append(attrs, slog.Int("userIdCount", n))
		}
		attrs = append(attrs, slog.Any("userIds", ids))
	}
	if o.stats.Calls > 0 {
		attrs = append(attrs, slog.Int("calls", o.stats.Calls), slog.Int("attempts", o.stats.Attempts))
	}
	if o.status != 0 {
		attrs = append(attrs, slog.Int("status", o.status))
	}
	if o.err != nil {
		level = slog.LevelError
		if code := chat.ErrorCode(o.err); code != 0 {
			attrs = append(attrs, slog.Int("chatCode", code), slog.String("class", chat.ErrorClass(o.err).String()))
		}
		attrs = append(attrs, slog.String("error", o.err.Error()))
		if o.warn || chat.ErrorClass(o.err) == chat.ClassCaller {
			level = slog.LevelWarn
		}
	}
	attrs = append(attrs, o.extra...)
	iv.log.LogAttrs(iv.ctx, level, msg, attrs...)
}

// envelopeJSON encodes a direct invocation's reply.
func envelopeJSON(env chat.Envelope) ([]byte, error) {
	if env.ActionStatus == chat.StatusOK && env.ErrorCode == 0 && env.ErrorInfo == "" && env.FailAccounts == nil && env.ResultItem == nil {
		return append([]byte(nil), okEnvelope...), nil // the common reply, without encoding it each time
	}
	return json.Marshal(env)
}

// okEnvelope is what json.Marshal makes of a plain OK envelope, written out
// so that no function's cold start pays for building the encoder of
// chat.Envelope at package initialisation (TestOKEnvelope holds the two
// equal).
var okEnvelope = []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)

// result is the outcome of an import or delete request: the envelope that
// direct invocation and a 200 reply carry, or the error that decides a
// failed request's status.
type result struct {
	env  chat.Envelope
	err  error
	fail bool
	out  outcome

	done, failed int // accounts Chat carried out and did not, for the metrics
}

// refused returns r failed with err, before or instead of any Chat reply.
// When Chat was called (the error names a command), its accounts failed.
func (r result) refused(err error) result {
	r.env, r.err, r.fail, r.out.err = chat.ErrorEnvelope(err), err, true, err
	var e *chat.Error
	if errors.As(err, &e) && e.Command != "" {
		r.failed = len(r.out.userIDs)
	}
	return r
}

// batch is a batch operation's outcome, as Chat answered it.
type batch interface {
	Envelope() chat.Envelope
	Err() error     // the first failed call's error
	Failure() error // why the whole batch failed; nil when some account succeeded
}

// answered returns r for a batch that Chat answered; done and failed are
// the numbers of accounts that succeeded and failed.
func (r result) answered(b batch, stats chat.Stats, done, failed int) result {
	r.done, r.failed = done, failed
	r.env, r.out.stats, r.err = b.Envelope(), stats, b.Err()
	r.fail = r.env.ActionStatus == chat.StatusFail
	if r.fail {
		r.err = b.Failure()
	}
	r.out.err = r.err
	if failed > 0 {
		r.out.extra = append(r.out.extra, slog.Int("failed", failed))
	}
	return r
}

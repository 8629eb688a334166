package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
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

func logOutcome(ctx context.Context, log *slog.Logger, start time.Time, msg string, o outcome) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("event", o.event),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
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
	log.LogAttrs(ctx, level, msg, attrs...)
}

// envelopeJSON encodes a direct invocation's reply.
func envelopeJSON(env chat.Envelope) ([]byte, error) { return json.Marshal(env) }

// result is the outcome of an import or delete request: the envelope that
// direct invocation and a 200 reply carry, or the error that decides a
// failed request's status.
type result struct {
	env  chat.Envelope
	err  error
	fail bool
	out  outcome
}

// refused returns r failed with err, before or instead of any Chat reply.
func (r result) refused(err error) result {
	r.env, r.err, r.fail, r.out.err = chat.ErrorEnvelope(err), err, true, err
	return r
}

// answered returns r for a batch that Chat answered: env is the merged
// envelope, callErr the first failed call's error, failed the number of
// accounts that failed. When every account failed without a call error,
// orElse supplies the error that decides the reply's status.
func (r result) answered(env chat.Envelope, stats chat.Stats, callErr error, failed int, orElse func() error) result {
	r.env, r.out.stats, r.err = env, stats, callErr
	r.fail = env.ActionStatus == chat.StatusFail
	if r.fail && r.err == nil {
		r.err = orElse()
	}
	r.out.err = r.err
	if failed > 0 {
		r.out.extra = append(r.out.extra, slog.Int("failed", failed))
	}
	return r
}

// refuseBody answers a direct invocation whose body does not decode: a FAIL
// envelope with 60015, as Chat answers a mistyped field.
func refuseBody(ctx context.Context, log *slog.Logger, start time.Time, op string, err error) ([]byte, error) {
	e := chat.Errorf(chat.CodeBadAccountType, "invalid request body: %v", err)
	logOutcome(ctx, log, start, op+" refused", outcome{event: "direct", err: e})
	return envelopeJSON(chat.Envelope{ActionStatus: chat.StatusFail, ErrorCode: e.Code, ErrorInfo: e.Info})
}

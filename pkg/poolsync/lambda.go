package poolsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/metrics"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// MessageVersion is the version of Message this code writes and reads.
const MessageVersion = 1

// Message is the body of a sync queue message: one listing stream, and the
// page it continues from.
type Message struct {
	Version  int    `json:"version"`
	Prefix   string `json:"prefix"`          // the stream: the sub's first hex digit
	Token    string `json:"token,omitempty"` // the next page; "" for the first
	Profiles bool   `json:"profiles"`        // re-import users already in Chat (profile update)

	// Stalled counts the rounds in a row, up to this message, whose
	// invocation handed the stream on from the page it started at.
	Stalled int `json:"stalled,omitempty"`
	// Run is when the run began, set when the run prunes: each stream
	// reports its end under it, and Prune marks the message that prunes
	// once every stream of the run is done.
	Run   time.Time `json:"run,omitzero"`
	Prune bool      `json:"prune,omitempty"`
}

// MaxStalledRounds is how many rounds in a row a stream may end where it
// began (Cognito throttling every ListUsers call, say) before its message
// fails instead of handing the same page on once more: failing, the
// message is delivered again and, after the queue's maxReceiveCount, moved
// to the dead-letter queue, whose alarm tells an operator. Handing it on
// would go round forever with nothing to see.
const MaxStalledRounds = 5

// Start is the scheduled event: {"sync":"start"}, optionally with
// "profiles":true.
type Start struct {
	Sync     string `json:"sync"`
	Profiles bool   `json:"profiles"`
}

// Sender sends a message to the sync queue; *sqs.Client implements it.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Pool     string // USER_POOL_ID
	QueueURL string // SYNC_QUEUE_URL
	Queue    Sender
	Users    Lister
	Chat     Chat
	// Credentials give the admin identifier, which the sync skips (see
	// Config.Credentials).
	Credentials Credentials
	Mapping     chat.Mapping
	Logger      *slog.Logger // nil discards

	// Margin is how much time must be left before the invocation's
	// deadline to start another round; default 60s. Reserve is kept free
	// at the end of the invocation to send the continuation; default 5s.
	Margin        time.Duration
	Reserve       time.Duration
	PagesPerRound int              // see Config.PagesPerRound
	Now           func() time.Time // default time.Now

	// Ledger, when set (LEDGER_TABLE), records the users the sync finds
	// in Chat or imports, and holds the run's progress for a prune.
	Ledger RunLedger
	// Prune (SYNC_PRUNE) ends each run whose every stream was listed to
	// its end with a prune (see Prune), under the default guard: a run
	// with a stream that failed prunes nothing.
	Prune bool
	// Finder looks a sub up in the pool, for the items a run did not
	// refresh (needed with Prune).
	Finder SubFinder
	// Admin returns the app's admin identifier, which is never pruned
	// (needed with Prune); default: the admin of Credentials.
	Admin func(context.Context) (string, error)
}

// RunLedger is the ledger as the scheduled sync uses it: *ledger.Ledger
// implements it.
type RunLedger interface {
	Recorder
	PruneLedger
	StartRun(ctx context.Context, pool string, run time.Time) error
	StreamDone(ctx context.Context, pool string, run time.Time, prefix string) (int, error)
}

// SubFinder finds a pool's user by sub; *cognito.Client implements it,
// answering cognito.ErrNotFound when there is none.
type SubFinder interface {
	FindBySub(ctx context.Context, pool, sub string) (cognito.User, error)
}

// Handler is the scheduled sync function: the schedule's Start event
// sends one Message per stream to the sync queue, and each message, from
// SQS, syncs its stream until the invocation's deadline nears, then sends
// its continuation and is acknowledged. So no invocation lists the whole
// pool, and a pool of any size finishes.
type Handler struct {
	cfg HandlerConfig
	log *slog.Logger
}

// NewHandler returns a Handler for cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Admin == nil && cfg.Credentials != nil {
		creds := cfg.Credentials
		cfg.Admin = func(ctx context.Context) (string, error) {
			c, err := creds.Credentials(ctx)
			return c.Admin, err
		}
	}
	switch {
	case cfg.Pool == "":
		return nil, errors.New("sync: USER_POOL_ID is not set")
	case cfg.QueueURL == "" || cfg.Queue == nil:
		return nil, errors.New("sync: SYNC_QUEUE_URL is not set")
	case cfg.Users == nil || cfg.Chat == nil:
		return nil, errors.New("sync: no Cognito or Chat client")
	case cfg.Prune && (cfg.Ledger == nil || cfg.Finder == nil || cfg.Admin == nil):
		return nil, errors.New("sync: SYNC_PRUNE needs LEDGER_TABLE")
	}
	if _, ok := cfg.Chat.(PruneChat); cfg.Prune && !ok {
		return nil, errors.New("sync: the Chat client cannot delete accounts")
	}
	if cfg.Margin <= 0 {
		cfg.Margin = 60 * time.Second
	}
	if cfg.Reserve <= 0 {
		cfg.Reserve = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Handler{cfg: cfg, log: log}, nil
}

// errUnknownEvent is the reply to a payload that is neither the schedule's
// event nor an SQS batch.
var errUnknownEvent = errors.New(`sync: unrecognized event: want {"sync":"start"} or SQS messages`)

// Invoke handles one invocation; it implements lambda.Handler.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var probe struct {
		Sync    *string         `json:"sync"`
		Records json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, errUnknownEvent
	}
	switch {
	case probe.Sync != nil:
		return h.start(ctx, payload)
	case probe.Records != nil:
		return h.messages(ctx, payload)
	}
	return nil, errUnknownEvent
}

// start fans the sync out: one message per stream.
func (h *Handler) start(ctx context.Context, payload []byte) ([]byte, error) {
	var s Start
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Sync != "start" {
		return nil, errors.New(`sync: want {"sync":"start"}, optionally with "profiles":true`)
	}
	var run time.Time
	if h.cfg.Prune {
		run = h.cfg.Now().UTC()
		if err := h.cfg.Ledger.StartRun(ctx, h.cfg.Pool, run); err != nil {
			return nil, err
		}
	}
	for _, p := range cognito.Prefixes() {
		if err := h.send(ctx, Message{Version: MessageVersion, Prefix: p, Profiles: s.Profiles, Run: run}); err != nil {
			// The streams already sent run; a retry of this event sends
			// them again, which costs checks but imports nothing twice.
			return nil, err
		}
	}
	h.log.InfoContext(ctx, "sync started", slog.String("userPoolId", h.cfg.Pool), slog.Int("streams", len(cognito.Prefixes())), slog.Bool("profiles", s.Profiles))
	return json.Marshal(map[string]any{"streams": len(cognito.Prefixes())})
}

// messages syncs each queued stream in turn and reports the messages that
// are not done with as batch item failures.
func (h *Handler) messages(ctx context.Context, payload []byte) ([]byte, error) {
	var e events.SQSEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("decode SQS event: %w", err)
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range e.Records {
		if !h.message(ctx, m) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return json.Marshal(resp)
}

// message syncs one stream from its message and reports whether the
// message is done with: the stream finished, or its continuation was sent.
func (h *Handler) message(ctx context.Context, m events.SQSMessage) bool {
	log := h.log.With(slog.String("messageId", m.MessageId))
	msg, err := DecodeMessage([]byte(m.Body))
	if err != nil {
		log.ErrorContext(ctx, "sync message refused", slog.String("error", err.Error()))
		return false
	}
	if msg.Prune {
		return h.prune(ctx, log, msg)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = h.cfg.Now().Add(15 * time.Minute)
	}
	work, cancel := context.WithDeadline(ctx, deadline.Add(-h.cfg.Reserve))
	defer cancel()
	var led Recorder
	if h.cfg.Ledger != nil {
		led = h.cfg.Ledger
	}
	eng, err := New(Config{Pool: h.cfg.Pool, Users: h.cfg.Users, Chat: h.cfg.Chat, Credentials: h.cfg.Credentials, Mapping: h.cfg.Mapping, Profiles: msg.Profiles, PagesPerRound: h.cfg.PagesPerRound, Ledger: led, OnOutcome: func(o Outcome) {
		if o.Action == Failed || o.Action == Unmappable || o.Action == AdminUser {
			log.WarnContext(ctx, "sync user "+string(o.Action), slog.String("userId", o.UserID), slog.String("username", o.Username), slog.String("reason", o.Reason))
		}
	}})
	if err != nil {
		log.ErrorContext(ctx, "sync refused", slog.String("error", err.Error()))
		return false
	}
	stop := func() bool { return deadline.Sub(h.cfg.Now()) < h.cfg.Margin }
	next, c, err := eng.Stream(work, msg.Prefix, msg.Token, stop)
	rec := metrics.FromContext(ctx)
	rec.Add(metrics.Imported, int64(c.Imported))
	rec.Add(metrics.Failed, int64(c.Failed))
	attrs := []any{slog.String("prefix", msg.Prefix), slog.Any("counts", c)}
	if err != nil && (work.Err() == nil || ctx.Err() != nil) {
		// A failure of its own, or no time left even to hand on: SQS
		// delivers the message again, and after its maxReceiveCount
		// parks it in the dead-letter queue.
		log.ErrorContext(ctx, "sync stream failed", append(attrs, slog.String("error", err.Error()))...)
		return false
	}
	if next == "" && err == nil {
		log.InfoContext(ctx, "sync stream done", attrs...)
		return h.streamDone(ctx, log, msg)
	}
	// Out of time (err from the work deadline) or stopped by the margin:
	// hand the stream on from where it is, unless it has not moved for
	// MaxStalledRounds rounds.
	cont := Message{Version: MessageVersion, Prefix: msg.Prefix, Token: next, Profiles: msg.Profiles, Run: msg.Run}
	if next == msg.Token {
		cont.Stalled = msg.Stalled + 1
	}
	if cont.Stalled >= MaxStalledRounds {
		log.ErrorContext(ctx, "sync stream stalled", append(attrs, slog.Int("rounds", cont.Stalled),
			slog.String("why", "no page listed in these rounds in a row: the message fails, to reach the dead-letter queue"))...)
		return false
	}
	if err := h.send(ctx, cont); err != nil {
		log.ErrorContext(ctx, "sync continuation not sent", append(attrs, slog.String("error", err.Error()))...)
		return false
	}
	log.InfoContext(ctx, "sync stream continues", attrs...)
	return true
}

// DecodeMessage reads a sync queue message body. A message of another
// version, or naming no valid stream, is refused.
func DecodeMessage(body []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("sync message is not JSON of the expected shape: %v", jsonProblem(err))
	}
	if m.Version != MessageVersion {
		return m, fmt.Errorf("sync message version %d: want %d", m.Version, MessageVersion)
	}
	if m.Prune {
		if m.Run.IsZero() || m.Prefix != "" {
			return m, errors.New("sync prune message: want a run and no prefix")
		}
		return m, nil
	}
	if !cognito.ValidPrefix(m.Prefix) {
		return m, fmt.Errorf("sync message prefix %q: want one hex digit, 0 to f", m.Prefix)
	}
	return m, nil
}

// jsonProblem describes a decoding error without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return "invalid JSON"
}

func (h *Handler) send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Queue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(h.cfg.QueueURL), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("send to the sync queue: %w", err)
	}
	return nil
}

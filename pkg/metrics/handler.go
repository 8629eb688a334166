package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Invoker is a Lambda handler as aws-lambda-go's lambda.Start takes it.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Handler wraps an Invoker so that each invocation records into its own
// Recorder, carried in the context, and writes one EMF document when it
// ends, whatever its outcome (an error or a panic too).
type Handler struct {
	next Invoker
	em   *Emitter
	log  *slog.Logger
	now  func() time.Time
}

// NewHandler returns next with metrics. log receives a warning should a
// document fail to be written (nil: slog.Default()).
func NewHandler(next Invoker, em *Emitter, log *slog.Logger) *Handler {
	return &Handler{next: next, em: em, log: log, now: time.Now}
}

// Invoke runs the wrapped handler with a new Recorder in ctx, which first
// takes the pending counts (see Count), and writes the recorder when it
// returns.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	rec := NewRecorder()
	rec.TakePending()
	defer h.emit(ctx, rec)
	return h.next.Invoke(NewContext(ctx, rec), payload)
}

func (h *Handler) emit(ctx context.Context, rec *Recorder) {
	var id string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	if err := h.em.Emit(rec, h.now(), id); err != nil {
		log := h.log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "metrics not written", slog.String("error", err.Error()))
	}
}

package metrics

import (
	"context"
	"log/slog"
	"os"
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

// Invoke runs the wrapped handler with a new Recorder in ctx and writes
// the recorder when it returns. The recorder takes the pending counts (see
// Count) at the end, not the start: a fetch begun at init that the first
// invocation waited for is then reported with it, even if it was counted
// only after the invocation began.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	rec := NewRecorder()
	defer h.emit(ctx, rec)
	return h.next.Invoke(NewContext(ctx, rec), payload)
}

func (h *Handler) emit(ctx context.Context, rec *Recorder) {
	rec.TakePending()
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

// Wrap returns next with metrics written to the process's standard output,
// in the namespace METRICS_NAMESPACE names, with name (the function's role,
// such as "import") as the Function dimension. It is a function's wiring
// that calls it, around its handler, once.
func Wrap(next Invoker, name string, log *slog.Logger) (*Handler, error) {
	em, err := NewEmitter(os.Stdout, ConfigFromEnv(os.Getenv, name))
	if err != nil {
		return nil, err
	}
	return NewHandler(next, em, log), nil
}

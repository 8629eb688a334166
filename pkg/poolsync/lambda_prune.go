package poolsync

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// streamDone reports a finished stream of a pruning run to the ledger;
// the report that completes the run's 16 streams queues the prune. It
// reports whether the message is done with.
func (h *Handler) streamDone(ctx context.Context, log *slog.Logger, msg Message) bool {
	if !h.cfg.Prune || msg.Run.IsZero() {
		return true
	}
	n, err := h.cfg.Ledger.StreamDone(ctx, h.cfg.Pool, msg.Run, msg.Prefix)
	if err != nil {
		log.ErrorContext(ctx, "sync stream end not recorded", slog.String("prefix", msg.Prefix), slog.String("error", err.Error()))
		return false // listed again on redelivery: idempotent
	}
	if n < len(cognito.Prefixes()) {
		return true
	}
	if err := h.send(ctx, Message{Version: MessageVersion, Prune: true, Run: msg.Run}); err != nil {
		log.ErrorContext(ctx, "sync prune not queued", slog.String("error", err.Error()))
		return false
	}
	log.InfoContext(ctx, "sync listing complete: prune queued", slog.Time("run", msg.Run))
	return true
}

// prune handles the message queued once every stream of a run was listed
// to its end. An item the run recorded (ImportedAt at or after the run's
// start) belongs to a user the listing found; any other considered item
// is looked up by its sub (ListUsers, sub = "..."), so the prune never
// rests on a partial listing. A recent tombstone is looked up only once
// Chat says its account came back (see Prune). A refused guard, or a failure, fails the
// message: SQS delivers it again, then parks it in the dead-letter queue,
// whose alarm calls an operator.
func (h *Handler) prune(ctx context.Context, log *slog.Logger, msg Message) bool {
	admin, err := h.cfg.Admin(ctx)
	if err != nil {
		log.ErrorContext(ctx, "sync prune failed", slog.String("error", "the admin identifier: "+err.Error()))
		return false
	}
	inPool := func(ctx context.Context, r chat.Record) (bool, error) {
		if !r.ImportedAt.Before(msg.Run) {
			return true, nil
		}
		_, err := h.cfg.Finder.FindBySub(ctx, h.cfg.Pool, r.Sub)
		if errors.Is(err, cognito.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	c, err := Prune(ctx, PruneConfig{
		Pool: h.cfg.Pool, Ledger: h.cfg.Ledger, Chat: h.cfg.Chat.(PruneChat), InPool: inPool, Admin: admin, Now: h.cfg.Now,
		OnOrphan: func(o PruneOutcome) {
			log.InfoContext(ctx, "sync prune "+string(o.Action), slog.String("userId", o.Record.UserID), slog.String("sub", o.Record.Sub), slog.String("reason", o.Reason))
		},
	})
	rec := metrics.FromContext(ctx)
	rec.Add(metrics.Deleted, int64(c.Pruned))
	rec.Add(metrics.Failed, int64(c.Failed+c.CheckFailed))
	attrs := []any{slog.Time("run", msg.Run), slog.Any("prune", c)}
	if err != nil {
		log.ErrorContext(ctx, "sync prune failed", append(attrs, slog.String("error", err.Error()))...)
		return false
	}
	log.InfoContext(ctx, "sync prune done", attrs...)
	return true
}

package handler

import (
	"context"
	"log/slog"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// ProfileSetter sets profile fields beyond Nick and FaceUrl on an existing
// account (PROFILE_ATTRIBUTES); *chatapi.Client implements it. A field
// Chat refuses comes back in the result, not as an error.
type ProfileSetter interface {
	SetProfile(ctx context.Context, userID string, items []chat.ProfileItem) (chat.ProfileResult, error)
}

// setProfile sets items on the account userID once it exists, and logs
// what was refused or left out. Its error is one that may pass (the
// caller queues or retries); any other failure is logged as a warning and
// skipped, since a profile field never costs the account.
func (h *ImportHandler) setProfile(ctx context.Context, userID string, items []chat.ProfileItem, who []slog.Attr) (chat.Stats, error) {
	if len(items) == 0 || h.cfg.Profiles == nil {
		return chat.Stats{}, nil
	}
	res, err := h.cfg.Profiles.SetProfile(ctx, userID, items)
	attrs := append(who[:len(who):len(who)], slog.String("userId", userID))
	if len(res.Refused) > 0 {
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile field refused", append(attrs, slog.Any("fields", res.RefusedTags()))...)
	}
	switch {
	case err == nil:
	case retryable(err):
		return res.Stats, err
	default:
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile not set", append(attrs, slog.String("error", chat.PublicMessage(err)))...)
	}
	return res.Stats, nil
}

// logDropped logs the profile fields of a user left out before any call.
func (h *ImportHandler) logDropped(ctx context.Context, userID string, dropped []string, who []slog.Attr) {
	if len(dropped) > 0 {
		h.log.LogAttrs(ctx, slog.LevelWarn, "profile field dropped", append(who[:len(who):len(who)], slog.String("userId", userID), slog.Any("fields", dropped))...)
	}
}

// queueProfile sends a sign-up whose account exists but whose profile
// fields could not be set in time to the retry queue, which imports it
// again (a no-op) and sets them. Without a queue, or when sending fails,
// the fields are logged as not set: the account itself is there.
func (h *ImportHandler) queueProfile(iv *invocation, p chat.PendingImport, out outcome, cause error) {
	// A warning, not an error: the account exists.
	out.command, out.err, out.warn = chat.CmdPortraitSet, cause, true
	if h.cfg.RetryQueue == nil {
		out.extra = append(out.extra, slog.String("why", "no retry queue"))
		iv.logOutcome("profile not set", out)
		return
	}
	qctx, cancel := withDeadline(iv.ctx, iv.start, h.cfg.CognitoBudget, queueSendMargin)
	defer cancel()
	if err := h.cfg.RetryQueue.Send(qctx, p); err != nil {
		out.extra = append(out.extra, slog.String("why", "retry queue: "+err.Error()))
		iv.logOutcome("profile not set", out)
		return
	}
	iv.count(metrics.Queued, 1)
	iv.logOutcome("profile queued", out)
}

package handler

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// sqsConcurrency bounds the retry-queue messages imported at once.
const sqsConcurrency = 4

// sqs consumes the import function's queues: retry-queue messages, and
// the lifecycle events of its rules (see lifecyclequeue.go). Each message
// that did not succeed is reported as a batch item failure, so SQS delivers
// it again and, after maxReceiveCount, moves it to the dead-letter queue. A
// retry message that can never succeed goes to the dead-letter queue at
// once.
func (h *ImportHandler) sqs(iv *invocation, payload []byte) ([]byte, error) {
	return h.eachMessage(iv, payload, func(iv *invocation, m events.SQSMessage) bool {
		if isLifecycleMessage(m) {
			return iv.lifecycleMessage(m, h.lifecycle)
		}
		return h.retry(iv, m)
	})
}

// retry imports one retry-queue message and reports whether it is done with:
// imported, or parked in the dead-letter queue.
func (h *ImportHandler) retry(iv *invocation, m events.SQSMessage) bool {
	ctx := iv.ctx
	out := outcome{event: "sqs", extra: []slog.Attr{slog.String("messageId", m.MessageId)}}
	p, err := chat.DecodePendingImport([]byte(m.Body))
	if err != nil {
		out.err = err
		iv.logOutcome("retry message refused", out)
		return false
	}
	out.userIDs = []string{p.Account.UserID}
	out.extra = append(out.extra, slog.String("userPoolId", p.UserPoolID), slog.String("userName", p.UserName), slog.Int("receiveCount", receiveCount(m)))
	if err := p.Account.Validate(); err != nil {
		return h.parkMessage(iv, p, err, out)
	}
	if err := refuseAdmin(ctx, h.cfg.Credentials, p.Account.UserID); errors.Is(err, chat.ErrAdminAccount) {
		return h.parkMessage(iv, p, err, out)
	}
	stats, err := h.importSignup(ctx, p, p.Account, out.extra)
	if err == nil && len(p.Profile) > 0 {
		pstats, perr := h.setProfile(ctx, p.Account.UserID, p.Profile, out.extra)
		stats = stats.Add(pstats)
		if perr != nil {
			out.command, out.stats, out.err = chat.CmdPortraitSet, stats, perr
			iv.count(metrics.Failed, 1)
			iv.logOutcome("profile not set, will retry", out)
			return false
		}
	}
	out.command, out.stats, out.err = chat.CmdImport, stats, err
	switch {
	case err == nil:
		iv.count(metrics.Imported, 1)
		iv.logOutcome("import done", out)
		return true
	case chat.ErrorClass(err) == chat.ClassCaller:
		return h.parkMessage(iv, p, err, out)
	default:
		iv.count(metrics.Failed, 1)
		iv.logOutcome("import failed, will retry", out)
		return false
	}
}

// parkMessage moves a message that can never succeed to the dead-letter
// queue; without one, it stays in the retry queue to reach it by redrive.
func (h *ImportHandler) parkMessage(iv *invocation, p chat.PendingImport, cause error, out outcome) bool {
	out.err = cause
	p.Reason = cause.Error()
	if h.cfg.DeadLetterQueue == nil {
		iv.logOutcome("import failed, will retry", out)
		return false
	}
	if err := h.cfg.DeadLetterQueue.Send(iv.ctx, p); err != nil {
		out.extra = append(out.extra, slog.String("why", "dead-letter queue: "+err.Error()))
		iv.logOutcome("import failed, will retry", out)
		return false
	}
	out.extra = append(out.extra, slog.Bool("parked", true))
	iv.count(metrics.Parked, 1)
	iv.logOutcome("import parked", out)
	return true
}

func receiveCount(m events.SQSMessage) int {
	var n int
	fmt.Sscan(m.Attributes["ApproximateReceiveCount"], &n)
	return n
}

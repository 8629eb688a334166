package chatapi

import (
	"context"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// observe records one request to Chat, the n-th attempt of its call, into
// the metrics recorder ctx carries, if any: ChatCalls, Retries when n > 1,
// ChatErrors when the request failed (whatever the class), and its
// latency. An attempt that stopped before sending anything (no
// credentials) is not a request and is not recorded.
func observe(ctx context.Context, n int, start time.Time, failed bool) {
	rec := metrics.FromContext(ctx)
	if rec == nil {
		return
	}
	rec.ObserveLatency(time.Since(start))
	rec.Add(metrics.ChatCalls, 1)
	if n > 1 {
		rec.Add(metrics.Retries, 1)
	}
	if failed {
		rec.Add(metrics.ChatErrors, 1)
	}
}

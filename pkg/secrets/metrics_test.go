package secrets_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// takePending returns the process-wide pending SecretFetches and clears it.
func takePending() int64 {
	r := metrics.NewRecorder()
	r.TakePending()
	return r.Count(metrics.SecretFetches)
}

// TestFetchesCounted checks SecretFetches: a fetch begun at init (no
// recorder) becomes pending, for the first invocation to report; one made
// inside an invocation counts in its recorder; a cached read counts
// nothing. Not parallel: it owns the pending counts.
func TestFetchesCounted(t *testing.T) {
	takePending()
	f := newFixture(t, secrets.Config{TTL: time.Minute, MinRefreshInterval: time.Second})
	invocation := func() (context.Context, *metrics.Recorder) {
		rec := metrics.NewRecorder()
		return metrics.NewContext(context.Background(), rec), rec
	}
	steps := []struct {
		name    string
		do      func(ctx context.Context) error
		advance time.Duration
		in      int64 // counted in the invocation's recorder
		pending int64
	}{
		{name: "init prefetch, joined by the first invocation", do: func(ctx context.Context) error {
			f.src.Start(context.Background())
			_, err := f.src.Credentials(ctx)
			return err
		}, pending: 1},
		{name: "warm: cached", do: func(ctx context.Context) error {
			_, err := f.src.Credentials(ctx)
			return err
		}, advance: 30 * time.Second},
		{name: "past the TTL", do: func(ctx context.Context) error {
			_, err := f.src.Credentials(ctx)
			return err
		}, advance: 31 * time.Second, in: 1},
		{name: "refresh after a credentials error", do: func(ctx context.Context) error {
			_, err := f.src.Refresh(ctx)
			return err
		}, advance: 2 * time.Second, in: 1},
	}
	var total int64
	for _, st := range steps {
		f.clock.Advance(st.advance)
		ctx, rec := invocation()
		if err := st.do(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := rec.Count(metrics.SecretFetches); got != st.in {
			t.Errorf("%s: SecretFetches in the invocation = %d, want %d", st.name, got, st.in)
		}
		if got := takePending(); got != st.pending {
			t.Errorf("%s: SecretFetches pending = %d, want %d", st.name, got, st.pending)
		}
		total += st.in + st.pending
	}
	f.wantFetches(t, total)
}

package chatapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// TestMetrics checks what a call records into the invocation's recorder:
// every request made (ChatCalls, one latency each), the ones beyond a
// call's first (Retries) and the ones that failed (ChatErrors).
func TestMetrics(t *testing.T) {
	accounts := func(n int) []chat.Account {
		as := make([]chat.Account, n)
		for i := range as {
			as[i] = chat.Account{UserID: fmt.Sprintf("u%d", i)}
		}
		return as
	}
	tests := []struct {
		name                    string
		fault                   *chatemu.Fault
		call                    func(ctx context.Context, c *chatapi.Client) error
		calls, retries, errors_ int64
	}{
		{
			name:  "one retry",
			fault: &chatemu.Fault{Code: 70500, Times: 1},
			call: func(ctx context.Context, c *chatapi.Client) error {
				_, err := c.ImportAccount(ctx, chat.Account{UserID: "alice"})
				return err
			},
			calls: 2, retries: 1, errors_: 1,
		},
		{
			name: "success at once",
			call: func(ctx context.Context, c *chatapi.Client) error {
				_, err := c.ImportAccount(ctx, chat.Account{UserID: "alice"})
				return err
			},
			calls: 1,
		},
		{
			name:  "a dropped connection, then success",
			fault: &chatemu.Fault{Drop: true, Times: 1},
			call: func(ctx context.Context, c *chatapi.Client) error {
				_, err := c.DeleteAccounts(ctx, []string{"bob"})
				return err
			},
			calls: 2, retries: 1, errors_: 1,
		},
		{
			name:  "caller error: no retry",
			fault: &chatemu.Fault{Code: 70402, Times: 5},
			call: func(ctx context.Context, c *chatapi.Client) error {
				_, err := c.ImportAccount(ctx, chat.Account{UserID: "alice"})
				if err == nil {
					return fmt.Errorf("no error")
				}
				return nil
			},
			calls: 1, errors_: 1,
		},
		{
			name: "refused input: no request",
			call: func(ctx context.Context, c *chatapi.Client) error {
				if _, err := c.ImportAccount(ctx, chat.Account{UserID: ""}); err == nil {
					return fmt.Errorf("empty UserID accepted")
				}
				if _, err := c.ImportAccounts(ctx, accounts(1001)[:0]); err == nil {
					return fmt.Errorf("empty batch accepted")
				}
				return nil
			},
		},
		{
			name: "a batch of 250: three calls in parallel",
			call: func(ctx context.Context, c *chatapi.Client) error {
				res, err := c.ImportAccounts(ctx, accounts(250))
				if err == nil && len(res.FailAccounts) > 0 {
					err = fmt.Errorf("failed: %v", res.FailAccounts)
				}
				return err
			},
			calls: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, chatemu.Options{}, chatapi.Config{})
			if tt.fault != nil {
				f.emu.Inject(*tt.fault)
			}
			rec := metrics.NewRecorder()
			if err := tt.call(metrics.NewContext(context.Background(), rec), f.client); err != nil {
				t.Fatal(err)
			}
			if got := int64(f.emu.TotalRequests()); got != tt.calls {
				t.Fatalf("the emulator saw %d requests, want %d", got, tt.calls)
			}
			got := [4]int64{rec.Count(metrics.ChatCalls), rec.Count(metrics.Retries), rec.Count(metrics.ChatErrors), rec.Count(metrics.ChatLatency)}
			want := [4]int64{tt.calls, tt.retries, tt.errors_, tt.calls}
			if got != want {
				t.Errorf("ChatCalls, Retries, ChatErrors, latencies = %v, want %v", got, want)
			}
			for _, ms := range rec.Latencies() {
				if ms <= 0 || ms > 5000 {
					t.Errorf("latency %v ms out of range", ms)
				}
			}
		})
	}
}

// TestMetricsWithoutRecorder checks that a call whose context carries no
// recorder works and records nowhere.
func TestMetricsWithoutRecorder(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	f.emu.Inject(chatemu.Fault{Code: 70500, Times: 1})
	if _, err := f.client.ImportAccount(context.Background(), chat.Account{UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	other := metrics.NewRecorder()
	other.TakePending()
	if other.Count(metrics.ChatCalls) != 0 {
		t.Error("a call without a recorder was counted as pending")
	}
}

package chatapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

func TestKick(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	f.emu.Seed("alice")
	stats, err := f.client.Kick(context.Background(), "alice")
	if err != nil {
		t.Fatalf("Kick: %v", err)
	}
	if stats != (chat.Stats{Calls: 1, Attempts: 1}) {
		t.Errorf("stats = %+v, want one call, one attempt", stats)
	}
	if _, ok := f.emu.KickedAt("alice"); !ok {
		t.Error("the emulator did not record the kick")
	}
	if !f.emu.Has("alice") {
		t.Error("Kick removed the account")
	}
}

// Chat answers kick for an absent account with 70107; Kick takes it as done
// and does not retry.
func TestKickAbsentAccount(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	stats, err := f.client.Kick(context.Background(), "nobody")
	if err != nil {
		t.Fatalf("Kick: %v, want success for an absent account", err)
	}
	if got := f.emu.Requests(chat.CmdKick); got != 1 || stats.Attempts != 1 {
		t.Errorf("requests = %d, attempts = %d, want 1 and 1", got, stats.Attempts)
	}
	if _, ok := f.emu.KickedAt("nobody"); ok {
		t.Error("a kick of an absent account was recorded")
	}
}

func TestKickRefusedInputCostsNothing(t *testing.T) {
	tests := []struct {
		name string
		id   string
	}{
		{"empty", ""},
		{"33 bytes", strings.Repeat("x", 33)},
		{"invalid UTF-8", "al\xffce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, chatemu.Options{}, chatapi.Config{})
			stats, err := f.client.Kick(context.Background(), tt.id)
			if chat.ErrorCode(err) != chat.CodeInvalidParameter || chat.ErrorClass(err) != chat.ClassCaller {
				t.Fatalf("Kick(%q) = %v, want a caller error 70402", tt.id, err)
			}
			if n := f.emu.TotalRequests(); n != 0 || stats.Attempts != 0 {
				t.Errorf("refused input made %d requests (stats %+v)", n, stats)
			}
			if strings.Contains(err.Error(), "string") {
				t.Errorf("error names a Go type: %v", err)
			}
		})
	}
	// At the limit the input is taken.
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	if _, err := f.client.Kick(context.Background(), strings.Repeat("x", 32)); err != nil {
		t.Errorf("32-byte UserID: %v", err)
	}
}

func TestKickErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		fault     chatemu.Fault
		wantReqs  int
		wantClass chat.Class // ClassNone: the kick succeeds in the end
		refreshes int32
	}{
		{"transient recovers", chatemu.Fault{Code: 70500, Times: 2}, 3, chat.ClassNone, 0},
		{"server timeout recovers", chatemu.Fault{Code: 70169, Times: 1}, 2, chat.ClassNone, 0},
		{"transient gives up", chatemu.Fault{Code: 70500, Times: 100}, 6, chat.ClassTransient, 0},
		{"60008 at most two retries", chatemu.Fault{Code: 60008, Times: 100}, 3, chat.ClassTransient, 0},
		{"rate limited recovers", chatemu.Fault{Code: 60007, Times: 1}, 2, chat.ClassNone, 0},
		{"HTTP 502 recovers", chatemu.Fault{Status: 502, Times: 1}, 2, chat.ClassNone, 0},
		{"dropped connection recovers", chatemu.Fault{Drop: true, Times: 1}, 2, chat.ClassNone, 0},
		{"signature once", chatemu.Fault{Code: 70001, Times: 1}, 2, chat.ClassNone, 0},
		{"signature twice fails", chatemu.Fault{Code: 70052, Times: 2}, 2, chat.ClassSignature, 0},
		{"credentials once", chatemu.Fault{Code: 70009, Times: 1}, 2, chat.ClassNone, 1},
		{"credentials twice fails", chatemu.Fault{Code: 70003, Times: 2}, 2, chat.ClassCredentials, 1},
		{"caller error: one request", chatemu.Fault{Code: 70402, Times: 5}, 1, chat.ClassCaller, 0},
		{"not an admin: one request", chatemu.Fault{Code: 70403, Times: 5}, 1, chat.ClassConfiguration, 0},
		{"HTTP 404: one request", chatemu.Fault{Status: 404, Times: 5}, 1, chat.ClassConfiguration, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, chatemu.Options{}, chatapi.Config{})
			f.emu.Seed("alice")
			tt.fault.Command = chat.CmdKick
			f.emu.Inject(tt.fault)
			stats, err := f.client.Kick(context.Background(), "alice")
			if got := f.emu.Requests(chat.CmdKick); got != tt.wantReqs || stats.Attempts != tt.wantReqs {
				t.Errorf("requests = %d, attempts = %d, want %d", got, stats.Attempts, tt.wantReqs)
			}
			if got := f.creds.refreshes.Load(); got != tt.refreshes {
				t.Errorf("refreshes = %d, want %d", got, tt.refreshes)
			}
			if tt.wantClass == chat.ClassNone {
				if err != nil {
					t.Fatalf("Kick: %v", err)
				}
				if _, ok := f.emu.KickedAt("alice"); !ok {
					t.Error("kick not recorded")
				}
				return
			}
			if c := chat.ErrorClass(err); c != tt.wantClass {
				t.Fatalf("class = %s, want %s: %v", c, tt.wantClass, err)
			}
			if chat.ErrorCode(err) == 0 {
				t.Errorf("error carries no code: %v", err)
			}
		})
	}
}

// The client keeps kick under its cap through the per-command limiter, as
// for every command.
func TestKickRateLimit(t *testing.T) {
	if got := chatapi.DefaultRateLimits[chat.CmdKick]; got != 200 {
		t.Fatalf("DefaultRateLimits[kick] = %v, want 200", got)
	}
	const perSec = 40
	run := func(limits map[string]float64) (rejected int) {
		f := newFixture(t, chatemu.Options{RateLimits: map[string]int{chat.CmdKick: perSec}},
			chatapi.Config{RateLimits: limits, MaxAttempts: 1})
		var wg sync.WaitGroup
		var n atomic.Int32
		for i := range 3 * perSec / 2 {
			id := fmt.Sprint("u", i)
			f.emu.Seed(id)
			wg.Go(func() {
				_, err := f.client.Kick(context.Background(), id)
				if chat.ErrorCode(err) == chat.CodeRateLimited {
					n.Add(1)
				} else if err != nil {
					t.Errorf("Kick: %v", err)
				}
			})
		}
		wg.Wait()
		return int(n.Load())
	}
	if got := run(map[string]float64{chat.CmdKick: perSec}); got != 0 {
		t.Errorf("limited client: %d requests over the cap", got)
	}
	if got := run(map[string]float64{}); got == 0 {
		t.Error("unlimited client never hit the cap: the test proves nothing")
	}
}

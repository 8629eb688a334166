package chatapi_test

import (
	"context"
	"fmt"
	"strings"
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
	forEachClassCase(t, kickClassCases, func(t *testing.T, f *fixture, tt classCase) {
		f.emu.Seed("alice")
		tt.fault.Command = chat.CmdKick
		f.emu.Inject(tt.fault)
		stats, err := f.client.Kick(context.Background(), "alice")
		if got := f.emu.Requests(chat.CmdKick); got != tt.wantReqs || stats.Attempts != tt.wantReqs {
			t.Errorf("requests = %d, attempts = %d, want %d", got, stats.Attempts, tt.wantReqs)
		}
		if tt.succeeded(t, f, "Kick", err) {
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

// kickClassCases are the faults TestKickErrorClasses injects into kick.
var kickClassCases = commonClassCases(
	classCase{"server timeout recovers", chatemu.Fault{Code: 70169, Times: 1}, 2, chat.ClassNone, 0},
	classCase{"transient gives up", chatemu.Fault{Code: 70500, Times: 100}, 6, chat.ClassTransient, 0},
	classCase{"HTTP 502 recovers", chatemu.Fault{Status: 502, Times: 1}, 2, chat.ClassNone, 0},
	classCase{"not an admin: one request", chatemu.Fault{Code: 70403, Times: 5}, 1, chat.ClassConfiguration, 0},
)

// The client keeps kick under its cap through the per-command limiter, as
// for every command.
func TestKickRateLimit(t *testing.T) {
	if got := chatapi.DefaultRateLimits[chat.CmdKick]; got != 200 {
		t.Fatalf("DefaultRateLimits[kick] = %v, want 200", got)
	}
	checkRateCap(t, chat.CmdKick, 40, func(f *fixture, i int) func() bool {
		id := fmt.Sprint("u", i)
		f.emu.Seed(id)
		return func() bool {
			_, err := f.client.Kick(context.Background(), id)
			if chat.ErrorCode(err) == chat.CodeRateLimited {
				return true
			} else if err != nil {
				t.Errorf("Kick: %v", err)
			}
			return false
		}
	})
}

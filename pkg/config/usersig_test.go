package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/config"
)

func TestUserSigTTL(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string // a substring of the error; empty when valid
	}{
		{"", 24 * time.Hour, ""},
		{"  ", 24 * time.Hour, ""},
		{"1m", time.Minute, ""},
		{"90m", 90 * time.Minute, ""},
		{"4320h", 4320 * time.Hour, ""},
		{"59s", 0, "from 1m to 4320h"},
		{"0", 0, "from 1m to 4320h"},
		{"-1h", 0, "from 1m to 4320h"},
		{"4320h1s", 0, "from 1m to 4320h"},
		{"1 day", 0, "want a Go duration"},
		{"86400", 0, "want a Go duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := config.UserSigTTL(tt.in)
			if tt.err == "" {
				if err != nil || d != tt.want {
					t.Fatalf("UserSigTTL(%q) = %v, %v; want %v", tt.in, d, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("UserSigTTL(%q) = %v, want an error", tt.in, d)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.err) || !strings.Contains(msg, "USER_SIG_TTL") {
				t.Errorf("error %q: want USER_SIG_TTL and %q", msg, tt.err)
			}
		})
	}
}

func TestLoadUserSigTTL(t *testing.T) {
	base := map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo"}
	base["USER_SIG_TTL"] = "12h"
	c, err := config.Load(env(base))
	if err != nil || c.UserSigTTL != 12*time.Hour {
		t.Fatalf("Load = %v, %v; want USER_SIG_TTL 12h", c.UserSigTTL, err)
	}
	base["USER_SIG_TTL"] = "200d"
	_, err = config.Load(env(base))
	if err == nil || !strings.Contains(err.Error(), `USER_SIG_TTL "200d"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Load error %v: want one line naming USER_SIG_TTL", err)
	}
}

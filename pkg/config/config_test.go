package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(map[string]string{"CHAT_SECRET_ID": "chat/admin", "CHAT_REGION": "Singapore"}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		SecretID: "chat/admin", Region: "singapore", SecretTTL: 5 * time.Minute, AuthMode: "iam", RateShare: 1,
		AdminGroup: "chat-admins", UserIDAttribute: "sub", NickAttribute: "nickname", FaceURLAttribute: "picture",
		UserSigTTL: 24 * time.Hour, MetricsNamespace: "ChatAccounts",
	}
	if c != want {
		t.Errorf("Load = %+v\nwant %+v", c, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the one-line error
	}{
		{"nothing", nil, []string{"CHAT_SECRET_ID is required", "CHAT_REGION or CHAT_BASE_URL is required"}},
		{"bad region", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "mars"}, []string{`CHAT_REGION "mars"`, "singapore"}},
		{"plain http", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_BASE_URL": "http://chat.example.com"}, []string{"https is required"}},
		{"bad ttl", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "CHAT_SECRET_TTL": "5 minutes"}, []string{"CHAT_SECRET_TTL"}},
		{"negative ttl", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "CHAT_SECRET_TTL": "-1m"}, []string{"must be positive"}},
		{"bad mode", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "HTTP_AUTH_MODE": "open"}, []string{"HTTP_AUTH_MODE"}},
		{"bad metrics namespace", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "METRICS_NAMESPACE": "AWS/Lambda"}, []string{"METRICS_NAMESPACE"}},
		{"zero rate share", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "CHAT_RATE_SHARE": "0"}, []string{"CHAT_RATE_SHARE"}},
		{"rate share over 1", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "CHAT_RATE_SHARE": "1.5"}, []string{"CHAT_RATE_SHARE"}},
		{"bad queue", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "RETRY_QUEUE_URL": "my-queue"}, []string{"RETRY_QUEUE_URL"}},
		{"bad ledger table", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "LEDGER_TABLE": "my table"}, []string{`LEDGER_TABLE "my table"`}},
		{"short ledger table", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "LEDGER_TABLE": "ab"}, []string{"LEDGER_TABLE"}},
		{"prune without ledger", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "SYNC_PRUNE": "true"}, []string{"SYNC_PRUNE is true, but LEDGER_TABLE is unset"}},
		{"bad prune", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "SYNC_PRUNE": "yes"}, []string{`SYNC_PRUNE "yes"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestLoadLedger: a table name or ARN is taken as it is, and SYNC_PRUNE
// with it.
func TestLoadLedger(t *testing.T) {
	for _, table := range []string{"chat-ledger", "My_Stack.Ledger-1", "arn:aws:dynamodb:us-east-1:123456789012:table/chat-ledger"} {
		c, err := config.Load(env(map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo", "LEDGER_TABLE": table, "SYNC_PRUNE": "TRUE"}))
		if err != nil || c.LedgerTable != table || !c.SyncPrune {
			t.Errorf("%s: %q, prune %v, %v", table, c.LedgerTable, c.SyncPrune, err)
		}
	}
}

func TestLoadBaseURLOverridesRegion(t *testing.T) {
	c, err := config.Load(env(map[string]string{"CHAT_SECRET_ID": "s", "CHAT_BASE_URL": "http://127.0.0.1:8080/", "HTTP_AUTH_MODE": "JWT"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://127.0.0.1:8080" || c.AuthMode != "jwt" {
		t.Errorf("BaseURL %q, AuthMode %q", c.BaseURL, c.AuthMode)
	}
}

func TestLoadProfileAttributes(t *testing.T) {
	base := map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "tokyo"}
	c, err := config.Load(env(base))
	if err != nil || c.ProfileAttributes != "" || c.Mapping().Profile != nil {
		t.Fatalf("unset: %+v, %v; want no profile fields", c.Mapping().Profile, err)
	}
	base["PROFILE_ATTRIBUTES"] = " gender=Tag_Profile_IM_Gender, custom:tier=Tag_Profile_Custom_Tier "
	c, err = config.Load(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Mapping().Profile.String(); got != "gender=Tag_Profile_IM_Gender,custom:tier=Tag_Profile_Custom_Tier" {
		t.Errorf("Mapping().Profile = %q", got)
	}
	if c.Auth().Mapping.Profile.String() != c.Mapping().Profile.String() {
		t.Error("Auth's mapping differs from Mapping")
	}
	for _, bad := range []string{"gender", "gender=Tag_Profile_IM_Mood", "x=Tag_Profile_Custom_a-b", "a=Tag_Profile_IM_Gender,b=Tag_Profile_IM_Gender", "nickname=Tag_Profile_IM_Nick"} {
		base["PROFILE_ATTRIBUTES"] = bad
		_, err := config.Load(env(base))
		if err == nil || !strings.Contains(err.Error(), "PROFILE_ATTRIBUTES") || strings.Contains(err.Error(), "\n") {
			t.Errorf("PROFILE_ATTRIBUTES=%q: error %v, want one line naming the setting", bad, err)
		}
	}
}

// TestLoadWithoutChat: a function that never calls Chat needs no region or
// base URL, but a bad one is still refused; Load still requires one.
func TestLoadWithoutChat(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if _, err := config.LoadWithoutChat(env(map[string]string{"CHAT_SECRET_ID": "s"})); err != nil {
		t.Errorf("LoadWithoutChat without a region: %v", err)
	}
	if _, err := config.Load(env(map[string]string{"CHAT_SECRET_ID": "s"})); err == nil || !strings.Contains(err.Error(), "CHAT_REGION") {
		t.Errorf("Load without a region: %v, want an error naming CHAT_REGION", err)
	}
	for _, bad := range []map[string]string{
		{"CHAT_SECRET_ID": "s", "CHAT_REGION": "mars"},
		{"CHAT_SECRET_ID": "s", "CHAT_BASE_URL": "ftp://example.com"},
		{"CHAT_REGION": "tokyo"},
	} {
		if _, err := config.LoadWithoutChat(env(bad)); err == nil {
			t.Errorf("LoadWithoutChat(%v) accepted it", bad)
		}
	}
}

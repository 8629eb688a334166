package config_test

import (
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/config"
)

func TestPlainHTTPAllowed(t *testing.T) {
	tests := []struct {
		host          string
		deployed, sam bool // allowed without AWS_SAM_LOCAL, and with it
	}{
		{"127.0.0.1", true, true},
		{"::1", true, true},
		{"localhost", true, true},
		{"127.8.9.10", true, true},
		{"198.18.0.1", false, true},     // the repository's Docker bridge
		{"198.19.255.254", false, true}, // still 198.18.0.0/15
		{"172.17.0.1", false, true},     // Docker's default bridge
		{"10.0.0.5", false, true},
		{"192.168.1.2", false, true},
		{"fd00::2", false, true},
		{"::ffff:172.17.0.1", false, true},
		{"host.docker.internal", false, true},
		{"HOST.DOCKER.INTERNAL", false, true},
		{"198.20.0.1", false, false},
		{"172.32.0.1", false, false},
		{"8.8.8.8", false, false},
		{"169.254.169.254", false, false}, // link-local: the metadata service
		{"chat.example.com", false, false},
		{"198.18.0.1.nip.io", false, false}, // a name that resolves to a bridge address is still a name
		{"localhost.example.com", false, false},
		{"fe80::1%eth0", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := config.PlainHTTPAllowed(tt.host, false); got != tt.deployed {
			t.Errorf("PlainHTTPAllowed(%q, false) = %v, want %v", tt.host, got, tt.deployed)
		}
		if got := config.PlainHTTPAllowed(tt.host, true); got != tt.sam {
			t.Errorf("PlainHTTPAllowed(%q, true) = %v, want %v", tt.host, got, tt.sam)
		}
	}
}

func TestLocalRun(t *testing.T) {
	for v, want := range map[string]bool{"true": true, " true ": true, "": false, "1": false, "TRUE": false, "false": false, "yes": false} {
		if got := config.LocalRun(env(map[string]string{"AWS_SAM_LOCAL": v})); got != want {
			t.Errorf("LocalRun(AWS_SAM_LOCAL=%q) = %v, want %v", v, got, want)
		}
	}
}

func TestLoadPlainHTTPBaseURL(t *testing.T) {
	tests := []struct {
		name, base, samLocal string
		ok                   bool
	}{
		{"loopback", "http://127.0.0.1:8400", "", true},
		{"bridge, deployed", "http://198.18.0.1:8400", "", false},
		{"bridge, sam local", "http://198.18.0.1:8400", "true", true},
		{"docker desktop, sam local", "http://host.docker.internal:8400", "true", true},
		{"default bridge, sam local", "http://172.17.0.1:8400/", "true", true},
		{"public host, sam local", "http://chat.example.com", "true", false},
		{"public address, sam local", "http://203.0.113.7:8400", "true", false},
		{"https anywhere", "https://chat.example.com", "", true},
		{"query, sam local", "http://198.18.0.1:8400?x=1", "true", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{"CHAT_SECRET_ID": "s", "CHAT_BASE_URL": tt.base, "AWS_SAM_LOCAL": tt.samLocal}))
			if tt.ok {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.BaseURL != strings.TrimRight(tt.base, "/") || c.LocalRun != (tt.samLocal == "true") {
					t.Errorf("BaseURL %q LocalRun %v", c.BaseURL, c.LocalRun)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "CHAT_BASE_URL") {
				t.Errorf("Load error %v, want one naming CHAT_BASE_URL", err)
			}
		})
	}
}

func TestCheckEndpointURL(t *testing.T) {
	tests := []struct {
		url   string
		local bool
		ok    bool
	}{
		{"https://secretsmanager.us-east-1.amazonaws.com", false, true},
		{"http://127.0.0.1:5000", false, true},
		{"http://198.18.0.1:8400", false, false},
		{"http://198.18.0.1:8400", true, true},
		{"http://secrets.example.com", true, false},
		{"198.18.0.1:8400", true, false},
		{"ftp://127.0.0.1", false, false},
	}
	for _, tt := range tests {
		err := config.CheckEndpointURL("AWS_ENDPOINT_URL_SECRETS_MANAGER", tt.url, tt.local)
		if (err == nil) != tt.ok {
			t.Errorf("CheckEndpointURL(%q, %v) = %v, want ok %v", tt.url, tt.local, err, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "AWS_ENDPOINT_URL_SECRETS_MANAGER ") {
			t.Errorf("error %q does not name the variable first", err)
		}
	}
}

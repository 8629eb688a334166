package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// startLocal runs `chatsync local` on a free port until the test ends, and
// returns its base URL and its stdout and stderr so far.
func startLocal(t *testing.T, args ...string) (base string, stdout, stderr *syncbuf.Buffer) {
	t.Helper()
	return startLocalEnv(t, nil, args...)
}

// startLocalEnv is startLocal with env the only variables it sees.
func startLocalEnv(t *testing.T, env map[string]string, args ...string) (base string, stdout, stderr *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(k string) string { return env[k] }}
	done := make(chan int, 1)
	go func() { done <- c.run(ctx, append([]string{"local", "-addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("local exited %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr.String(), "chatsync local: stopped") {
				t.Errorf("no stop line:\n%s", stderr)
			}
		case <-time.After(15 * time.Second):
			t.Error("local did not stop after its context ended")
		}
		assertNoSecrets(t, stdout.String()+stderr.String())
	})
	re := regexp.MustCompile(`the HTTP API on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr
		}
		select {
		case code := <-done:
			t.Fatalf("local exited %d:\n%s%s", code, stdout, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("local did not start:\n%s%s", stdout, stderr)
	return "", nil, nil
}

func TestLocal(t *testing.T) {
	base, stdout, stderr := startLocal(t, "-seed", "erin,frank")
	for _, want := range []string{
		"backend: embedded Chat emulator",
		"seeded: erin, frank",
		"auth: iam",
		"curl -sS -X POST " + base + `/accounts -H 'Content-Type: application/json' -d '{"UserID":"alice","Nick":"Alice"}'`,
		"curl -sS -X DELETE " + base + "/accounts/alice",
		"POST   " + base + "/accounts/delete",
		"Ctrl+C",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, stdout)
		}
	}
	// Every route of the template, and no other, with its function.
	listed := regexp.MustCompile(`(?m)^  ([A-Z]+) +`+regexp.QuoteMeta(base)+`(\S+) +-> (\w+)$`).FindAllStringSubmatch(stdout.String(), -1)
	var got []local.Route
	for _, m := range listed {
		got = append(got, local.Route{Key: m[1] + " " + m[2], Function: m[3]})
	}
	if !reflect.DeepEqual(got, local.Routes) {
		t.Errorf("banner lists the routes %v, want %v:\n%s", got, local.Routes, stdout)
	}

	type reply struct {
		Error *struct{ Code, Message string }
		chat.Envelope
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		allow                    string
		check                    func(r reply) bool
	}{
		{"import", "POST", "/accounts", `{"UserID":"x"}`, 200, "", func(r reply) bool { return r.OK() }},
		{"batch import", "POST", "/accounts", `{"AccountList":[{"UserID":"bob"},{"UserID":"carol","Nick":"Carol"}]}`, 200, "",
			func(r reply) bool { return r.OK() && len(r.FailAccounts) == 0 }},
		{"delete by path", "DELETE", "/accounts/x", "", 200, "",
			func(r reply) bool { return r.OK() && len(r.ResultItem) == 1 && r.ResultItem[0].ResultCode == 0 }},
		{"delete a seeded account", "DELETE", "/accounts/erin", "", 200, "",
			func(r reply) bool { return r.OK() && r.ResultItem[0].ResultCode == 0 }},
		{"delete by body, one absent", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"bob"},{"UserID":"nobody"}]}`, 200, "",
			func(r reply) bool {
				return r.OK() && len(r.ResultItem) == 2 && r.ResultItem[0].ResultCode == 0 && r.ResultItem[1].ResultCode == chat.CodeAccountNotFound
			}},
		{"invalid UserID", "POST", "/accounts", `{"UserID":""}`, 400, "", func(r reply) bool { return r.Error != nil && r.Error.Code == "invalid_request" }},
		{"not JSON", "POST", "/accounts", `nope`, 400, "", func(r reply) bool { return r.Error != nil && r.Error.Code == "invalid_json" }},
		{"unknown route", "GET", "/health", "", 404, "", func(r reply) bool { return r.Error != nil && r.Error.Code == "not_found" }},
		{"wrong method", "GET", "/accounts", "", 405, "POST", func(r reply) bool { return r.Error != nil && r.Error.Code == "method_not_allowed" }},
		{"wrong method for delete", "GET", "/accounts/delete", "", 405, "DELETE, POST", func(r reply) bool { return r.Error != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			var r reply
			if err := json.Unmarshal(b, &r); err != nil || !tt.check(r) {
				t.Errorf("unexpected body %s (%v)", b, err)
			}
		})
	}
	// One JSON log line per request on stderr, with the function's own.
	logs := stderr.String()
	if n := strings.Count(logs, `"message":"request"`); n != len(tests) {
		t.Errorf("%d request log lines, want %d:\n%s", n, len(tests), logs)
	}
	if !strings.Contains(logs, `"message":"import done"`) || !strings.Contains(logs, `"routeKey":"DELETE /accounts/{userId}"`) {
		t.Errorf("logs lack the function lines:\n%s", logs)
	}
}

func TestLocalPortInUse(t *testing.T) {
	base, _, _ := startLocal(t)
	r := run(t, "local", "-addr", strings.TrimPrefix(base, "http://"))
	r.want(t, exitFailure, "address already in use", "-addr")
}

func TestLocalWithRealBackend(t *testing.T) {
	emu := startChat(t)
	key := writeFile(t, "key", testKey)
	base, stdout, _ := startLocal(t, "-sdkappid", "1400000000", "-key-file", key, "-base-url", emu.URL)
	if !strings.Contains(stdout.String(), "backend: Tencent Cloud Chat (real service), "+emu.URL) || !strings.Contains(stdout.String(), "REAL Chat service") {
		t.Errorf("banner does not say the backend is real:\n%s", stdout)
	}
	resp, err := http.Post(base+"/accounts", "application/json", strings.NewReader(`{"UserID":"zed"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !emu.Has("zed") {
		t.Errorf("status %d, imported %v", resp.StatusCode, emu.Has("zed"))
	}
}

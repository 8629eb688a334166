package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// newStack starts an emulator stack for one test.
func newStack(t *testing.T) *local.Stack {
	t.Helper()
	s, err := local.StartEmulator(context.Background(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// serveGateway serves a Gateway for s on a free loopback port.
func serveGateway(t *testing.T, s *local.Stack) string {
	t.Helper()
	srv := httptest.NewServer(&local.Gateway{Import: s.Import, Delete: s.Delete})
	t.Cleanup(srv.Close)
	return srv.URL
}

type httpReply struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, method, url, body string) httpReply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpReply{resp.StatusCode, resp.Header, b}
}

func TestGatewayRoutes(t *testing.T) {
	s := newStack(t)
	base := serveGateway(t, s)
	s.Emulator.Seed("erin", "a b")

	type check func(t *testing.T, r httpReply)
	envelope := func(want func(chat.Envelope) bool) check {
		return func(t *testing.T, r httpReply) {
			var env chat.Envelope
			if err := json.Unmarshal(r.body, &env); err != nil || !env.OK() || !want(env) {
				t.Errorf("body %s: not the expected OK envelope", r.body)
			}
		}
	}
	apiError := func(code string) check {
		return func(t *testing.T, r httpReply) {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
				t.Errorf("body %s: want error code %q", r.body, code)
			}
		}
	}
	any := func(chat.Envelope) bool { return true }
	tests := []struct {
		name, method, path, body string
		status                   int
		allow                    string
		check                    check
	}{
		{"import one", "POST", "/accounts", `{"UserID":"alice","Nick":"Alice"}`, 200, "", envelope(any)},
		{"import trailing slash", "POST", "/accounts/", `{"UserID":"alice2"}`, 200, "", envelope(any)},
		{"import batch", "POST", "/accounts", `{"AccountList":[{"UserID":"bob"},{"UserID":"carol"}]}`, 200, "",
			envelope(func(e chat.Envelope) bool { return e.FailAccounts != nil && len(e.FailAccounts) == 0 })},
		{"delete by path", "DELETE", "/accounts/bob", "", 200, "",
			envelope(func(e chat.Envelope) bool { return len(e.ResultItem) == 1 && e.ResultItem[0].ResultCode == 0 })},
		{"delete escaped path", "DELETE", "/accounts/a%2Bb", "", 200, "",
			envelope(func(e chat.Envelope) bool { return len(e.ResultItem) == 1 && e.ResultItem[0].UserID == "a+b" })},
		{"delete a UserID no login takes", "DELETE", "/accounts/a%20b", "", 400, "", apiError("invalid_request")},
		{"delete absent is OK", "DELETE", "/accounts/nobody", "", 200, "",
			envelope(func(e chat.Envelope) bool { return e.ResultItem[0].ResultCode == chat.CodeAccountNotFound })},
		{"delete by body", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"carol"},{"UserID":"erin"}]}`, 200, "",
			envelope(func(e chat.Envelope) bool { return len(e.ResultItem) == 2 })},
		{"bad JSON", "POST", "/accounts", `{"UserID":`, 400, "", apiError("invalid_json")},
		{"UserID too long", "POST", "/accounts", `{"UserID":"` + strings.Repeat("x", 33) + `"}`, 400, "", apiError("invalid_request")},
		{"empty batch", "POST", "/accounts", `{"AccountList":[]}`, 400, "", apiError("invalid_request")},
		{"unknown path", "GET", "/nowhere", "", 404, "", apiError("not_found")},
		{"nested path", "DELETE", "/accounts/a/b", "", 404, "", apiError("not_found")},
		{"wrong method on /accounts", "GET", "/accounts", "", 405, "POST", apiError("method_not_allowed")},
		{"wrong method on /accounts/delete", "PUT", "/accounts/delete", "", 405, "DELETE, POST", apiError("method_not_allowed")},
		{"wrong method on /accounts/{userId}", "POST", "/accounts/alice", "", 405, "DELETE", apiError("method_not_allowed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, base+tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%s %s: status %d, want %d: %s", tt.method, tt.path, r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if r.header.Get("Apigw-Requestid") == "" {
				t.Error("no Apigw-Requestid header")
			}
			tt.check(t, r)
		})
	}
	for id, want := range map[string]bool{"alice": true, "alice2": true, "bob": false, "carol": false, "erin": false, "a+b": false} {
		if s.Emulator.Has(id) != want {
			t.Errorf("emulator has %s: %v, want %v", id, !want, want)
		}
	}
}

func TestGatewayBodyLimit(t *testing.T) {
	s := newStack(t)
	base := serveGateway(t, s)
	for _, tt := range []struct {
		name string
		body []byte
		code string
	}{
		// At the limit the body is taken, and refused for its UserID.
		{"text at the limit", jsonOfSize(handler.MaxBodyBytes), "invalid_request"},
		{"text over the limit", bytes.Repeat([]byte("a"), handler.MaxBodyBytes+10), "body_too_large"},
		{"binary over the limit", bytes.Repeat([]byte{0xff}, handler.MaxBodyBytes+10), "body_too_large"},
		{"binary under the limit", []byte{0xff, 0xfe}, "invalid_json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, "POST", base+"/accounts", string(tt.body))
			var e struct{ Error struct{ Code string } }
			json.Unmarshal(r.body, &e)
			if r.status != 400 || e.Error.Code != tt.code {
				t.Fatalf("got %d %.200s, want 400 %s", r.status, r.body, tt.code)
			}
		})
	}
	if n := s.Emulator.TotalRequests(); n != 0 {
		t.Errorf("%d Chat requests for refused bodies", n)
	}
}

// jsonOfSize returns an import body of exactly n bytes.
func jsonOfSize(n int) []byte {
	const pre, post = `{"UserID":"`, `"}`
	return []byte(pre + strings.Repeat("x", n-len(pre)-len(post)) + post)
}

// stub is a Function with a canned reply.
type stub struct {
	reply []byte
	err   error
	got   chan []byte
}

func (s *stub) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if s.got != nil {
		s.got <- payload
	}
	return s.reply, s.err
}

func TestGatewayReplies(t *testing.T) {
	tests := []struct {
		name   string
		fn     *stub
		status int
		header map[string]string
		body   string
	}{
		{"function error", &stub{err: errors.New("boom")}, 500, nil, `{"message":"Internal Server Error"}`},
		{"response with headers and cookies", &stub{reply: []byte(`{"statusCode":201,"headers":{"X-A":"1"},"multiValueHeaders":{"X-B":["2","3"]},"cookies":["c=1"],"body":"hi"}`)},
			201, map[string]string{"X-A": "1", "Set-Cookie": "c=1", "Content-Type": "application/json"}, "hi"},
		{"base64 body", &stub{reply: []byte(`{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"aGVsbG8=","isBase64Encoded":true}`)},
			200, map[string]string{"Content-Type": "text/plain"}, "hello"},
		{"no statusCode: the reply is the body", &stub{reply: []byte(`{"ok":true}`)}, 200, map[string]string{"Content-Type": "application/json"}, `{"ok":true}`},
		{"bad status code", &stub{reply: []byte(`{"statusCode":1000}`)}, 500, nil, `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&local.Gateway{Import: tt.fn, Delete: tt.fn})
			defer srv.Close()
			r := send(t, "POST", srv.URL+"/accounts", "{}")
			if r.status != tt.status || string(r.body) != tt.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestGatewayEventReachesFunction(t *testing.T) {
	fn := &stub{reply: []byte(`{"statusCode":204}`), got: make(chan []byte, 1)}
	srv := httptest.NewServer(&local.Gateway{Import: fn, Delete: fn})
	defer srv.Close()
	req, _ := http.NewRequest("DELETE", srv.URL+"/accounts/al%2Fice?x=1&x=2", nil)
	req.Header.Set("X-Custom", "v")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var e map[string]any
	if err := json.Unmarshal(<-fn.got, &e); err != nil {
		t.Fatal(err)
	}
	rc := e["requestContext"].(map[string]any)
	checks := map[string]bool{
		"version":     e["version"] == "2.0",
		"routeKey":    e["routeKey"] == local.RouteDeleteOne && rc["routeKey"] == local.RouteDeleteOne,
		"rawPath":     e["rawPath"] == "/accounts/al%2Fice",
		"query":       e["rawQueryString"] == "x=1&x=2",
		"header":      e["headers"].(map[string]any)["x-custom"] == "v",
		"pathParam":   e["pathParameters"].(map[string]any)["userId"] == "al/ice",
		"stage":       rc["stage"] == "$default",
		"method":      rc["http"].(map[string]any)["method"] == "DELETE",
		"iam":         rc["authorizer"].(map[string]any)["iam"].(map[string]any)["userArn"] == local.DefaultCaller.ARN,
		"no body":     e["body"] == nil && e["isBase64Encoded"] == false,
		"status sent": resp.StatusCode == 204,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s wrong in event %v", name, e)
		}
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- local.Serve(ctx, ln, slow, 5*time.Second) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-arrived
	cancel()
	time.Sleep(50 * time.Millisecond) // let the shutdown begin; the request must outlive it either way
	close(release)                    // the request in flight still finishes
	if b := <-got; b != "done" {
		t.Errorf("request in flight got %q", b)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections")
	}
}

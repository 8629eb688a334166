package local_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/internal/local"
)

const appOrigin = "http://localhost:5173"

// serveGuarded serves s's functions behind a Guard that allows appOrigin,
// on a free loopback port, and returns the base URL and the port.
func serveGuarded(t *testing.T, s *local.Stack) (string, string) {
	t.Helper()
	cors, err := local.ParseCORSOrigins(appOrigin + ",https://app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	gw := &local.Gateway{Import: s.Import, Delete: s.Delete, UserSig: s.UserSig}
	srv := httptest.NewServer(&local.Guard{Next: gw, CORS: cors})
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	return srv.URL, port
}

// guardRequest is one request a test sends to a guarded gateway.
type guardRequest struct {
	method, path, body string
	header             map[string]string // "Host" sets the Host header
}

func (g guardRequest) send(t *testing.T, base string) httpReply {
	t.Helper()
	req, err := http.NewRequest(g.method, base+g.path, strings.NewReader(g.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range g.header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
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

// wantAPIError checks an error reply of the API's shape, with no Go type
// name in it.
func wantAPIError(t *testing.T, r httpReply, code string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("body %s, want the error %q", r.body, code)
	}
	for _, goName := range []string{"local.", "http.", "*", "struct", "%!"} {
		if strings.Contains(string(r.body), goName) {
			t.Errorf("body %s names %q", r.body, goName)
		}
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
}

// TestGuardRefusesWhatAPageCouldSend: the requests a hostile web page can
// make without a preflight (form posts, a foreign Origin, a rebound
// name) are refused before any function runs, and change nothing.
func TestGuardRefusesWhatAPageCouldSend(t *testing.T) {
	s := newStack(t)
	base, port := serveGuarded(t, s)
	s.Emulator.Seed("victim")
	body := `{"DeleteItem":[{"UserID":"victim"}]}`
	tests := []struct {
		name   string
		req    guardRequest
		status int
		code   string
	}{
		{"form post, text/plain", guardRequest{"POST", "/accounts/delete", body, map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type"},
		{"form post, text/plain from a page", guardRequest{"POST", "/accounts/delete", body, map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.example"}}, 403, "forbidden"},
		{"form post, urlencoded", guardRequest{"POST", "/accounts/delete", body, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
		{"form post, multipart", guardRequest{"POST", "/accounts/delete", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + body + "\r\n--x--\r\n", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}}, 415, "unsupported_media_type"},
		{"a body without Content-Type", guardRequest{"POST", "/accounts/delete", body, nil}, 415, "unsupported_media_type"},
		{"json look-alike", guardRequest{"POST", "/accounts/delete", body, map[string]string{"Content-Type": "application/jsonx"}}, 415, "unsupported_media_type"},
		{"foreign Origin, JSON", guardRequest{"POST", "/accounts/delete", body, map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}}, 403, "forbidden"},
		{"foreign Origin, delete by path", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Origin": "https://evil.example"}}, 403, "forbidden"},
		{"an allowed origin's look-alike", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Origin": appOrigin + ".evil.example"}}, 403, "forbidden"},
		{"Origin null (a sandboxed page)", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Origin": "null"}}, 403, "forbidden"},
		{"foreign Origin, preflight", guardRequest{"OPTIONS", "/accounts/victim", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"}}, 403, "forbidden"},
		{"rebound name", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Host": "evil.example:" + port}}, 421, "misdirected_request"},
		{"rebound name, usersig", guardRequest{"POST", "/usersig", `{"UserID":"victim"}`, map[string]string{"Host": "evil.example:" + port, "Content-Type": "application/json"}}, 421, "misdirected_request"},
		{"a name under localhost's", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Host": "localhost.evil.example:" + port}}, 421, "misdirected_request"},
		{"loopback on another port", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Host": "127.0.0.1:1"}}, 421, "misdirected_request"},
		{"no port", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Host": "localhost"}}, 421, "misdirected_request"},
		{"a LAN address", guardRequest{"DELETE", "/accounts/victim", "", map[string]string{"Host": "192.168.1.5:" + port}}, 421, "misdirected_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req.send(t, base)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			wantAPIError(t, r, tt.code)
			if r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a refusal allows the origin: %v", r.header)
			}
		})
	}
	if n := s.Emulator.TotalRequests(); n != 0 || !s.Emulator.Has("victim") {
		t.Errorf("%d Chat requests, the account still there: %v", n, s.Emulator.Has("victim"))
	}
}

// TestGuardAdmits: curl's requests, JSON bodies and every loopback name
// with the port pass.
func TestGuardAdmits(t *testing.T) {
	s := newStack(t)
	base, port := serveGuarded(t, s)
	tests := []struct {
		name string
		req  guardRequest
	}{
		{"curl, JSON", guardRequest{"POST", "/accounts", `{"UserID":"a"}`, map[string]string{"Content-Type": "application/json"}}},
		{"JSON with a charset", guardRequest{"POST", "/accounts", `{"UserID":"b"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}}},
		{"JSON in capitals", guardRequest{"POST", "/accounts", `{"UserID":"c"}`, map[string]string{"Content-Type": "Application/JSON"}}},
		{"no body, no Content-Type", guardRequest{"DELETE", "/accounts/a", "", nil}},
		{"localhost", guardRequest{"DELETE", "/accounts/a", "", map[string]string{"Host": "localhost:" + port}}},
		{"LOCALHOST", guardRequest{"DELETE", "/accounts/a", "", map[string]string{"Host": "LOCALHOST:" + port}}},
		{"127.0.0.2", guardRequest{"DELETE", "/accounts/a", "", map[string]string{"Host": "127.0.0.2:" + port}}},
		{"[::1]", guardRequest{"DELETE", "/accounts/a", "", map[string]string{"Host": "[::1]:" + port}}},
		{"127.0.0.1 in IPv6", guardRequest{"DELETE", "/accounts/a", "", map[string]string{"Host": "[::ffff:127.0.0.1]:" + port}}},
		{"an allowed origin", guardRequest{"POST", "/accounts", `{"UserID":"d"}`, map[string]string{"Content-Type": "application/json", "Origin": appOrigin}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := tt.req.send(t, base); r.status != 200 {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		})
	}
	for _, id := range []string{"b", "c", "d"} {
		if !s.Emulator.Has(id) {
			t.Errorf("%s was not imported", id)
		}
	}
}

// TestGuardCORS: an allowed origin's preflight is answered as API Gateway
// answers it with CorsAllowOrigins, and its other replies, errors
// included, allow it.
func TestGuardCORS(t *testing.T) {
	s := newStack(t)
	base, _ := serveGuarded(t, s)
	for _, origin := range []string{appOrigin, "https://app.example.com"} {
		pre := guardRequest{"OPTIONS", "/accounts/me", "", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "authorization",
		}}.send(t, base)
		want := map[string]string{
			"Access-Control-Allow-Origin":  origin,
			"Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
			"Access-Control-Allow-Headers": "Authorization, Content-Type",
			"Access-Control-Max-Age":       "600",
			"Vary":                         "Origin",
		}
		if pre.status != http.StatusNoContent || len(pre.body) != 0 {
			t.Errorf("%s preflight: %d %s", origin, pre.status, pre.body)
		}
		for k, v := range want {
			if got := pre.header.Get(k); got != v {
				t.Errorf("%s preflight %s: %q, want %q", origin, k, got, v)
			}
		}
	}
	tests := []struct {
		name   string
		req    guardRequest
		status int
	}{
		{"import", guardRequest{"POST", "/accounts", `{"UserID":"x"}`, map[string]string{"Content-Type": "application/json", "Origin": appOrigin}}, 200},
		{"a function's 405", guardRequest{"GET", "/accounts", "", map[string]string{"Origin": appOrigin}}, 405},
		{"the guard's 415", guardRequest{"POST", "/accounts", `{"UserID":"x"}`, map[string]string{"Content-Type": "text/plain", "Origin": appOrigin}}, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req.send(t, base)
			if r.status != tt.status || r.header.Get("Access-Control-Allow-Origin") != appOrigin || r.header.Get("Vary") != "Origin" {
				t.Errorf("%d %v, want %d allowing %s", r.status, r.header, tt.status, appOrigin)
			}
			if r.header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("a reply that is no preflight carries the preflight's headers: %v", r.header)
			}
		})
	}
	// Without an Origin no CORS header, and an OPTIONS that is no
	// preflight reaches the function (405).
	r := guardRequest{"OPTIONS", "/accounts", "", nil}.send(t, base)
	if r.status != 405 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("OPTIONS without an Origin: %d %v", r.status, r.header)
	}
}

// TestGuardWithoutCORS: with no -cors-origins every Origin is refused.
func TestGuardWithoutCORS(t *testing.T) {
	s := newStack(t)
	srv := httptest.NewServer(&local.Guard{Next: &local.Gateway{Import: s.Import, Delete: s.Delete}})
	t.Cleanup(srv.Close)
	for _, origin := range []string{appOrigin, "http://" + strings.TrimPrefix(srv.URL, "http://")} {
		r := guardRequest{"OPTIONS", "/accounts", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}}.send(t, srv.URL)
		if r.status != 403 {
			t.Errorf("preflight from %s: %d", origin, r.status)
		}
	}
}

func TestParseCORSOrigins(t *testing.T) {
	for _, tt := range []struct {
		in      string
		allowed []string
		refused []string
	}{
		{"", nil, []string{appOrigin, "null"}},
		{"http://localhost:5173", []string{"http://localhost:5173"}, []string{"http://localhost:5174", "https://localhost:5173", "http://localhost"}},
		{"https://App.Example.com,http://localhost:8080", []string{"https://app.example.com", "http://localhost:8080"}, []string{"https://example.com"}},
		{"*", []string{appOrigin, "https://evil.example"}, []string{""}},
	} {
		c, err := local.ParseCORSOrigins(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		for _, o := range tt.allowed {
			if !c.Allows(o) {
				t.Errorf("%q does not allow %s", tt.in, o)
			}
		}
		for _, o := range tt.refused {
			if c.Allows(o) {
				t.Errorf("%q allows %s", tt.in, o)
			}
		}
	}
	for _, bad := range []string{"localhost:5173", "https://app.example.com/", "https://app.example.com/app", "ftp://x", "https://a.example, https://b.example", "https://a.example,*", "https://user@a.example", "https://a.example?", "https://"} {
		if _, err := local.ParseCORSOrigins(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

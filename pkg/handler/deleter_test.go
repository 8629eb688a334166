package handler_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

func TestDelete(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		fault   *chatemu.Fault
		status  int
		code    string
		allow   string
		results map[string]int // UserID: ResultCode
	}{
		{"path form", "DELETE", "/accounts/alice", "", nil, 200, "", "", map[string]int{"alice": 0}},
		{"absent account", "DELETE", "/accounts/ghost", "", nil, 200, "", "", map[string]int{"ghost": 70107}},
		{"body form", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"alice"},{"UserID":"ghost"},{"UserID":"alice"}]}`, nil, 200, "", "", map[string]int{"alice": 0, "ghost": 70107}},
		{"body form, empty", "POST", "/accounts/delete", `{"DeleteItem":[]}`, nil, 400, "invalid_request", "", nil},
		{"body form, bad JSON", "POST", "/accounts/delete", `{`, nil, 400, "invalid_json", "", nil},
		{"body form, long id", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"123456789012345678901234567890123"}]}`, nil, 400, "invalid_request", "", nil},
		{"wrong method on /accounts/delete", "GET", "/accounts/delete", "", nil, 405, "method_not_allowed", "DELETE, POST", nil},
		{"wrong method on an account", "PUT", "/accounts/alice", "", nil, 405, "method_not_allowed", "DELETE", nil},
		{"unknown route", "DELETE", "/accounts", "", nil, 404, "not_found", "", nil},
		{"nested route", "DELETE", "/accounts/a/b", "", nil, 404, "not_found", "", nil},
		{"deletion disabled in the console", "DELETE", "/accounts/alice", "", &chatemu.Fault{Code: 71000, Times: 5}, 502, "chat_rejected", "", nil},
		{"Chat down", "DELETE", "/accounts/alice", "", &chatemu.Fault{Status: 502, Times: 100}, 503, "chat_unavailable", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed("alice", "a@b")
			if tt.fault != nil {
				e.emu.Inject(*tt.fault)
			}
			r := invokeHTTP(t, e.del, mustJSON(t, httpV2(tt.method, tt.path, tt.body)))
			if r.Status != tt.status || r.Err.Code != tt.code || r.Headers["Allow"] != tt.allow {
				t.Fatalf("reply %d %+v Allow %q, want %d %q %q", r.Status, r.Err, r.Headers["Allow"], tt.status, tt.code, tt.allow)
			}
			if tt.status != http.StatusOK {
				if tt.fault == nil && e.emu.TotalRequests() != 0 {
					t.Errorf("refused request made %d Chat requests", e.emu.TotalRequests())
				}
				return
			}
			got := map[string]int{}
			for _, it := range r.Env.ResultItem {
				got[it.UserID] = it.ResultCode
			}
			if len(got) != len(tt.results) || len(r.Env.ResultItem) != len(tt.results) {
				t.Fatalf("ResultItem %+v, want %v", r.Env.ResultItem, tt.results)
			}
			for id, code := range tt.results {
				if c, ok := got[id]; !ok || c != code {
					t.Errorf("%s: code %d, want %d", id, c, code)
				}
				if e.emu.Has(id) {
					t.Errorf("%s still exists", id)
				}
			}
		})
	}
}

func TestDirectDelete(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.Seed("carol")
	env := invokeEnv(t, e.del, []byte(`{"DeleteItem":[{"UserID":"carol"},{"UserID":"nobody"}]}`))
	if env.ActionStatus != "OK" || len(env.ResultItem) != 2 || env.ResultItem[1].ResultCode != chat.CodeAccountNotFound {
		t.Errorf("envelope %+v", env)
	}
	for _, tt := range []struct {
		payload string
		code    int
	}{
		{`{"DeleteItem":[]}`, 70206},
		{`{"DeleteItem":[{"UserID":""}]}`, 70402},
		{`{"DeleteItem":[{"UserID":7}]}`, 60015},
	} {
		before := e.emu.TotalRequests()
		env := invokeEnv(t, e.del, []byte(tt.payload))
		if env.ActionStatus != "FAIL" || env.ErrorCode != tt.code || e.emu.TotalRequests() != before {
			t.Errorf("%s: envelope %+v, want FAIL %d and no call", tt.payload, env, tt.code)
		}
	}
}

// TestDeletePathDecodedOnce: the UserID in DELETE /accounts/{userId} is
// decoded once, by API Gateway, and never again.
func TestDeletePathDecodedOnce(t *testing.T) {
	tests := []struct {
		name    string
		rawPath string
		params  map[string]string // pathParameters; nil behind a catch-all route
		status  int
		deleted string // the account gone afterwards
	}{
		{"route parameter holding a percent sign", "/accounts/a%2541", map[string]string{"userId": "a%41"}, 200, "a%41"},
		{"route parameter, rawPath already decoded", "/accounts/a%41", map[string]string{"userId": "a%41"}, 200, "a%41"},
		{"route parameter, encoded at sign", "/accounts/a%40b", map[string]string{"userId": "a@b"}, 200, "a@b"},
		{"catch-all route, plain id", "/accounts/alice", nil, 200, "alice"},
		{"catch-all route, percent sign", "/accounts/a%2541", nil, 400, ""},
	}
	for _, v2 := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s v2=%v", tt.name, v2), func(t *testing.T) {
				e := newEnv(t, envOpts{})
				e.emu.Seed("alice", "a@b", "a%41", "aA")
				var payload []byte
				if v2 {
					ev := httpV2("DELETE", tt.rawPath, "")
					ev.PathParameters = tt.params
					payload = mustJSON(t, ev)
				} else {
					ev := httpV1("DELETE", tt.rawPath, "")
					ev.PathParameters = tt.params
					payload = mustJSON(t, ev)
				}
				r := invokeHTTP(t, e.del, payload)
				if r.Status != tt.status {
					t.Fatalf("status %d %+v, want %d", r.Status, r.Err, tt.status)
				}
				if !e.emu.Has("aA") {
					t.Error(`"aA", an account nobody named, was deleted`)
				}
				if tt.deleted == "" {
					if n := e.emu.TotalRequests(); n != 0 {
						t.Errorf("refused request made %d Chat requests", n)
					}
					return
				}
				if e.emu.Has(tt.deleted) {
					t.Errorf("%q still exists", tt.deleted)
				}
				if e.emu.Len() != 3 {
					t.Errorf("%d accounts left, want 3", e.emu.Len())
				}
			})
		}
	}
}

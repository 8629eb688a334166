package handler_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

func TestUnknownEventsCostNothing(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, p := range []string{`"hello"`, `[]`, `[{"UserID":"a"}]`, `{}`, `null`, `42`, ``, `{"foo":1}`, `{"Records":[]}`, `not json`} {
		for name, h := range map[string]interface {
			Invoke(context.Context, []byte) ([]byte, error)
		}{"import": e.imp, "delete": e.del} {
			if _, err := invoke(t, h, []byte(p)); !errors.Is(err, handler.ErrUnknownEvent) {
				t.Errorf("%s(%q): err = %v, want ErrUnknownEvent", name, p, err)
			}
		}
	}
	// Each function refuses the other's direct body.
	if _, err := invoke(t, e.del, []byte(`{"UserID":"a"}`)); !errors.Is(err, handler.ErrUnknownEvent) {
		t.Errorf("delete took an import body: %v", err)
	}
	if _, err := invoke(t, e.imp, []byte(`{"DeleteItem":[{"UserID":"a"}]}`)); !errors.Is(err, handler.ErrUnknownEvent) {
		t.Errorf("import took a delete body: %v", err)
	}
	if n := e.emu.TotalRequests(); n != 0 {
		t.Errorf("unknown events made %d Chat requests", n)
	}
}

func TestDirectImport(t *testing.T) {
	long := strings.Repeat("x", 33)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf(`{"UserID":"u%d"}`, i)
	}
	tests := []struct {
		name     string
		payload  string
		status   string
		code     int
		requests int
	}{
		{"single", `{"UserID":"alice","Nick":"Alice","FaceUrl":"https://example.com/a.png"}`, "OK", 0, 1},
		{"batch of one", `{"AccountList":[{"UserID":"bob"}]}`, "OK", 0, 1},
		{"batch with repeats", `{"AccountList":[{"UserID":"c1"},{"UserID":"c2"},{"UserID":"c1"}]}`, "OK", 0, 1},
		{"unknown fields tolerated", `{"UserID":"dan","Extra":true}`, "OK", 0, 1},
		{"empty UserID", `{"UserID":""}`, "FAIL", 70402, 0},
		{"null UserID", `{"UserID":null}`, "FAIL", 70402, 0},
		{"long UserID", `{"UserID":"` + long + `"}`, "FAIL", 70402, 0},
		{"long Nick", `{"UserID":"e","Nick":"` + strings.Repeat("n", 501) + `"}`, "FAIL", 40601, 0},
		{"numeric UserID", `{"UserID":5}`, "FAIL", 60015, 0},
		{"empty batch", `{"AccountList":[]}`, "FAIL", 70206, 0},
		{"batch too large", `{"AccountList":[` + strings.Join(many, ",") + `]}`, "FAIL", 70206, 0},
		{"bad item in batch", `{"AccountList":[{"UserID":"ok"},{"UserID":"` + long + `"}]}`, "FAIL", 70402, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			env := invokeEnv(t, e.imp, []byte(tt.payload))
			if env.ActionStatus != tt.status || env.ErrorCode != tt.code {
				t.Errorf("envelope %+v, want %s %d", env, tt.status, tt.code)
			}
			if n := e.emu.TotalRequests(); n != tt.requests {
				t.Errorf("Chat requests = %d, want %d", n, tt.requests)
			}
		})
	}
}

func TestDirectImportBatchUsesMultiImport(t *testing.T) {
	e := newEnv(t, envOpts{})
	env := invokeEnv(t, e.imp, []byte(`{"AccountList":[{"UserID":"solo"}]}`))
	if env.ActionStatus != "OK" || env.FailAccounts == nil {
		t.Errorf("envelope %+v: want OK with a FailAccounts list", env)
	}
	if e.emu.Requests(chat.CmdMultiImport) != 1 || e.emu.Requests(chat.CmdImport) != 0 {
		t.Error("an AccountList of one must use multiaccount_import")
	}
}

func TestHTTPImport(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		event  func() events.APIGatewayV2HTTPRequest
		fault  *chatemu.Fault
		status int
		code   string
		allow  string
	}{
		{"single", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"UserID":"alice"}`) }, nil, 200, "", ""},
		{"batch", func() events.APIGatewayV2HTTPRequest {
			return httpV2("POST", "/accounts", `{"AccountList":[{"UserID":"a"},{"UserID":"b"}]}`)
		}, nil, 200, "", ""},
		{"base64 body", func() events.APIGatewayV2HTTPRequest {
			ev := httpV2("POST", "/accounts", b64(`{"UserID":"alice"}`))
			ev.IsBase64Encoded = true
			return ev
		}, nil, 200, "", ""},
		{"named stage prefix", func() events.APIGatewayV2HTTPRequest {
			ev := httpV2("POST", "/prod/accounts", `{"UserID":"alice"}`)
			ev.RequestContext.Stage = "prod"
			return ev
		}, nil, 200, "", ""},
		{"trailing slash", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts/", `{"UserID":"alice"}`) }, nil, 200, "", ""},
		{"wrong method", func() events.APIGatewayV2HTTPRequest { return httpV2("GET", "/accounts", "") }, nil, 405, "method_not_allowed", "POST"},
		{"unknown route", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/users", `{"UserID":"a"}`) }, nil, 404, "not_found", ""},
		{"bad JSON", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"UserID":`) }, nil, 400, "invalid_json", ""},
		{"bad base64", func() events.APIGatewayV2HTTPRequest {
			ev := httpV2("POST", "/accounts", "!!!")
			ev.IsBase64Encoded = true
			return ev
		}, nil, 400, "invalid_body", ""},
		{"missing UserID", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{}`) }, nil, 400, "invalid_request", ""},
		{"UserID too long", func() events.APIGatewayV2HTTPRequest {
			return httpV2("POST", "/accounts", `{"UserID":"`+strings.Repeat("x", 33)+`"}`)
		}, nil, 400, "invalid_request", ""},
		{"empty batch", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"AccountList":[]}`) }, nil, 400, "invalid_request", ""},
		{"body too large", func() events.APIGatewayV2HTTPRequest {
			return httpV2("POST", "/accounts", `{"UserID":"a","Nick":"`+strings.Repeat("n", handler.MaxBodyBytes)+`"}`)
		}, nil, 400, "body_too_large", ""},
		{"Chat refuses input", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"UserID":"a"}`) },
			&chatemu.Fault{Code: 70402, Times: 10}, 400, "chat_refused_input", ""},
		{"Chat down", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"UserID":"a"}`) },
			&chatemu.Fault{Code: 70500, Times: 100}, 503, "chat_unavailable", ""},
		{"Chat misconfigured", func() events.APIGatewayV2HTTPRequest { return httpV2("POST", "/accounts", `{"UserID":"a"}`) },
			&chatemu.Fault{Code: 71000, Times: 10}, 502, "chat_rejected", ""},
		{"batch all failed", func() events.APIGatewayV2HTTPRequest {
			return httpV2("POST", "/accounts", `{"AccountList":[{"UserID":"a"}]}`)
		}, &chatemu.Fault{Code: 70500, Times: 100}, 503, "chat_unavailable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			if tt.fault != nil {
				e.emu.Inject(*tt.fault)
			}
			r := invokeHTTP(t, e.imp, mustJSON(t, tt.event()))
			if r.Status != tt.status || r.Err.Code != tt.code {
				t.Fatalf("reply %d %+v, want %d %q", r.Status, r.Err, tt.status, tt.code)
			}
			if r.Headers["Allow"] != tt.allow {
				t.Errorf("Allow = %q, want %q", r.Headers["Allow"], tt.allow)
			}
			if tt.status == 200 && r.Env.ActionStatus != "OK" {
				t.Errorf("envelope %+v", r.Env)
			}
			if tt.status == 400 && tt.fault == nil && e.emu.TotalRequests() != 0 {
				t.Errorf("refused input made %d Chat requests", e.emu.TotalRequests())
			}
		})
	}
}

func TestHTTPImportDeadline(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.Inject(chatemu.Fault{Delay: 5 * time.Second, Times: 100})
	ctx, cancel := invocation(time.Second)
	defer cancel()
	start := time.Now()
	raw, err := e.imp.Invoke(ctx, mustJSON(t, httpV2("POST", "/accounts", `{"UserID":"a"}`)))
	r := decodeReply(t, raw, err)
	if r.Status != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 504", r.Status)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("answered after %v, past the invocation's deadline", el)
	}
}

func TestRESTImport(t *testing.T) {
	e := newEnv(t, envOpts{})
	ev := httpV1("POST", "/accounts", `{"UserID":"rest-user"}`)
	raw, err := invoke(t, e.imp, mustJSON(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayProxyResponse
	if err := mustUnmarshal(raw, &resp); err != nil || resp.StatusCode != 200 || !e.emu.Has("rest-user") {
		t.Fatalf("reply %s, imported %v", raw, e.emu.Has("rest-user"))
	}
	if line := e.logs.has(t, "import done"); line == nil || line["caller"] != "arn:aws:iam::123456789012:user/backend" {
		t.Errorf("outcome line %v lacks the caller's ARN", line)
	}
}

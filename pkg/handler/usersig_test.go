package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// issuedAt is the handlers' clock in these tests.
var issuedAt = time.Unix(1767139200, 0) // 2025-12-31T00:00:00Z

// sigEnv is a UserSig handler beside a Chat emulator with the same key,
// whose clock the test moves.
type sigEnv struct {
	emu   *chatemu.Server
	clock atomic.Int64 // the emulator's Unix time
	h     *handler.UserSigHandler
	logs  *logBuffer
}

type sigOpts struct {
	auth  handler.Auth
	ttl   time.Duration
	creds chatapi.CredentialsSource // default: the emulator's, static
}

func newSigEnv(t *testing.T, o sigOpts) *sigEnv {
	t.Helper()
	e := &sigEnv{logs: &logBuffer{}}
	e.clock.Store(issuedAt.Unix())
	e.emu = chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey, Now: func() time.Time { return time.Unix(e.clock.Load(), 0) }})
	creds := o.creds
	if creds == nil {
		creds = chatapi.StaticCredentials(e.emu.Credentials())
	}
	e.h = handler.NewUserSigHandler(handler.UserSigConfig{
		Credentials: creds, TTL: o.ttl, Auth: o.auth,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)),
		Now:    func() time.Time { return issuedAt },
	})
	t.Cleanup(func() { assertNoSecrets(t, e.logs.String()) })
	return e
}

// sigReply is an HTTP reply of the UserSig routes.
type sigReply struct {
	Status  int
	Headers map[string]string
	Body    string
	OK      handler.UserSigReply
	Err     struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}
}

func invokeSigHTTP(t *testing.T, h invoker, ev any) sigReply {
	t.Helper()
	raw, err := invoke(t, h, mustJSON(t, ev))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("reply is not an HTTP API response: %s", raw)
	}
	r := sigReply{Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := resp.Headers["Cache-Control"]; cc != "no-store" {
		t.Errorf("status %d: Cache-Control = %q, want no-store", r.Status, cc)
	}
	if r.Status == 200 {
		dec := json.NewDecoder(strings.NewReader(resp.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r.OK); err != nil {
			t.Fatalf("200 body is not the UserSig reply: %s", resp.Body)
		}
		return r
	}
	var wrap struct {
		Error *json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &wrap); err != nil || wrap.Error == nil {
		t.Fatalf("error body is not {\"error\":...}: %s", resp.Body)
	}
	json.Unmarshal(*wrap.Error, &r.Err)
	if strings.Contains(resp.Body, "UserSig\"") || strings.Contains(resp.Body, "eJ") {
		t.Errorf("error reply carries a UserSig: %s", resp.Body)
	}
	return r
}

// TestUserSigLogin issues UserSigs through every route and logs in with each
// as the Chat SDK does: the emulator's Login must accept them.
func TestUserSigLogin(t *testing.T) {
	jwt := handler.Auth{Mode: handler.AuthJWT}
	tests := []struct {
		name string
		auth handler.Auth
		ev   func() any // nil: the direct invocation body
		body string
		want string // the UserID signed for
	}{
		{"direct", handler.Auth{}, nil, `{"UserID":"alice"}`, "alice"},
		{"iam POST", handler.Auth{}, func() any { return httpV2("POST", "/usersig", `{"UserID":"bob"}`) }, "", "bob"},
		{"iam POST, REST API", handler.Auth{}, func() any { return httpV1("POST", "/usersig", `{"UserID":"carol"}`) }, "", "carol"},
		{"jwt GET self", jwt, func() any { return withClaims(httpV2("GET", "/usersig", ""), accessToken) }, "", wantSub},
		{"jwt POST self, empty body", jwt, func() any { return withClaims(httpV2("POST", "/usersig", ""), idToken) }, "", wantSub},
		{"jwt POST self, named", jwt, func() any { return withClaims(httpV2("POST", "/usersig", `{"UserID":"`+wantSub+`"}`), idToken) }, "", wantSub},
		{"jwt admin for another", jwt, func() any { return withClaims(httpV2("POST", "/usersig", `{"UserID":"dave"}`), adminToken) }, "", "dave"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, sigOpts{auth: tt.auth})
			var rep handler.UserSigReply
			if tt.ev == nil {
				raw, err := invoke(t, e.h, []byte(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw, &rep); err != nil || rep.UserSig == "" {
					t.Fatalf("direct reply %s", raw)
				}
			} else {
				r := invokeSigHTTP(t, e.h, tt.ev())
				if r.Status != 200 {
					t.Fatalf("status %d: %+v", r.Status, r.Err)
				}
				rep = r.OK
			}
			want := handler.UserSigReply{SDKAppID: 1400000000, UserID: tt.want, UserSig: rep.UserSig, ExpireAt: issuedAt.Add(24 * time.Hour).Unix()}
			if rep != want {
				t.Errorf("reply %+v, want %+v", rep, want)
			}
			if err := e.emu.Login(tt.want, rep.UserSig); err != nil {
				t.Fatalf("the emulator refuses the login: %v", err)
			}
			if err := e.emu.Login("someone-else", rep.UserSig); chat.ErrorCode(err) != chat.CodeSigIdentifierMismatch {
				t.Errorf("another user's login with it: %v, want 70013", err)
			}
			if e.emu.TotalRequests() != 0 {
				t.Errorf("%d Chat requests; issuing a UserSig calls no one", e.emu.TotalRequests())
			}
			line := e.logs.has(t, "usersig done")
			if line == nil {
				t.Fatalf("no outcome line: %s", e.logs.String())
			}
			if ids, _ := line["userIds"].([]any); len(ids) != 1 || ids[0] != tt.want {
				t.Errorf("logged userIds %v, want [%s]", line["userIds"], tt.want)
			}
			if got, _ := line["expireAt"].(float64); int64(got) != want.ExpireAt {
				t.Errorf("logged expireAt %v, want %d", line["expireAt"], want.ExpireAt)
			}
		})
	}
}

// TestUserSigExpiry: a UserSig lives for the TTL: the login is accepted up
// to ExpireAt and refused (70001) after it.
func TestUserSigExpiry(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Minute, 4320 * time.Hour} {
		t.Run(ttl.String(), func(t *testing.T) {
			e := newSigEnv(t, sigOpts{ttl: ttl})
			raw, err := invoke(t, e.h, []byte(`{"UserID":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			var rep handler.UserSigReply
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			life := ttl
			if life == 0 {
				life = handler.DefaultUserSigTTL
			}
			if want := issuedAt.Add(life).Unix(); rep.ExpireAt != want {
				t.Fatalf("ExpireAt %d, want %d", rep.ExpireAt, want)
			}
			e.clock.Store(rep.ExpireAt)
			if err := e.emu.Login("alice", rep.UserSig); err != nil {
				t.Fatalf("login at ExpireAt: %v", err)
			}
			e.clock.Store(rep.ExpireAt + 1)
			if err := e.emu.Login("alice", rep.UserSig); chat.ErrorCode(err) != chat.CodeSigExpired {
				t.Fatalf("login after ExpireAt: %v, want 70001", err)
			}
		})
	}
}

// TestUserSigRefusals: every refused request gets its status, a JSON error,
// no UserSig and no Chat call.
func TestUserSigRefusals(t *testing.T) {
	jwt := handler.Auth{Mode: handler.AuthJWT}
	byUsername := handler.Auth{Mode: handler.AuthJWT, Mapping: chat.Mapping{UserIDAttribute: "username"}}
	adminUser := map[string]string{"sub": "0f0f0f0f-0000-4000-8000-000000000000", "username": "administrator"}
	tests := []struct {
		name   string
		auth   handler.Auth
		ev     any
		status int
		code   string
		allow  string
	}{
		{"jwt other", jwt, withClaims(httpV2("POST", "/usersig", `{"UserID":"victim"}`), accessToken), 403, "forbidden", ""},
		{"jwt missing claims", jwt, withClaims(httpV2("GET", "/usersig", ""), nil), 403, "forbidden", ""},
		{"jwt unmappable token", handler.Auth{Mode: handler.AuthJWT, Mapping: chat.Mapping{UserIDAttribute: "custom:chat_id"}}, withClaims(httpV2("GET", "/usersig", ""), accessToken), 403, "forbidden", ""},
		{"iam without UserID", handler.Auth{}, httpV2("GET", "/usersig", ""), 400, "invalid_request", ""},
		{"iam empty UserID", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":""}`), 400, "invalid_request", ""},
		{"UserID over 32 bytes", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":"`+strings.Repeat("a", 33)+`"}`), 400, "invalid_request", ""},
		{"UserID a number", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":42}`), 400, "invalid_request", ""},
		{"body not JSON", handler.Auth{}, httpV2("POST", "/usersig", `UserID=alice`), 400, "invalid_request", ""},
		{"body not UTF-8", handler.Auth{}, base64Body(httpV2("POST", "/usersig", "{\"UserID\":\"ab\xffcd\"}")), 400, "invalid_request", ""},
		{"unpaired surrogate escape", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":"ab\ud800"}`), 400, "invalid_request", ""},
		{"Identifier disagrees", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":"alice","Identifier":"bob"}`), 400, "invalid_request", ""},
		{"body too large", handler.Auth{}, httpV2("POST", "/usersig", strings.Repeat(" ", handler.MaxBodyBytes+1)), 400, "body_too_large", ""},
		{"admin identifier, iam", handler.Auth{}, httpV2("POST", "/usersig", `{"UserID":"administrator"}`), 403, "forbidden", ""},
		{"admin identifier, jwt admin group", jwt, withClaims(httpV2("POST", "/usersig", `{"UserID":"administrator"}`), adminToken), 403, "forbidden", ""},
		{"admin identifier, jwt self", byUsername, withClaims(httpV2("GET", "/usersig", ""), adminUser), 403, "forbidden", ""},
		{"unknown path", handler.Auth{}, httpV2("GET", "/usersigs", ""), 404, "not_found", ""},
		{"wrong method", handler.Auth{}, httpV2("DELETE", "/usersig", ""), 405, "method_not_allowed", "GET, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, sigOpts{auth: tt.auth})
			r := invokeSigHTTP(t, e.h, tt.ev)
			if r.Status != tt.status || r.Err.Code != tt.code || r.Err.Message == "" {
				t.Fatalf("reply %d %+v, want %d %s", r.Status, r.Err, tt.status, tt.code)
			}
			if strings.Contains(r.Err.Message, "string into Go") || strings.Contains(r.Err.Message, "handler.") {
				t.Errorf("message names Go types: %q", r.Err.Message)
			}
			if got := r.Headers["Allow"]; got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if line := e.logs.has(t, "usersig refused"); line == nil || line["status"] != float64(tt.status) {
				t.Errorf("no refusal logged with status %d: %s", tt.status, e.logs.String())
			}
			if e.emu.TotalRequests() != 0 {
				t.Errorf("%d Chat requests", e.emu.TotalRequests())
			}
		})
	}
}

// TestUserSigDirect: direct invocation's refusals are FAIL envelopes with
// Chat's codes; a payload that is no event is a function error.
func TestUserSigDirect(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    int // 0: a function error is wanted
	}{
		{"empty UserID", `{"UserID":""}`, chat.CodeInvalidParameter},
		{"null UserID", `{"UserID":null}`, chat.CodeInvalidParameter},
		{"UserID over 32 bytes", `{"UserID":"` + strings.Repeat("x", 33) + `"}`, chat.CodeInvalidParameter},
		{"UserID a number", `{"UserID":7}`, chat.CodeBadAccountType},
		{"not UTF-8", "{\"UserID\":\"ab\xffcd\"}", chat.CodeBadJSON},
		{"unpaired surrogate escape", `{"UserID":"ab\udc00"}`, chat.CodeBadJSON},
		{"Identifier disagrees", `{"UserID":"alice","Identifier":"bob"}`, chat.CodeInvalidParameter},
		{"admin identifier", `{"UserID":"administrator"}`, chat.CodeInvalidParameter},
		{"empty object", `{}`, 0},
		{"a string", `"alice"`, 0},
		{"an import batch", `{"AccountList":[{"UserID":"a"}]}`, 0},
		{"a delete body", `{"DeleteItem":[{"UserID":"a"}]}`, 0},
		{"a sign-up", string(signUp("PostConfirmation_ConfirmSignUp", subAttrs)), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, sigOpts{})
			raw, err := invoke(t, e.h, []byte(tt.payload))
			if tt.code == 0 {
				if !errors.Is(err, handler.ErrUnknownEvent) {
					t.Fatalf("reply %s, error %v; want a function error", raw, err)
				}
				return
			}
			env := decodeEnvelope(t, raw, err)
			if env.ActionStatus != chat.StatusFail || env.ErrorCode != tt.code || env.ErrorInfo == "" {
				t.Fatalf("envelope %+v, want FAIL %d", env, tt.code)
			}
			if strings.Contains(string(raw), `"UserSig":`) {
				t.Errorf("refusal carries a UserSig: %s", raw)
			}
		})
	}
}

// base64Body encodes ev's body as API Gateway passes a body that is not
// UTF-8 text: base64, with IsBase64Encoded set.
func base64Body(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(ev.Body)), true
	return ev
}

// TestUserSigIdentifierAlias: the UserSig function takes the older docs'
// Identifier for UserID, as the import function does, on every path.
func TestUserSigIdentifierAlias(t *testing.T) {
	iam := newSigEnv(t, sigOpts{})
	if r := invokeSigHTTP(t, iam.h, httpV2("POST", "/usersig", `{"Identifier":"bob"}`)); r.Status != 200 || r.OK.UserID != "bob" {
		t.Errorf("iam: %d %+v %+v, want bob's UserSig", r.Status, r.OK, r.Err)
	}
	raw, err := invoke(t, iam.h, []byte(`{"Identifier":"carol","UserID":"carol"}`))
	var rep handler.UserSigReply
	if err != nil || json.Unmarshal(raw, &rep) != nil || rep.UserID != "carol" || iam.emu.Login("carol", rep.UserSig) != nil {
		t.Errorf("direct: %s, %v; want carol's UserSig", raw, err)
	}
	jwt := newSigEnv(t, sigOpts{auth: handler.Auth{Mode: handler.AuthJWT}})
	if r := invokeSigHTTP(t, jwt.h, withClaims(httpV2("POST", "/usersig", `{"Identifier":"bob"}`), adminToken)); r.Status != 200 || r.OK.UserID != "bob" {
		t.Errorf("jwt admin: %d %+v, want bob's UserSig, not the caller's own", r.Status, r.OK)
	}
}

// failingCreds is a credentials source whose secret cannot be read.
type failingCreds struct {
	err error
}

func (f failingCreds) Credentials(context.Context) (chat.Credentials, error) {
	return chat.Credentials{}, f.err
}

func (f failingCreds) Refresh(context.Context) (chat.Credentials, error) {
	return chat.Credentials{}, f.err
}

type tempErr struct{ error }

func (tempErr) Temporary() bool { return true }

// TestUserSigSecretUnreadable: the caller learns the class of the failure
// and the request ID, never the AWS error behind it; the log has it.
func TestUserSigSecretUnreadable(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-AbCdEf"
	tests := []struct {
		name   string
		err    error
		status int
		code   int
	}{
		{"access denied", errors.New("AccessDeniedException: " + arn), 502, chat.CodeBadRequestURL},
		{"throttled", tempErr{errors.New("ThrottlingException: " + arn)}, 503, chat.CodeServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, sigOpts{creds: failingCreds{tt.err}})
			r := invokeSigHTTP(t, e.h, httpV2("POST", "/usersig", `{"UserID":"alice"}`))
			if r.Status != tt.status || r.Err.RequestID != "req-1" {
				t.Errorf("reply %d %+v, want %d with the request ID", r.Status, r.Err, tt.status)
			}
			raw, err := invoke(t, e.h, []byte(`{"UserID":"alice"}`))
			env := decodeEnvelope(t, raw, err)
			if env.ErrorCode != tt.code {
				t.Errorf("direct envelope %+v, want code %d", env, tt.code)
			}
			if strings.Contains(r.Body+string(raw), "123456789012") {
				t.Errorf("a reply names the AWS account: %s / %s", r.Body, raw)
			}
			if !strings.Contains(e.logs.String(), arn) {
				t.Errorf("the log lacks the cause for the operator: %s", e.logs.String())
			}
		})
	}
}

// countingCreds counts the reads of a static credentials source.
type countingCreds struct {
	chatapi.StaticCredentials
	reads atomic.Int32
}

func (c *countingCreds) Credentials(ctx context.Context) (chat.Credentials, error) {
	c.reads.Add(1)
	return c.StaticCredentials.Credentials(ctx)
}

// TestUserSigWarm: warming up reads no credentials and logs nothing, and
// may run while requests are served (run with -race).
func TestUserSigWarm(t *testing.T) {
	creds := &countingCreds{StaticCredentials: chatapi.StaticCredentials{SDKAppID: 1400000000, Admin: "administrator", Key: testKey}}
	e := newSigEnv(t, sigOpts{creds: creds})
	e.h.Warm()
	if n := creds.reads.Load(); n != 0 || e.logs.String() != "" {
		t.Fatalf("Warm read the credentials %d times and logged %q", n, e.logs.String())
	}
	done := make(chan struct{})
	go func() { e.h.Warm(); close(done) }()
	raw, err := invoke(t, e.h, []byte(`{"UserID":"alice"}`))
	<-done
	var rep handler.UserSigReply
	if err != nil || json.Unmarshal(raw, &rep) != nil || e.emu.Login("alice", rep.UserSig) != nil {
		t.Fatalf("reply %s, %v", raw, err)
	}
	if n := creds.reads.Load(); n != 1 {
		t.Errorf("%d credential reads for one request", n)
	}
}

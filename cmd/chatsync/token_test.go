package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/internal/syncbuf"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// runToken runs chatsync token with args and returns its exit status,
// stdout and stderr. (Not runCLI: a token may hold any base64 text, which
// runCLI's leak check would take for a UserSig.)
func runToken(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncbuf.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := c.run(context.Background(), append([]string{"token"}, args...))
	return code, stdout.String(), stderr.String()
}

// token runs chatsync token with args and returns the token it printed.
func token(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runToken(t, args...)
	tok, ok := strings.CutSuffix(stdout, "\n")
	if code != exitOK || !ok || strings.Contains(tok, "\n") || stderr != "" {
		t.Fatalf("token %v: exit %d, stdout %q, stderr %q; want one line on stdout", args, code, stdout, stderr)
	}
	return tok
}

// TestToken: chatsync token prints one token that verifies with the key in
// its key file, with the claims its flags give.
func TestToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jwt.key")
	before := time.Now()
	tok := token(t, "-sub", "alice", "-groups", "chat-admins, staff", "-username", "Alice", "-ttl", "30m", "-key-file", file)
	key, err := local.LoadTokenKey(file)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := key.Verify(tok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := claims["exp"].(json.Number).Int64()
	if exp < before.Add(30*time.Minute).Unix() || exp > time.Now().Add(30*time.Minute).Unix() {
		t.Errorf("exp %d: not 30 minutes from now", exp)
	}
	groups, _ := json.Marshal(claims["cognito:groups"])
	if claims["sub"] != "alice" || claims["cognito:username"] != "Alice" || string(groups) != `["chat-admins","staff"]` ||
		claims["token_use"] != "id" || claims["iss"] != local.TokenIssuer {
		t.Errorf("claims %v", claims)
	}
	if _, err := key.Verify(tok, time.Now().Add(31*time.Minute)); err == nil {
		t.Error("the token verifies after its ttl")
	}
	// Without -groups and -username: no groups claim, the sub as username.
	claims, err = key.Verify(token(t, "-sub", "bob", "-key-file", file), time.Now())
	if _, has := claims["cognito:groups"]; err != nil || has || claims["cognito:username"] != "bob" {
		t.Errorf("claims %v, %v", claims, err)
	}
}

// TestTokenKeyFileDefault: with no -key-file the key is made once, mode
// 0600, in the user's configuration directory, and chatsync local in jwt
// mode verifies what chatsync token signs.
func TestTokenKeyFileDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir) // os.UserConfigDir on Linux
	t.Setenv("HOME", dir)            // and elsewhere
	want, err := local.DefaultTokenKeyFile()
	if err != nil || !strings.HasPrefix(want, dir) {
		t.Skipf("the configuration directory is not under the test's: %s %v", want, err)
	}
	tok := token(t, "-sub", "alice")
	info, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %04o, want 0600", want, info.Mode().Perm())
	}
	data, _ := os.ReadFile(want)
	token(t, "-sub", "bob")
	if again, _ := os.ReadFile(want); string(again) != string(data) {
		t.Error("a second run made another key")
	}
	base, stdout, stderr := startLocal(t, "-auth", "jwt")
	r := httpDo(t, "GET", base+"/usersig", "", tok)
	if r.status != 200 {
		t.Fatalf("GET /usersig with chatsync token's token: %d %s", r.status, r.body)
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, tok) || strings.Contains(out, strings.TrimSpace(string(data))) {
		t.Errorf("chatsync local prints the token or the key:\n%s", out)
	}
}

func TestTokenUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "-sub is required"},
		{[]string{"-sub", " "}, "-sub is required"},
		{[]string{"-sub", "alice", "-ttl", "0s"}, "-ttl"},
		{[]string{"-sub", "alice", "-ttl", "-1h"}, "-ttl"},
		{[]string{"-sub", "alice", "-groups", "chat admins"}, "no spaces"},
		{[]string{"-sub", "alice", "extra"}, `unexpected argument "extra"`},
	} {
		code, stdout, stderr := runToken(t, append(tt.args, "-key-file", filepath.Join(t.TempDir(), "k"))...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("token %v: exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
	code, stdout, _ := runToken(t, "-h")
	for _, want := range []string{"local development only", "JWT authorizer", "local-jwt.key", "0600", "-key-file"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("chatsync token -h lacks %q:\n%s", want, stdout)
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   string
}

// httpDo sends one request, with a JSON body when body is set and a bearer
// token when tok is.
func httpDo(t *testing.T, method, url, body, tok string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// TestLocalJWT: chatsync local -auth jwt verifies tokens from chatsync
// token with the same key file, and the handlers act on the token's
// caller.
func TestLocalJWT(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jwt.key")
	base, stdout, _ := startLocal(t, "-auth", "jwt", "-jwt-key-file", file)
	for _, want := range []string{"auth: jwt", "TOKEN=$(chatsync token -sub alice -key-file " + file + ")", `-H "Authorization: Bearer $TOKEN"`, "/accounts/me"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, stdout)
		}
	}
	alice := token(t, "-sub", "alice", "-key-file", file)
	admin := token(t, "-sub", "root", "-groups", handler.DefaultAdminGroup, "-key-file", file)
	if r := httpDo(t, "POST", base+"/accounts", `{"Nick":"Alice"}`, alice); r.status != 200 {
		t.Errorf("import self: %d %s", r.status, r.body)
	}
	if r := httpDo(t, "POST", base+"/accounts", `{"UserID":"bob"}`, alice); r.status != 403 {
		t.Errorf("import bob as alice: %d %s", r.status, r.body)
	}
	if r := httpDo(t, "POST", base+"/accounts", `{"UserID":"bob"}`, admin); r.status != 200 {
		t.Errorf("import bob as an admin: %d %s", r.status, r.body)
	}
	r := httpDo(t, "GET", base+"/usersig", "", alice)
	var rep handler.UserSigReply
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rep) != nil || rep.UserID != "alice" {
		t.Fatalf("GET /usersig: %d %s", r.status, r.body)
	}
	if s, _, err := usersig.Decode(rep.UserSig); err != nil || s.Identifier != "alice" {
		t.Errorf("the UserSig is not alice's: %+v %v", s, err)
	}
	if r := httpDo(t, "DELETE", base+"/accounts/me", "", alice); r.status != 200 || !strings.Contains(r.body, `"UserID":"alice","ResultCode":0`) {
		t.Errorf("DELETE /accounts/me: %d %s", r.status, r.body)
	}
	other := filepath.Join(t.TempDir(), "other.key")
	for name, tok := range map[string]string{"none": "", "another key's": token(t, "-sub", "alice", "-key-file", other)} {
		if r := httpDo(t, "DELETE", base+"/accounts/bob", "", tok); r.status != 401 || r.body != `{"message":"Unauthorized"}` {
			t.Errorf("%s token: %d %s", name, r.status, r.body)
		}
	}
}

// TestLocalAuthMode: -auth wins over HTTP_AUTH_MODE, which wins over the
// default, iam.
func TestLocalAuthMode(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jwt.key")
	for _, tt := range []struct {
		env  string
		args []string
		want string
	}{
		{"", nil, "iam"},
		{"jwt", nil, "jwt"},
		{"JWT", nil, "jwt"},
		{"jwt", []string{"-auth", "iam"}, "iam"},
		{"iam", []string{"-auth", "jwt"}, "jwt"},
		{"nonsense", []string{"-auth", "iam"}, "iam"},
	} {
		base, stdout, _ := startLocalEnv(t, map[string]string{"HTTP_AUTH_MODE": tt.env}, append(tt.args, "-jwt-key-file", file)...)
		if !strings.Contains(stdout.String(), "auth: "+tt.want+"\n") {
			t.Errorf("env %q, %v: banner:\n%s", tt.env, tt.args, stdout)
		}
		r := httpDo(t, "DELETE", base+"/accounts/x", "", "")
		if got := map[int]string{200: "iam", 401: "jwt"}[r.status]; got != tt.want {
			t.Errorf("env %q, %v: a request without a token: %d", tt.env, tt.args, r.status)
		}
	}
	for _, tt := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"-auth", "cognito"}, `-auth "cognito": want iam or jwt`},
		{"cognito", nil, `HTTP_AUTH_MODE "cognito": want iam or jwt`},
		{"", []string{"-cors-origins", "https://app.example.com/"}, "-cors-origins"},
	} {
		r := runCLI(t, runOpts{env: map[string]string{"HTTP_AUTH_MODE": tt.env}}, append([]string{"local", "-addr", "127.0.0.1:0"}, tt.args...)...)
		r.want(t, exitUsage, tt.want)
	}
}

// TestLocalGuard: chatsync local refuses a hostile page's requests and
// answers its -cors-origins' preflights.
func TestLocalGuard(t *testing.T) {
	base, stdout, _ := startLocal(t, "-cors-origins", "http://localhost:5173")
	if !strings.Contains(stdout.String(), "cors: http://localhost:5173\n") {
		t.Errorf("banner lacks the origins:\n%s", stdout)
	}
	port := base[strings.LastIndex(base, ":")+1:]
	form := httpDo(t, "POST", base+"/accounts", `{"UserID":"x"}`, "", "Content-Type", "text/plain")
	if form.status != 415 || !strings.Contains(form.body, `"code":"unsupported_media_type"`) {
		t.Errorf("a text/plain form post: %d %s", form.status, form.body)
	}
	if r := httpDo(t, "DELETE", base+"/accounts/x", "", "", "Origin", "https://evil.example"); r.status != 403 || !strings.Contains(r.body, `"code":"forbidden"`) {
		t.Errorf("a foreign Origin: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("DELETE", base+"/accounts/x", nil)
	req.Host = "evil.example:" + port
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 421 {
		t.Errorf("a foreign Host: %d", resp.StatusCode)
	}
	pre := httpDo(t, "OPTIONS", base+"/accounts", "", "", "Origin", "http://localhost:5173", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" || pre.header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
}

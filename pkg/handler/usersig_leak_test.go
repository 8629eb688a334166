package handler_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// TestUserSigNoSecretsLeak drives the UserSig function, with its secret in
// Secrets Manager (moto), through every path: the secret missing, malformed
// with the key inside, fine; every route and mode; granted, refused and
// failed requests. The key and every UserSig it issued must be absent from
// all log lines, function errors and non-200 replies; a UserSig may appear
// only in the 200 reply that carries it.
func TestUserSigNoSecretsLeak(t *testing.T) {
	sm, secret := secretMaker(t, "sigleak")
	scenarios := []struct {
		name     string
		secretID string
		issues   bool // some request gets a UserSig
	}{
		{"secret not found", "no-such-secret-" + moto.UniqueName(t, "x"), false},
		{"secret malformed with the key inside", secret(`{"sdkAppId":"not-a-number","secretKey":"` + testKey + `"}`), false},
		{"secret not JSON with the key inside", secret(`secretKey=` + testKey), false},
		{"good secret", secret(`{"sdkAppId":1400000000,"secretKey":"` + testKey + `","adminIdentifier":"administrator"}`), true},
	}
	jwtEv := func(method, body string, claims map[string]string) string {
		return string(mustJSON(t, withClaims(httpV2(method, "/usersig", body), claims)))
	}
	payloads := map[string][]string{
		"iam": {
			`{"UserID":"leak1"}`,
			`{"UserID":"administrator"}`,
			`{"UserID":""}`,
			`{"UserID":12}`,
			string(mustJSON(t, httpV2("POST", "/usersig", `{"UserID":"leak2"}`))),
			string(mustJSON(t, httpV2("POST", "/usersig", `{"UserID":"administrator"}`))),
			string(mustJSON(t, httpV2("GET", "/usersig", ""))),
			string(mustJSON(t, httpV1("POST", "/usersig", `{"UserID":"leak3"}`))),
		},
		"jwt": {
			jwtEv("GET", "", accessToken),
			jwtEv("POST", `{"UserID":"victim"}`, accessToken),
			jwtEv("POST", `{"UserID":"victim"}`, adminToken),
			jwtEv("POST", `{"UserID":"administrator"}`, adminToken),
			jwtEv("GET", "", nil),
		},
	}
	var (
		output strings.Builder // everything that must hold no secret
		sigs   []string        // every UserSig issued
	)
	for _, sc := range scenarios {
		logs := &logBuffer{}
		log := slog.New(slog.NewJSONHandler(logs, nil))
		src, err := secrets.NewSource(sm, secrets.Config{SecretID: sc.secretID, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		for mode, list := range payloads {
			h := handler.NewUserSigHandler(handler.UserSigConfig{Credentials: src, Auth: handler.Auth{Mode: mode}, Logger: log})
			for _, p := range list {
				out, err := invoke(t, h, []byte(p))
				if err != nil {
					output.WriteString(err.Error())
					continue
				}
				if sig := issuedSig(t, out); sig != "" {
					sigs = append(sigs, sig)
					continue
				}
				output.Write(out)
			}
		}
		output.WriteString(logs.String())
		failed := strings.Contains(logs.String(), "usersig failed")
		if failed == sc.issues {
			t.Errorf("%s: failures logged = %v, want %v:\n%s", sc.name, failed, !sc.issues, logs)
		}
	}
	if len(sigs) == 0 {
		t.Fatal("no UserSig was issued: the test checks nothing")
	}
	all := output.String()
	for _, f := range append([]string{testKey, "TLS.sig"}, sigs...) {
		if i := strings.Index(all, f); i >= 0 {
			t.Errorf("output leaks %.20q… near %q", f, all[max(0, i-80):min(len(all), i+80)])
		}
	}
	t.Logf("searched %d bytes of logs, errors and refusals for the key and %d UserSigs", len(all), len(sigs))
}

// issuedSig returns the UserSig of a reply that carries one (a direct reply
// or an HTTP 200), else "".
func issuedSig(t *testing.T, out []byte) string {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if json.Unmarshal(out, &resp) == nil && resp.StatusCode != 0 {
		if resp.StatusCode != 200 {
			return ""
		}
		out = []byte(resp.Body)
	}
	var rep handler.UserSigReply
	if json.Unmarshal(out, &rep) != nil {
		return ""
	}
	return rep.UserSig
}

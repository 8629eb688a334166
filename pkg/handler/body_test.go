package handler_test

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// TestBodyRefusals: bodies that cannot be taken as they are get Chat's own
// code and a message in the API's terms, and cost no Chat call.
func TestBodyRefusals(t *testing.T) {
	tests := []struct {
		name    string
		fn      string // "import" or "delete"
		payload string
		code    int
		msg     string // a substring of ErrorInfo
	}{
		{"invalid UTF-8 in a delete", "delete", "{\"DeleteItem\":[{\"UserID\":\"a\xff\"},{\"UserID\":\"a\xfe\"}]}", chat.CodeBadJSON, "not valid UTF-8"},
		{"invalid UTF-8 in an import", "import", "{\"UserID\":\"a\xff\"}", chat.CodeBadJSON, "not valid UTF-8"},
		{"unpaired high surrogate escape", "import", `{"UserID":"ab\ud800"}`, chat.CodeBadJSON, "surrogate"},
		{"lone low surrogate escape", "delete", `{"DeleteItem":[{"UserID":"\udc00"}]}`, chat.CodeBadJSON, "surrogate"},
		{"high surrogate before another escape", "import", `{"UserID":"a\uD800\u0041"}`, chat.CodeBadJSON, "surrogate"},
		{"control character", "import", `{"UserID":"a\u0007b"}`, chat.CodeInvalidParameter, "control character"},
		{"control character in a batch", "delete", `{"DeleteItem":[{"UserID":"ok"},{"UserID":"a\nb"}]}`, chat.CodeInvalidParameter, "item 1: UserID holds a control character"},
		{"UserID beyond ASCII", "import", `{"UserID":"caf\u00e9"}`, chat.CodeInvalidParameter, "printable ASCII"},
		{"UserID with a space in a batch", "import", `{"AccountList":[{"UserID":"ok"},{"UserID":"a b"}]}`, chat.CodeInvalidParameter, "printable ASCII"},
		{"UserID beyond ASCII in a delete", "delete", `{"DeleteItem":[{"UserID":"\u4e16"}]}`, chat.CodeInvalidParameter, "printable ASCII"},
		{"numeric UserID", "import", `{"UserID":5}`, chat.CodeBadAccountType, "UserID must be a string"},
		{"AccountList not a list", "import", `{"AccountList":{}}`, chat.CodeBadAccountType, "AccountList must be a list"},
		{"numeric UserID in a list", "delete", `{"DeleteItem":[{"UserID":7}]}`, chat.CodeBadAccountType, "UserID must be a string"},
		{"Identifier disagrees", "import", `{"UserID":"a","Identifier":"b"}`, chat.CodeInvalidParameter, "UserID and Identifier"},
		{"too many accounts", "import", `{"AccountList":[` + strings.Repeat(`{},`, 1000) + `{}]}`, chat.CodeBatchCount, "1001 accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			var h invoker = e.imp
			if tt.fn == "delete" {
				h = e.del
			}
			raw, err := invoke(t, h, []byte(tt.payload))
			env := decodeEnvelope(t, raw, err)
			if env.ActionStatus != chat.StatusFail || env.ErrorCode != tt.code || !strings.Contains(env.ErrorInfo, tt.msg) {
				t.Errorf("envelope %+v, want code %d with %q", env, tt.code, tt.msg)
			}
			if strings.Contains(env.ErrorInfo, "Go ") || strings.Contains(env.ErrorInfo, "importBody") || strings.Contains(env.ErrorInfo, "json:") {
				t.Errorf("ErrorInfo speaks Go: %q", env.ErrorInfo)
			}
			if n := e.emu.TotalRequests(); n != 0 {
				t.Errorf("%d Chat requests for a refused body", n)
			}
		})
	}
}

// TestIdentifierAlias: the older docs' field name is taken for UserID.
func TestIdentifierAlias(t *testing.T) {
	e := newEnv(t, envOpts{})
	raw, err := invoke(t, e.imp, []byte(`{"Identifier":"bob"}`))
	if env := decodeEnvelope(t, raw, err); env.ActionStatus != chat.StatusOK || !e.emu.Has("bob") {
		t.Fatalf("direct: envelope %+v, imported %v", env, e.emu.Has("bob"))
	}
	r := invokeHTTP(t, e.imp, mustJSON(t, httpV2("POST", "/accounts", `{"Identifier":"carol","UserID":"carol"}`)))
	if r.Status != 200 || !e.emu.Has("carol") {
		t.Fatalf("HTTP: %d %+v", r.Status, r.Err)
	}
}

// TestEscapesAccepted: escapes that name characters are decoded as JSON
// decodes them: a surrogate pair is one character, and an escaped
// backslash before "u" is a backslash.
func TestEscapesAccepted(t *testing.T) {
	e := newEnv(t, envOpts{})
	for payload, want := range map[string]chat.Account{
		`{"UserID":"smile","Nick":"smile\ud83d\ude00"}`: {UserID: "smile", Nick: "smile\U0001F600"},
		`{"UserID":"a\\ud800"}`:                         {UserID: `a\ud800`},
	} {
		raw, err := invoke(t, e.imp, []byte(payload))
		got, ok := e.emu.Account(want.UserID)
		if env := decodeEnvelope(t, raw, err); env.ActionStatus != chat.StatusOK || !ok || got != want {
			t.Errorf("%s: envelope %+v, imported %+v (%v), want %+v", payload, env, got, ok, want)
		}
	}
}

// TestLargeBodiesCostBoundedMemory: a payload of empty accounts is refused
// before it is decoded into accounts; what it allocates is bounded by its
// own size, not by the number of items in it.
func TestLargeBodiesCostBoundedMemory(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		code    int
		maxMB   uint64
	}{
		// Lambda accepts direct payloads up to 6 MB.
		{"6 MB direct payload", append(append([]byte(`{"AccountList":[`), bytes.Repeat([]byte(`{},`), 2_000_000)...), []byte(`{}]}`)...), chat.CodeBadJSON, 18},
		// Just under the 2 MiB body limit: about 700,000 items.
		{"2 MiB of items", append(append([]byte(`{"AccountList":[`), bytes.Repeat([]byte(`{},`), 699_000)...), []byte(`{}]}`)...), chat.CodeBatchCount, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			raw, err := invoke(t, e.imp, tt.payload)
			runtime.ReadMemStats(&after)
			env := decodeEnvelope(t, raw, err)
			if env.ErrorCode != tt.code {
				t.Errorf("envelope %+v, want code %d", env, tt.code)
			}
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > tt.maxMB {
				t.Errorf("allocated %d MB for a %d-byte payload, want at most %d MB", mb, len(tt.payload), tt.maxMB)
			} else {
				t.Logf("allocated %d MB for a %d-byte payload", mb, len(tt.payload))
			}
			if n := e.emu.TotalRequests(); n != 0 {
				t.Errorf("%d Chat requests", n)
			}
		})
	}
}

// TestOKEnvelopeEncoding: the prebuilt OK reply is what encoding the
// envelope gives.
func TestOKEnvelopeEncoding(t *testing.T) {
	e := newEnv(t, envOpts{})
	raw, err := invoke(t, e.imp, []byte(`{"UserID":"ok"}`))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(chat.Envelope{ActionStatus: chat.StatusOK})
	if string(raw) != string(want) {
		t.Errorf("reply %s, want %s", raw, want)
	}
}

package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

func TestClassify(t *testing.T) {
	tests := map[chat.Class][]int{
		chat.ClassNone:          {0},
		chat.ClassTransient:     {70169, 70202, 70500, 60013, 60014, 30006, 30007, 30008, 40006, 60008},
		chat.ClassRateLimited:   {60007, 60011, 60018, 60019},
		chat.ClassSignature:     {70001, 70052},
		chat.ClassCredentials:   {70003, 70005, 70009},
		chat.ClassCaller:        {70402, 40601, 40005, 70206, 60003, 60015},
		chat.ClassConfiguration: {60002, 60004, 60005, 60006, 60009, 60010, 60012, 60016, 60017, 60020, 60021, 70013, 70014, 70016, 70020, 70050, 70051, 70398, 70403, 71000, 12345, -1},
	}
	for class, codes := range tests {
		for _, code := range codes {
			if got := chat.Classify(code); got != class {
				t.Errorf("Classify(%d) = %s, want %s", code, got, class)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		a    chat.Account
		code int
	}{
		{chat.Account{UserID: "a"}, 0},
		{chat.Account{UserID: strings.Repeat("x", 32), Nick: strings.Repeat("n", 500), FaceURL: strings.Repeat("f", 500)}, 0},
		{chat.Account{UserID: "user@example.com"}, 0}, // punctuation: accepted, outside Tencent's recommendation
		{chat.Account{UserID: "!~"}, 0},               // 0x21 and 0x7e, the ends of printable ASCII
		{chat.Account{UserID: "世界"}, 70402},           // cannot log in
		{chat.Account{UserID: "a b"}, 70402},
		{chat.Account{UserID: "caf\u00e9"}, 70402},
		{chat.Account{UserID: "a\x7f"}, 70402},
		{chat.Account{}, 70402},
		{chat.Account{UserID: strings.Repeat("x", 33)}, 70402},
		{chat.Account{UserID: strings.Repeat("界", 11)}, 70402}, // 33 bytes
		{chat.Account{UserID: "\xc3"}, 70402},
		{chat.Account{UserID: "a", Nick: strings.Repeat("n", 501)}, 40601},
		{chat.Account{UserID: "a", FaceURL: strings.Repeat("f", 501)}, 40601},
		{chat.Account{UserID: "a", Nick: "\xff"}, 70402},
	}
	for _, tt := range tests {
		err := tt.a.Validate()
		if chat.ErrorCode(err) != tt.code {
			t.Errorf("Validate(%.40q) = %v, want code %d", tt.a.UserID, err, tt.code)
		}
		if err != nil && chat.ErrorClass(err) != chat.ClassCaller {
			t.Errorf("class %s, want caller", chat.ErrorClass(err))
		}
	}
	// The account API's own rule, which the emulator serves, still takes
	// what only the SDK login refuses.
	for id, code := range map[string]int{"世界": 0, "a b": 0, "": 70402, "a\x01": 70402, strings.Repeat("x", 33): 70402} {
		if got := chat.ErrorCode(chat.ValidateAPIUserID(id)); got != code {
			t.Errorf("ValidateAPIUserID(%q) code %d, want %d", id, got, code)
		}
	}
	if err := chat.ValidateUserID("ab\u00e9"); err == nil || !strings.Contains(err.Error(), "printable ASCII") || !strings.Contains(err.Error(), "byte 2") {
		t.Errorf("ValidateUserID: %v, want the reason with the offending byte", err)
	}
	for n, code := range map[int]int{0: 70206, 1: 0, 1000: 0, 1001: 70206} {
		if got := chat.ErrorCode(chat.ValidateBatchSize(n)); got != code {
			t.Errorf("ValidateBatchSize(%d) code %d, want %d", n, got, code)
		}
	}
}

func TestEnvelopes(t *testing.T) {
	partial := chat.ImportResult{Requested: 2, FailAccounts: []string{"b"}}
	if env := partial.Envelope(); env.ActionStatus != "OK" || len(env.FailAccounts) != 1 {
		t.Errorf("partial import: %+v", env)
	}
	cause := &chat.Error{Command: chat.CmdMultiImport, Code: 70500, Class: chat.ClassTransient, Info: "down"}
	all := chat.ImportResult{Requested: 1, FailAccounts: []string{"a"}, Errs: []error{cause}}
	if env := all.Envelope(); env.ActionStatus != "FAIL" || env.ErrorCode != 70500 {
		t.Errorf("failed import: %+v", env)
	}
	b, _ := json.Marshal(chat.ImportResult{Requested: 1}.Envelope())
	if string(b) != `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","FailAccounts":[]}` {
		t.Errorf("batch envelope JSON %s: FailAccounts must be present", b)
	}
	del := chat.DeleteResult{Items: []chat.ResultItem{{UserID: "a", ResultCode: 70107}, {UserID: "b", ResultCode: 70500}}}
	if env := del.Envelope(); env.ActionStatus != "OK" || len(del.Failed()) != 1 || del.Failed()[0] != "b" {
		t.Errorf("delete: %+v, failed %v", env, del.Failed())
	}
	b, _ = json.Marshal(chat.Envelope{ActionStatus: "OK"})
	if string(b) != `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}` {
		t.Errorf("single envelope JSON %s", b)
	}
}

func TestCredentialsNeverPrintTheKey(t *testing.T) {
	c := chat.Credentials{SDKAppID: 1400000000, Admin: "administrator", Key: "very-secret-key"}
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("x", "creds", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), log.String()} {
		if strings.Contains(s, "very-secret-key") {
			t.Errorf("the key leaks: %s", s)
		}
	}
}

func TestDecodePendingImport(t *testing.T) {
	p, err := chat.DecodePendingImport([]byte(`{"version":1,"account":{"UserID":"dave"},"userPoolId":"p","userName":"u","reason":"r","firstFailedAt":"2026-11-23T10:00:00Z","future":1}`))
	if err != nil || p.Account.UserID != "dave" || p.FirstFailedAt.Year() != 2026 {
		t.Errorf("%+v, %v", p, err)
	}
	for _, bad := range []string{`{"version":2,"account":{"UserID":"d"}}`, `{"account":{"UserID":"d"}}`, `nope`} {
		if _, err := chat.DecodePendingImport([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestMappingUsernameUUID(t *testing.T) {
	m := chat.Mapping{UserIDAttribute: "username"}
	_, _, err := m.Account("4f8e2b1c-0000-4000-8000-123456789abc", map[string]string{"sub": "4f8e2b1c-0000-4000-8000-123456789abc"})
	if err == nil || !strings.Contains(err.Error(), "USER_ID_ATTRIBUTE=sub") {
		t.Errorf("a UUID username: err %v, want a hint to map the sub", err)
	}
	if chat.ErrorCode(err) != chat.CodeInvalidParameter {
		t.Errorf("code %d, want %d", chat.ErrorCode(err), chat.CodeInvalidParameter)
	}
	// A username the Chat SDK could not log in is unmappable, with the reason.
	if _, _, err := m.Account("jos\u00e9", nil); err == nil || !strings.Contains(err.Error(), "printable ASCII") {
		t.Errorf("a username beyond ASCII: err %v, want refused with the reason", err)
	}
	a, _, err := m.Account("jdoe", nil)
	if err != nil || a.UserID != "jdoe" {
		t.Errorf("a plain username: %+v %v", a, err)
	}
}

// TestKickEach: every account is kicked once, no more than n at a time,
// and each result comes back in the place of its UserID.
func TestKickEach(t *testing.T) {
	var inFlight, most atomic.Int32
	kick := func(_ context.Context, id string) (chat.Stats, error) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		defer inFlight.Add(-1)
		time.Sleep(time.Millisecond)
		if id == "bad" {
			return chat.Stats{Calls: 1, Attempts: 3}, errors.New("refused")
		}
		return chat.Stats{Calls: 1, Attempts: 1}, nil
	}
	ids := []string{"a", "b", "bad", "c", "d", "e", "f", "g"}
	stats, errs := chat.KickEach(context.Background(), kick, ids, 3)
	for i, id := range ids {
		wantErr, wantAttempts := id == "bad", 1
		if wantErr {
			wantAttempts = 3
		}
		if (errs[i] != nil) != wantErr || stats[i].Attempts != wantAttempts {
			t.Errorf("%s: %+v, %v", id, stats[i], errs[i])
		}
	}
	if m := most.Load(); m > 3 || m < 1 {
		t.Errorf("%d kicks in flight at most, want 1 to 3", m)
	}
}

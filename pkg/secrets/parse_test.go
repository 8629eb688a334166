package secrets_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// testKey is the secret that must never show up in an error or a log.
const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

func TestParse(t *testing.T) {
	t.Parallel()
	want := func(app uint64, admin string) chat.Credentials {
		return chat.Credentials{SDKAppID: app, Admin: admin, Key: testKey}
	}
	tests := []struct {
		name  string
		value string
		want  chat.Credentials
	}{
		{"number", `{"sdkAppId": 1400000000, "secretKey": "` + testKey + `", "adminIdentifier": "administrator"}`, want(1400000000, "administrator")},
		{"string", `{"sdkAppId": "1400000001", "secretKey": "` + testKey + `"}`, want(1400000001, secrets.DefaultAdmin)},
		{"string with spaces", `{"sdkAppId": " 1400000002 ", "secretKey": "` + testKey + `"}`, want(1400000002, secrets.DefaultAdmin)},
		{"admin absent", `{"sdkAppId": 1, "secretKey": "` + testKey + `"}`, want(1, "administrator")},
		{"admin null", `{"sdkAppId": 1, "secretKey": "` + testKey + `", "adminIdentifier": null}`, want(1, "administrator")},
		{"admin empty", `{"sdkAppId": 1, "secretKey": "` + testKey + `", "adminIdentifier": ""}`, want(1, "administrator")},
		{"admin set", `{"sdkAppId": 1, "secretKey": "` + testKey + `", "adminIdentifier": "ops_admin"}`, want(1, "ops_admin")},
		{"unknown fields and spacing", "\n {\"note\": {\"x\": [1]}, \"sdkAppId\": 18446744073709551615,\n\"secretKey\": \"" + testKey + "\", \"region\": \"singapore\"} \n", want(18446744073709551615, "administrator")},
		{"key kept as given", `{"sdkAppId": 1, "secretKey": " spaced key "}`, chat.Credentials{SDKAppID: 1, Admin: "administrator", Key: " spaced key "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.Parse([]byte(tt.value))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	k := `"secretKey": "` + testKey + `"`
	tests := []struct {
		name, value, code string
	}{
		{"empty", "", secrets.CodeNotJSON},
		{"spaces", "  \n", secrets.CodeNotJSON},
		{"bare key", testKey, secrets.CodeNotJSON},
		{"JSON string", `"` + testKey + `"`, secrets.CodeNotJSON},
		{"array", `[1400000000, "` + testKey + `"]`, secrets.CodeNotJSON},
		{"truncated", `{"sdkAppId": 1, ` + k, secrets.CodeNotJSON},
		{"unquoted key", `{"sdkAppId": 1, "secretKey": ` + testKey + `}`, secrets.CodeNotJSON},
		{"key=value text", `sdkAppId=1 secretKey=` + testKey, secrets.CodeNotJSON},
		{"no sdkAppId", `{` + k + `}`, secrets.CodeFieldMissing},
		{"null sdkAppId", `{"sdkAppId": null, ` + k + `}`, secrets.CodeFieldMissing},
		{"no secretKey", `{"sdkAppId": 1400000000}`, secrets.CodeFieldMissing},
		{"null secretKey", `{"sdkAppId": 1400000000, "secretKey": null}`, secrets.CodeFieldMissing},
		{"empty secretKey", `{"sdkAppId": 1400000000, "secretKey": ""}`, secrets.CodeFieldMissing},
		{"numeric secretKey", `{"sdkAppId": 1400000000, "secretKey": 12345}`, secrets.CodeFieldInvalid},
		{"sdkAppId holds the key", `{"sdkAppId": "` + testKey + `", ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId empty string", `{"sdkAppId": "", ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId zero", `{"sdkAppId": 0, ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId negative", `{"sdkAppId": -1400000000, ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId fraction", `{"sdkAppId": 1400000000.5, ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId exponent", `{"sdkAppId": 1.4e9, ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId signed string", `{"sdkAppId": "+1400000000", ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId overflow", `{"sdkAppId": 18446744073709551616, ` + k + `}`, secrets.CodeFieldInvalid},
		{"sdkAppId bool", `{"sdkAppId": true, ` + k + `}`, secrets.CodeFieldInvalid},
		{"admin number", `{"sdkAppId": 1, ` + k + `, "adminIdentifier": 7}`, secrets.CodeFieldInvalid},
		{"admin too long", `{"sdkAppId": 1, ` + k + `, "adminIdentifier": "` + testKey[:33] + `"}`, secrets.CodeFieldInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.Parse([]byte(tt.value))
			if err == nil {
				t.Fatalf("Parse = %v, want an error", got)
			}
			if got != (chat.Credentials{}) {
				t.Errorf("credentials returned with the error: %v", got)
			}
			var e *secrets.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("error %v: code %q, want %q", err, secrets.ErrorCode(err), tt.code)
			}
			assertNoKey(t, err)
		})
	}
}

// assertNoKey fails t if any 6-byte piece of testKey appears in err however
// it is printed. (A JSON syntax error quoting one character is not enough
// to catch; the messages quote none at all, which TestParseErrors checks
// with the exact texts below.)
func assertNoKey(t *testing.T, err error) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for i := 0; i+6 <= len(testKey); i++ {
			if strings.Contains(text, testKey[i:i+6]) {
				t.Fatalf("error text carries part of the key (%q): %s", testKey[i:i+6], text)
			}
		}
	}
}

func TestParseErrorMessages(t *testing.T) {
	t.Parallel()
	_, err := secrets.Parse([]byte(`{"sdkAppId": 1, "secretKey": Xsecret}`))
	if got, want := err.Error(), "chat secret: the secret value is not valid JSON (syntax error near byte 30)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if strings.Contains(err.Error(), "'X'") {
		t.Errorf("the syntax error quotes the input: %v", err)
	}
	_, err = secrets.Parse([]byte(`{"sdkAppId": "12a", "secretKey": "k"}`))
	if got, want := err.Error(), "chat secret: sdkAppId in the secret is not a positive integer (a JSON number or a string of digits)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

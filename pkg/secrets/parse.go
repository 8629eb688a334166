package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// DefaultAdmin is the admin identifier used when the secret has no
// adminIdentifier.
const DefaultAdmin = "administrator"

// Parse decodes a SecretString of the form
//
//	{"sdkAppId": 1400000000, "secretKey": "...", "adminIdentifier": "administrator"}
//
// sdkAppId may be a JSON number or a string of decimal digits, and must be
// positive; secretKey must be a non-empty string, used exactly as given;
// adminIdentifier is optional (an absent, null or empty value means
// DefaultAdmin) and must be a valid Chat UserID. Other fields are ignored.
// A failure is an *Error with an empty SecretID whose text never includes
// any of value.
func Parse(value []byte) (chat.Credentials, error) {
	fail := func(code, format string, args ...any) (chat.Credentials, error) {
		return chat.Credentials{}, &Error{Code: code, Message: fmt.Sprintf(format, args...)}
	}
	trimmed := bytes.TrimSpace(value)
	if len(trimmed) == 0 {
		return fail(CodeNotJSON, "the secret value is empty; it must be a JSON object with sdkAppId and secretKey")
	}
	if trimmed[0] != '{' {
		return fail(CodeNotJSON, "the secret value is not a JSON object; it must look like {\"sdkAppId\": ..., \"secretKey\": ...}")
	}
	var doc struct {
		SDKAppID json.RawMessage `json:"sdkAppId"`
		Key      json.RawMessage `json:"secretKey"`
		Admin    json.RawMessage `json:"adminIdentifier"`
	}
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		// Never wrap err itself: a *json.SyntaxError quotes a character of
		// the input.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fail(CodeNotJSON, "the secret value is not valid JSON (syntax error near byte %d)", syn.Offset)
		}
		return fail(CodeNotJSON, "the secret value is not valid JSON")
	}

	var creds chat.Credentials
	switch raw := doc.SDKAppID; {
	case isNull(raw):
		return fail(CodeFieldMissing, "the secret has no sdkAppId")
	default:
		id, ok := parseAppID(raw)
		if !ok {
			return fail(CodeFieldInvalid, "sdkAppId in the secret is not a positive integer (a JSON number or a string of digits)")
		}
		creds.SDKAppID = id
	}

	if isNull(doc.Key) {
		return fail(CodeFieldMissing, "the secret has no secretKey")
	}
	if err := json.Unmarshal(doc.Key, &creds.Key); err != nil {
		return fail(CodeFieldInvalid, "secretKey in the secret is not a string")
	}
	if creds.Key == "" {
		return fail(CodeFieldMissing, "secretKey in the secret is empty")
	}

	creds.Admin = DefaultAdmin
	if !isNull(doc.Admin) {
		var admin string
		if err := json.Unmarshal(doc.Admin, &admin); err != nil {
			return fail(CodeFieldInvalid, "adminIdentifier in the secret is not a string")
		}
		if admin != "" {
			creds.Admin = admin
		}
	}
	if chat.ValidateUserID(creds.Admin) != nil {
		return fail(CodeFieldInvalid, "adminIdentifier in the secret is not a valid Chat UserID (1 to %d bytes of UTF-8)", chat.MaxUserIDBytes)
	}
	if err := creds.Validate(); err != nil { // cannot happen after the checks above
		return fail(CodeFieldInvalid, "the secret's credentials are incomplete")
	}
	return creds, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// parseAppID reads a positive integer from a JSON number or a JSON string
// of decimal digits (surrounding spaces allowed).
func parseAppID(raw json.RawMessage) (uint64, bool) {
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, false
		}
		text = strings.TrimSpace(text)
	}
	for _, c := range []byte(text) { // digits only: 1e9, 1.0 and -1 are refused
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseUint(text, 10, 64)
	return id, err == nil && id > 0
}

package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// MaxBodyBytes caps a request body: an API Gateway body (after base64
// decoding) and a direct invocation's payload alike. With at most
// chat.MaxBatch accounts decoded from it, a body costs a bounded amount of
// memory whatever it holds.
const MaxBodyBytes = 2 << 20

// decodeBody decodes a request body into v, in the API's own terms: the
// error is a *chat.Error with the code Chat itself would answer, and its
// message names the JSON field, never a Go type. The body must be valid
// UTF-8 and name only characters in its \u escapes (encoding/json would
// silently replace invalid bytes, or an unpaired UTF-16 surrogate, with
// U+FFFD, turning different UserIDs into one nobody sent) and be at most
// MaxBodyBytes; lists of accounts are counted before anything is decoded
// into them.
func decodeBody(body []byte, v any) error {
	switch {
	case len(body) > MaxBodyBytes:
		return chat.Errorf(chat.CodeBadJSON, "the request body is %d bytes, over the %d-byte limit", len(body), MaxBodyBytes)
	case !utf8.Valid(body):
		return chat.Errorf(chat.CodeBadJSON, "the request body is not valid UTF-8")
	case unpairedSurrogate(body):
		return chat.Errorf(chat.CodeBadJSON, `the request body has a \u escape of half a UTF-16 surrogate pair, which is no character`)
	}
	err := json.Unmarshal(body, v)
	var (
		ce     *chat.Error
		typeEr *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &typeEr):
		return chat.Errorf(chat.CodeBadAccountType, "%s", jsonProblem(err))
	default:
		return chat.Errorf(chat.CodeBadJSON, "the request body %s", jsonProblem(err))
	}
}

// unpairedSurrogate reports whether the JSON text b has a \u escape of a
// UTF-16 surrogate (U+D800 to U+DFFF) that is not half of a pair: a high
// half followed at once by an escaped low half. Escapes encoding/json
// would refuse anyway are left to it.
func unpairedSurrogate(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j
		// The backslash at i starts an escape unless an odd run of
		// backslashes comes before it ("\\u" is a backslash, then u).
		run := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			run++
		}
		if run%2 == 1 {
			i += 2
			continue
		}
		switch r := escapeAt(b, i); {
		case r >= 0xD800 && r <= 0xDBFF:
			if lo := escapeAt(b, i+6); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 12
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		default:
			i += 2
		}
	}
}

// escapeAt returns the code unit of the \uXXXX escape at b[i:], or -1.
func escapeAt(b []byte, i int) int {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return -1
	}
	r := 0
	for _, c := range b[i+2 : i+6] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | int(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | int(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// jsonProblem says what is wrong with a JSON document that did not decode,
// in JSON's terms, never Go's.
func jsonProblem(err error) string {
	var (
		typeEr *json.UnmarshalTypeError
		syntax *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeEr):
		return fmt.Sprintf("%s must be %s", fieldName(typeEr.Field), jsonKind(typeEr.Type))
	case errors.As(err, &syntax):
		return fmt.Sprintf("is not valid JSON (at byte %d)", syntax.Offset)
	}
	return "is not a JSON object"
}

// fieldName is the JSON path of a field that did not decode. The decoder
// names the path through Go's structs, embedded ones included (such as
// "userIDField.UserID"); the API's fields all start with a capital, so a
// segment that does not is a Go name and is left out.
func fieldName(f string) string {
	var parts []string
	for _, p := range strings.Split(f, ".") {
		if p != "" && p[0] >= 'A' && p[0] <= 'Z' {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "the request body"
	}
	return strings.Join(parts, ".")
}

// jsonKind names a Go type as JSON calls it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

// accountList is an AccountList, counted before it is decoded.
type accountList []chat.Account

func (l *accountList) UnmarshalJSON(b []byte) error {
	if err := checkCount(b); err != nil {
		return err
	}
	return json.Unmarshal(b, (*[]chat.Account)(l))
}

// userItems is a DeleteItem list, counted before it is decoded.
type userItems []chat.UserItem

func (l *userItems) UnmarshalJSON(b []byte) error {
	if err := checkCount(b); err != nil {
		return err
	}
	return json.Unmarshal(b, (*[]chat.UserItem)(l))
}

// checkCount refuses a JSON array of more than chat.MaxBatch elements
// before any of them is decoded.
func checkCount(b []byte) error {
	if n := countElements(b); n > chat.MaxBatch {
		return chat.Errorf(chat.CodeBatchCount, "%d accounts in one request, at most %d allowed", n, chat.MaxBatch)
	}
	return nil
}

// countElements counts the top-level elements of a JSON array that
// encoding/json has already checked, without decoding any of them. It
// returns 0 for anything but an array.
func countElements(b []byte) int {
	depth, n := 0, 0
	inString, escaped, empty := false, false, true
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth == 1 {
				continue
			}
		case c == ']' || c == '}':
			depth--
			continue
		case c == ',' && depth == 1:
			n++
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		if depth >= 1 {
			empty = false
		}
	}
	if empty {
		return 0
	}
	return n + 1
}

// userIDField is a body's UserID, with Identifier, the older docs' name
// of the same field, accepted on input.
type userIDField struct {
	UserID     *string `json:"UserID"`
	Identifier *string `json:"Identifier"`
}

// resolveAlias makes Identifier stand for UserID when UserID is absent; when
// both are given they must agree.
func (f *userIDField) resolveAlias() error {
	switch {
	case f.Identifier == nil:
	case f.UserID == nil:
		f.UserID = f.Identifier
	case *f.UserID != *f.Identifier:
		return errIdentifierMismatch
	}
	return nil
}

// errIdentifierMismatch refuses a body whose UserID and Identifier differ.
var errIdentifierMismatch = chat.Errorf(chat.CodeInvalidParameter, "UserID and Identifier name different accounts: give one")

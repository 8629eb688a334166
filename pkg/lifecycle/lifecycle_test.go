package lifecycle_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
)

const (
	pool  = "us-east-1_EXAMPLE"
	subA  = "0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7e"
	subB  = "5d2e8b7c-1f4a-4e6d-a3b9-c8f0e1d2a3b4"
	subC  = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	other = "us-east-1_OTHER"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixtures parses every events/cloudtrail-*.json file and checks what
// it says, and what the functions do with it in the default setup
// (USER_ID_ATTRIBUTE=sub, the stack's pool us-east-1_EXAMPLE).
func TestFixtures(t *testing.T) {
	tests := map[string]struct {
		want     lifecycle.Event
		decision lifecycle.Decision
	}{
		"cloudtrail-admin-delete-user.json": {
			lifecycle.Event{Action: lifecycle.Delete, Name: "AdminDeleteUser", UserPoolID: pool, Sub: subA, Username: "alice"},
			lifecycle.Decision{Verdict: lifecycle.Act, UserID: "0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e"},
		},
		"cloudtrail-delete-user.json": {
			lifecycle.Event{Action: lifecycle.Delete, Name: "DeleteUser", Sub: subB},
			lifecycle.Decision{Verdict: lifecycle.Act, UserID: "5d2e8b7c1f4a4e6da3b9c8f0e1d2a3b4"},
		},
		"cloudtrail-admin-create-user.json": {
			lifecycle.Event{Action: lifecycle.Create, Name: "AdminCreateUser", UserPoolID: pool, Sub: subC, Username: "carol"},
			lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: subC, Username: "carol"}},
		},
		"cloudtrail-admin-create-user-wrapped.json": {
			lifecycle.Event{Action: lifecycle.Create, Name: "AdminCreateUser", UserPoolID: pool, StackPoolID: pool, Sub: subC, Username: "carol"},
			lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: subC, Username: "carol"}},
		},
		"cloudtrail-admin-update-user-attributes.json": {
			lifecycle.Event{Action: lifecycle.Update, Name: "AdminUpdateUserAttributes", UserPoolID: pool, Sub: subA, Username: "alice"},
			lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: subA, Username: "alice"}},
		},
		"cloudtrail-update-user-attributes.json": {
			lifecycle.Event{Action: lifecycle.Update, Name: "UpdateUserAttributes", Sub: subB},
			lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: subB}},
		},
		"cloudtrail-admin-delete-user-hidden.json": {
			lifecycle.Event{Action: lifecycle.Delete, Name: "AdminDeleteUser", UserPoolID: pool, Sub: subA, Hidden: []string{"username"}},
			lifecycle.Decision{Verdict: lifecycle.Act, UserID: "0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e"},
		},
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "cloudtrail-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := tests[filepath.Base(f)]; !ok {
			t.Errorf("events/%s is not checked by this test: add it", filepath.Base(f))
		}
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			payload := fixture(t, name)
			if !lifecycle.Is(payload) {
				t.Fatal("Is = false")
			}
			ev, err := lifecycle.Parse(payload)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.ID == "" || ev.TrailEventID == "" || ev.Region != "us-east-1" || !ev.Time.Equal(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) {
				t.Errorf("id %q, CloudTrail id %q, region %q, time %v: incomplete", ev.ID, ev.TrailEventID, ev.Region, ev.Time)
			}
			got := ev
			got.ID, got.TrailEventID, got.Region, got.Time = "", "", "", time.Time{}
			if !equalEvents(got, tt.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
			if d := lifecycle.Decide(ev, ev.StackPool(pool), "sub"); d != tt.decision {
				t.Errorf("Decide = %+v, want %+v", d, tt.decision)
			}
		})
	}
}

func equalEvents(a, b lifecycle.Event) bool {
	return slices.Equal(a.Hidden, b.Hidden) && reflect.DeepEqual(withoutHidden(a), withoutHidden(b))
}

func withoutHidden(e lifecycle.Event) lifecycle.Event {
	e.Hidden = nil
	return e
}

// event returns an AdminDeleteUser event (or another call, by name) with
// detail fields replaced or removed: a nil value removes the field.
func event(t *testing.T, name string, edit map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, "cloudtrail-admin-delete-user.json"), &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["eventName"] = name
	for path, v := range edit {
		m, key := d, path
		if parent, child, ok := strings.Cut(path, "."); ok {
			m, key = d[parent].(map[string]any), child
		}
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wrap(pool string, event []byte) []byte {
	b, _ := json.Marshal(map[string]any{"userPoolId": pool, "event": json.RawMessage(event)})
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		check   func(t *testing.T, ev lifecycle.Event)
	}{
		{"username hidden", event(t, "AdminDeleteUser", map[string]any{"requestParameters.username": lifecycle.HiddenValue}), func(t *testing.T, ev lifecycle.Event) {
			if ev.Username != "" || !slices.Equal(ev.Hidden, []string{"username"}) {
				t.Errorf("username %q, hidden %v", ev.Username, ev.Hidden)
			}
		}},
		{"hidden with the guide's spelling", event(t, "AdminDeleteUser", map[string]any{"requestParameters.username": "HIDDEN_FOR_SECURITY_REASONS"}), func(t *testing.T, ev lifecycle.Event) {
			if ev.Username != "" || !slices.Equal(ev.Hidden, []string{"username"}) {
				t.Errorf("username %q, hidden %v", ev.Username, ev.Hidden)
			}
		}},
		{"sub hidden", event(t, "AdminDeleteUser", map[string]any{"additionalEventData.sub": lifecycle.HiddenValue}), func(t *testing.T, ev lifecycle.Event) {
			if ev.Sub != "" || !slices.Equal(ev.Hidden, []string{"sub"}) {
				t.Errorf("sub %q, hidden %v", ev.Sub, ev.Hidden)
			}
		}},
		{"requestParameters hidden whole", event(t, "AdminDeleteUser", map[string]any{"requestParameters": lifecycle.HiddenValue}), func(t *testing.T, ev lifecycle.Event) {
			if ev.UserPoolID != "" || ev.Username != "" || !slices.Equal(ev.Hidden, []string{"requestParameters"}) {
				t.Errorf("pool %q, username %q, hidden %v", ev.UserPoolID, ev.Username, ev.Hidden)
			}
		}},
		{"no additionalEventData", event(t, "AdminDeleteUser", map[string]any{"additionalEventData": nil}), func(t *testing.T, ev lifecycle.Event) {
			if ev.Sub != "" || ev.Username != "alice" {
				t.Errorf("sub %q, username %q", ev.Sub, ev.Username)
			}
		}},
		{"null requestParameters", event(t, "AdminDeleteUser", map[string]any{"requestParameters": json.RawMessage("null")}), func(t *testing.T, ev lifecycle.Event) {
			if ev.UserPoolID != "" || ev.Username != "" || len(ev.Hidden) != 0 {
				t.Errorf("%+v", ev)
			}
		}},
		{"failed call", event(t, "AdminDeleteUser", map[string]any{"errorCode": "UserNotFoundException", "errorMessage": "User does not exist."}), func(t *testing.T, ev lifecycle.Event) {
			if ev.ErrorCode != "UserNotFoundException" {
				t.Errorf("ErrorCode = %q", ev.ErrorCode)
			}
		}},
		{"empty errorCode is success", event(t, "AdminDeleteUser", map[string]any{"errorCode": ""}), func(t *testing.T, ev lifecycle.Event) {
			if ev.ErrorCode != "" {
				t.Errorf("ErrorCode = %q", ev.ErrorCode)
			}
		}},
		{"no eventTime: the envelope's time", event(t, "AdminDeleteUser", map[string]any{"eventTime": nil}), func(t *testing.T, ev lifecycle.Event) {
			if !ev.Time.Equal(time.Date(2026, 11, 30, 12, 0, 1, 0, time.UTC)) {
				t.Errorf("Time = %v", ev.Time)
			}
		}},
		{"unknown fields ignored", event(t, "AdminDeleteUser", map[string]any{"someFutureField": map[string]any{"x": 1}}), func(t *testing.T, ev lifecycle.Event) {
			if ev.Sub != subA {
				t.Errorf("Sub = %q", ev.Sub)
			}
		}},
		{"wrapped", wrap(pool, event(t, "UpdateUserAttributes", nil)), func(t *testing.T, ev lifecycle.Event) {
			if ev.StackPoolID != pool || ev.Action != lifecycle.Update || !ev.AccessToken() {
				t.Errorf("%+v", ev)
			}
		}},
		{"wrapped with an empty pool", wrap("", event(t, "AdminDeleteUser", nil)), func(t *testing.T, ev lifecycle.Event) {
			if ev.StackPoolID != "" || ev.StackPool("") != "" || ev.StackPool(pool) != pool {
				t.Errorf("%+v", ev)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !lifecycle.Is(tt.payload) {
				t.Error("Is = false")
			}
			ev, err := lifecycle.Parse(tt.payload)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, ev)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		is      bool   // what Is answers
		target  error  // the error wrapped, if any
		msg     string // a part of the message
	}{
		{"empty", []byte(""), false, lifecycle.ErrNotLifecycle, "not a JSON object"},
		{"a string", []byte(`"AWS API Call via CloudTrail aws.cognito-idp"`), false, lifecycle.ErrNotLifecycle, "not a JSON object"},
		{"an array", []byte(`[{"source":"aws.cognito-idp"}]`), false, lifecycle.ErrNotLifecycle, "not a JSON object"},
		{"empty object", []byte(`{}`), false, lifecycle.ErrNotLifecycle, "detail-type"},
		{"broken JSON", []byte(`{"source":"aws.cognito-idp",`), false, lifecycle.ErrNotLifecycle, "does not parse"},
		{"Cognito trigger", fixture(t, "cognito-signup.json"), false, lifecycle.ErrNotLifecycle, ""},
		{"direct import", []byte(`{"UserID":"aws.cognito-idp"}`), false, lifecycle.ErrNotLifecycle, ""},
		{"another service", []byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com","eventName":"DeleteBucket"}}`), false, lifecycle.ErrNotLifecycle, `"aws.s3"`},
		{"another detail-type", []byte(`{"detail-type":"AWS Console Signin via CloudTrail","source":"aws.cognito-idp","detail":{}}`), false, lifecycle.ErrNotLifecycle, "Console Signin"},
		{"another eventSource", []byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.cognito-idp","detail":{"eventSource":"cognito-identity.amazonaws.com","eventName":"DeleteIdentities"}}`), true, lifecycle.ErrNotLifecycle, "cognito-identity"},
		{"unfollowed call", event(t, "AdminDisableUser", nil), true, lifecycle.ErrUnsupported, `"AdminDisableUser"`},
		{"no eventName", event(t, "", nil), true, lifecycle.ErrUnsupported, `""`},
		{"no detail", []byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.cognito-idp"}`), true, nil, "detail is missing"},
		{"detail not an object", []byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.cognito-idp","detail":[1]}`), true, nil, "detail is not a JSON object"},
		{"username a number", event(t, "AdminDeleteUser", map[string]any{"requestParameters.username": 42}), true, nil, "detail.requestParameters.username has the wrong JSON type (number)"},
		{"sub an object", event(t, "AdminDeleteUser", map[string]any{"additionalEventData.sub": map[string]any{}}), true, nil, "detail.additionalEventData.sub has the wrong JSON type (object)"},
		{"eventName a number", event(t, "AdminDeleteUser", map[string]any{"eventName": 7}), true, nil, "detail.eventName has the wrong JSON type"},
		{"requestParameters a string", event(t, "AdminDeleteUser", map[string]any{"requestParameters": "alice"}), true, nil, "detail.requestParameters has the wrong JSON type (string"},
		{"detail-type a number", []byte(`{"detail-type":1,"source":"aws.cognito-idp"}`), false, nil, "detail-type has the wrong JSON type"},
		{"wrapper pool a number", []byte(`{"userPoolId":1,"event":` + string(fixture(t, "cloudtrail-delete-user.json")) + `}`), true, nil, "userPoolId has the wrong JSON type (number)"},
		{"wrapper around nothing", []byte(`{"userPoolId":"us-east-1_EXAMPLE","event":"aws.cognito-idp"}`), false, nil, "event is not a JSON object"},
		{"wrapper in a wrapper", wrap(pool, wrap(pool, fixture(t, "cloudtrail-delete-user.json"))), false, lifecycle.ErrNotLifecycle, "wrapper inside a wrapper"},
		{"too large", append(append([]byte(`{"source":"aws.cognito-idp","pad":"`), make([]byte, lifecycle.MaxPayload)...), `"}`...), false, lifecycle.ErrNotLifecycle, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lifecycle.Is(tt.payload); got != tt.is {
				t.Errorf("Is = %v, want %v", got, tt.is)
			}
			_, err := lifecycle.Parse(tt.payload)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("error %q does not wrap %q", err, tt.target)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			for _, goType := range []string{"map[", "[]", "*string", "json.RawMessage", "lifecycle."} {
				if strings.Contains(err.Error(), goType) {
					t.Errorf("error names a Go type (%s): %v", goType, err)
				}
			}
			if len(err.Error()) > 300 {
				t.Errorf("error of %d bytes: %.80s…", len(err.Error()), err)
			}
		})
	}
}

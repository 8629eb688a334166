// Package lifecycle reads the Amazon Cognito user pool API calls that AWS
// CloudTrail delivers to Amazon EventBridge ("AWS API Call via CloudTrail"
// events) and decides what the Chat account functions do with each: delete
// the account of a deleted user, import an admin-created user, re-import a
// user whose attributes changed, or leave the event alone and say why.
//
// Cognito has no trigger for these changes; its API calls reach EventBridge
// only when the account has a CloudTrail trail recording management events,
// and delivery is best effort. Cognito hides some fields of these records
// (a username may read HIDDEN_DUE_TO_SECURITY_REASONS): a hidden or missing
// field is treated as absent, and an event that names no one is refused,
// never guessed at.
//
// The package is pure: it decodes bytes and returns decisions, and calls
// nothing. The functions that act on a Decision read users from Cognito and
// call Chat.
package lifecycle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Values that mark an event as a Cognito user pool API call delivered by
// CloudTrail.
const (
	DetailType  = "AWS API Call via CloudTrail" // the envelope's detail-type
	Source      = "aws.cognito-idp"             // the envelope's source
	EventSource = "cognito-idp.amazonaws.com"   // detail.eventSource
)

// The Cognito API calls the functions follow (detail.eventName).
const (
	AdminDeleteUser           = "AdminDeleteUser"
	DeleteUser                = "DeleteUser" // made with the user's access token: names no pool
	AdminCreateUser           = "AdminCreateUser"
	AdminUpdateUserAttributes = "AdminUpdateUserAttributes"
	UpdateUserAttributes      = "UpdateUserAttributes" // made with the user's access token: names no pool
)

// HiddenValue is what Cognito writes in place of a field it keeps out of
// CloudTrail. AWS's Cognito guide spells it HIDDEN_FOR_SECURITY_REASONS;
// that spelling is treated as hidden too.
const HiddenValue = "HIDDEN_DUE_TO_SECURITY_REASONS"

const hiddenValueAlt = "HIDDEN_FOR_SECURITY_REASONS"

// MaxPayload bounds the payload Parse reads. EventBridge events are at most
// 256 KB; the input transformer's wrapper adds a few bytes.
const MaxPayload = 1 << 20

// Action is what a followed API call did to the user.
type Action int

// The actions of the followed calls.
const (
	Delete Action = iota + 1 // AdminDeleteUser, DeleteUser
	Create                   // AdminCreateUser
	Update                   // AdminUpdateUserAttributes, UpdateUserAttributes
)

var actionNames = [...]string{Delete: "delete", Create: "create", Update: "update"}

// String returns the action's name as it appears in logs.
func (a Action) String() string {
	if a <= 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("action(%d)", int(a))
	}
	return actionNames[a]
}

var actions = map[string]Action{
	AdminDeleteUser:           Delete,
	DeleteUser:                Delete,
	AdminCreateUser:           Create,
	AdminUpdateUserAttributes: Update,
	UpdateUserAttributes:      Update,
}

// EventNames returns the followed API calls, for an EventBridge rule's
// detail.eventName filter.
func EventNames() []string {
	return []string{AdminDeleteUser, DeleteUser, AdminCreateUser, AdminUpdateUserAttributes, UpdateUserAttributes}
}

// ActionOf returns the action of the API call name, and whether it is one
// the functions follow.
func ActionOf(name string) (Action, bool) {
	a, ok := actions[name]
	return a, ok
}

// Errors Parse wraps. A payload that is no such event at all is
// ErrNotLifecycle; a Cognito API call the functions do not follow is
// ErrUnsupported; both can never succeed and are acknowledged, not retried.
var (
	ErrNotLifecycle = errors.New("not a Cognito API call delivered by CloudTrail")
	ErrUnsupported  = errors.New("a Cognito API call the functions do not follow")
)

// Event is one followed Cognito API call. Fields the record leaves out, or
// that Cognito hid, are empty; Hidden names the hidden ones.
type Event struct {
	Action Action
	Name   string // detail.eventName, such as "AdminDeleteUser"

	ID           string    // the EventBridge event's id
	TrailEventID string    // detail.eventID, CloudTrail's own
	Time         time.Time // detail.eventTime, else the envelope's time; zero when neither parses
	Region       string    // detail.awsRegion, else the envelope's region

	UserPoolID  string // detail.requestParameters.userPoolId: empty for calls made with an access token
	StackPoolID string // userPoolId of the stack's input-transformer wrapper, when the event came wrapped
	Sub         string // detail.additionalEventData.sub
	Username    string // detail.requestParameters.username

	Hidden    []string // fields Cognito hid, such as "username"
	ErrorCode string   // detail.errorCode: set when the call failed, and then nothing changed
}

// AccessToken reports whether the call is one a user makes with their own
// access token (DeleteUser, UpdateUserAttributes). Such calls name no pool.
func (e Event) AccessToken() bool { return e.Name == DeleteUser || e.Name == UpdateUserAttributes }

// StackPool returns the user pool the stack serves: userPoolIDEnv (the
// USER_POOL_ID variable) when set, else the pool the stack's wrapper
// carried.
func (e Event) StackPool(userPoolIDEnv string) string {
	if userPoolIDEnv != "" {
		return userPoolIDEnv
	}
	return e.StackPoolID
}

// LogValue describes the event for a log line.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("eventName", e.Name),
		slog.String("action", e.Action.String()),
		slog.String("eventId", e.ID),
		slog.String("cloudTrailEventId", e.TrailEventID),
	}
	if !e.Time.IsZero() {
		attrs = append(attrs, slog.Time("eventTime", e.Time))
	}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("userPoolId", e.UserPoolID)
	add("stackPoolId", e.StackPoolID)
	add("sub", e.Sub)
	add("username", e.Username)
	add("errorCode", e.ErrorCode)
	if len(e.Hidden) > 0 {
		attrs = append(attrs, slog.Any("hidden", e.Hidden))
	}
	return slog.GroupValue(attrs...)
}

// envelope is an EventBridge event, or the stack's wrapper around one.
type envelope struct {
	ID         string          `json:"id"`
	DetailType *string         `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Detail     json.RawMessage `json:"detail"`

	// The wrapper's fields: {"userPoolId": "...", "event": {...}}.
	UserPoolID json.RawMessage `json:"userPoolId"`
	Event      json.RawMessage `json:"event"`
}

// detail is the CloudTrail record.
type detail struct {
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	EventTime           string          `json:"eventTime"`
	EventID             string          `json:"eventID"`
	AWSRegion           string          `json:"awsRegion"`
	ErrorCode           string          `json:"errorCode"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
}

// Is reports whether payload is a Cognito API call delivered by CloudTrail,
// bare or in the stack's wrapper, without decoding the rest of it. Parse
// decodes it; it may still refuse an API call the functions do not follow
// (ErrUnsupported), which a handler logs and acknowledges.
func Is(payload []byte) bool {
	if len(payload) > MaxPayload || !bytes.Contains(payload, []byte(Source)) {
		return false
	}
	var p struct {
		DetailType string `json:"detail-type"`
		Source     string `json:"source"`
		Event      *struct {
			DetailType string `json:"detail-type"`
			Source     string `json:"source"`
		} `json:"event"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return false
	}
	if p.DetailType == "" && p.Event != nil {
		return p.Event.DetailType == DetailType && p.Event.Source == Source
	}
	return p.DetailType == DetailType && p.Source == Source
}

// Parse decodes a followed Cognito API call from an EventBridge event, or
// from the stack's input-transformer wrapper {"userPoolId": "<the stack's
// pool>", "event": <the EventBridge event>}. Its errors wrap
// ErrNotLifecycle or ErrUnsupported, or say which field is malformed.
func Parse(payload []byte) (Event, error) {
	if len(payload) > MaxPayload {
		return Event{}, fmt.Errorf("%w: payload of %d bytes, at most %d read", ErrNotLifecycle, len(payload), MaxPayload)
	}
	var env envelope
	if err := decode(payload, &env, ""); err != nil {
		return Event{}, err
	}
	var ev Event
	if env.DetailType == nil && env.Event != nil {
		pool, hidden, err := str(env.UserPoolID, "userPoolId")
		if err != nil {
			return Event{}, err
		}
		if hidden {
			return Event{}, fmt.Errorf("lifecycle event: the wrapper's userPoolId is hidden")
		}
		ev.StackPoolID = pool
		inner := env.Event
		env = envelope{}
		if err := decode(inner, &env, "event"); err != nil {
			return Event{}, err
		}
		if env.DetailType == nil && env.Event != nil {
			return Event{}, fmt.Errorf("%w: a wrapper inside a wrapper", ErrNotLifecycle)
		}
	}
	if env.DetailType == nil || *env.DetailType != DetailType || env.Source != Source {
		return Event{}, fmt.Errorf("%w: detail-type %s, source %s", ErrNotLifecycle, quote(deref(env.DetailType)), quote(env.Source))
	}
	var d detail
	if err := decode(env.Detail, &d, "detail"); err != nil {
		return Event{}, err
	}
	if d.EventSource != EventSource {
		return Event{}, fmt.Errorf("%w: detail.eventSource %s", ErrNotLifecycle, quote(d.EventSource))
	}
	action, ok := actions[d.EventName]
	if !ok {
		return Event{}, fmt.Errorf("%w: %s", ErrUnsupported, quote(d.EventName))
	}
	ev.Action, ev.Name = action, d.EventName
	ev.ID, ev.TrailEventID, ev.ErrorCode = env.ID, d.EventID, d.ErrorCode
	ev.Region = d.AWSRegion
	if ev.Region == "" {
		ev.Region = env.Region
	}
	ev.Time = parseTime(d.EventTime)
	if ev.Time.IsZero() {
		ev.Time = parseTime(env.Time)
	}

	params, err := object(d.RequestParameters, "detail.requestParameters", &ev.Hidden)
	if err != nil {
		return Event{}, err
	}
	extra, err := object(d.AdditionalEventData, "detail.additionalEventData", &ev.Hidden)
	if err != nil {
		return Event{}, err
	}
	fields := []struct {
		from  map[string]json.RawMessage
		key   string
		path  string
		value *string
	}{
		{params, "userPoolId", "detail.requestParameters.userPoolId", &ev.UserPoolID},
		{params, "username", "detail.requestParameters.username", &ev.Username},
		{extra, "sub", "detail.additionalEventData.sub", &ev.Sub},
	}
	for _, f := range fields {
		v, hidden, err := str(f.from[f.key], f.path)
		if err != nil {
			return Event{}, err
		}
		if hidden {
			ev.Hidden = append(ev.Hidden, f.key)
			continue
		}
		*f.value = v
	}
	return ev, nil
}

// decode unmarshals the JSON object raw into v. path names raw in errors;
// the payload itself has none, and anything but an object there is no event
// at all.
func decode(raw json.RawMessage, v any, path string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		if path == "" {
			return fmt.Errorf("%w: the payload is not a JSON object", ErrNotLifecycle)
		}
		if len(raw) == 0 || string(raw) == "null" {
			return fmt.Errorf("lifecycle event: %s is missing", path)
		}
		return fmt.Errorf("lifecycle event: %s is not a JSON object", path)
	}
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return fmt.Errorf("lifecycle event: %s has the wrong JSON type (%s)", join(path, te.Field), te.Value)
	case path == "":
		return fmt.Errorf("%w: the payload does not parse as JSON", ErrNotLifecycle)
	default:
		return fmt.Errorf("lifecycle event: %s does not parse as JSON", path)
	}
}

// object decodes an optional JSON object field. Absent or null gives nil; a
// field Cognito hid whole is recorded in hidden and gives nil.
func object(raw json.RawMessage, path string, hidden *[]string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		v, isHidden, err := str(raw, path)
		if err != nil {
			return nil, err
		}
		if !isHidden {
			return nil, fmt.Errorf("lifecycle event: %s has the wrong JSON type (string %s)", path, quote(v))
		}
		*hidden = append(*hidden, path[strings.LastIndexByte(path, '.')+1:])
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := decode(raw, &m, path); err != nil {
		return nil, err
	}
	return m, nil
}

// str decodes an optional JSON string field: absent or null gives "", and a
// value Cognito hid gives "" and hidden.
func str(raw json.RawMessage, path string) (v string, hidden bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", false, fmt.Errorf("lifecycle event: %s has the wrong JSON type (%s)", path, jsonType(raw[0]))
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, fmt.Errorf("lifecycle event: %s does not parse as JSON", path)
	}
	if v == HiddenValue || v == hiddenValueAlt {
		return "", true, nil
	}
	return v, false, nil
}

func jsonType(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	default:
		return "number"
	}
}

func join(path, field string) string {
	switch {
	case path == "":
		return field
	case field == "":
		return path
	}
	return path + "." + field
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// quote quotes a value taken from the event for an error message, cut to
// 64 bytes so that a hostile payload cannot bloat a log line.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

package handler

import (
	"bytes"
	"encoding/json"
	"errors"
)

// kind is the sort of Lambda event a payload is.
type kind int

const (
	kindUnknown kind = iota
	kindCognito
	kindHTTPv2
	kindHTTPv1
	kindSQS
	kindImport      // {"UserID", "Nick"?, "FaceUrl"?}
	kindBatchImport // {"AccountList": [...]}
	kindDelete      // {"DeleteItem": [...]}
	kindLifecycle   // a Cognito API call from CloudTrail on EventBridge, bare or in the stack's wrapper
)

// ErrUnknownEvent is the function error for a payload that is no event the
// function accepts. It costs no Chat call. The error each handler returns
// wraps it with what that function does accept.
var ErrUnknownEvent = errors.New("unrecognized event")

var (
	errUnknownImportEvent = &EventError{Msg: "unrecognized event: want a Cognito post-confirmation trigger, an API Gateway request, an SQS retry-queue batch, a Cognito lifecycle event from EventBridge, or an account_import or multiaccount_import body", unknown: true}
	errUnknownDeleteEvent = &EventError{Msg: "unrecognized event: want an API Gateway request, a Cognito lifecycle event from EventBridge (directly or through its SQS queue), or an account_delete body", unknown: true}
)

// EventError is a function error for a payload the function cannot take:
// no event it accepts, or one that does not decode. It costs no Chat call.
// Lambda reports it with errorType "EventError".
type EventError struct {
	Msg     string
	unknown bool
}

func (e *EventError) Error() string { return e.Msg }

// Is makes an unrecognized payload's error match ErrUnknownEvent.
func (e *EventError) Is(target error) bool { return e.unknown && target == ErrUnknownEvent }

// eventError is the function error of an event that does not decode.
func eventError(what string, err error) error {
	return &EventError{Msg: "invalid " + what + ": " + jsonProblem(err)}
}

// probe holds the top-level fields that tell events apart.
type probe struct {
	TriggerSource  *string         `json:"triggerSource"`
	UserPoolID     *string         `json:"userPoolId"`
	Version        string          `json:"version"`
	RouteKey       *string         `json:"routeKey"`
	RawPath        *string         `json:"rawPath"`
	HTTPMethod     *string         `json:"httpMethod"`
	RequestContext json.RawMessage `json:"requestContext"`
	Records        []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	DetailType  *string         `json:"detail-type"`
	Event       json.RawMessage `json:"event"` // the stack's lifecycle wrapper: {"userPoolId","event"}
	UserID      json.RawMessage `json:"UserID"`
	Identifier  json.RawMessage `json:"Identifier"`
	AccountList json.RawMessage `json:"AccountList"`
	DeleteItem  json.RawMessage `json:"DeleteItem"`
}

// classify tells which event payload is. A payload that is not a JSON
// object is unknown.
func classify(payload []byte) kind {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return kindUnknown
	}
	var p probe
	if err := json.Unmarshal(trimmed, &p); err != nil {
		return kindUnknown
	}
	switch {
	case p.TriggerSource != nil && p.UserPoolID != nil:
		return kindCognito
	case p.DetailType != nil || (p.Event != nil && p.UserPoolID != nil):
		return kindLifecycle
	case p.RequestContext != nil && p.Version == "2.0" && (p.RawPath != nil || p.RouteKey != nil):
		return kindHTTPv2
	case p.RequestContext != nil && p.HTTPMethod != nil:
		return kindHTTPv1
	case len(p.Records) > 0 && p.Records[0].EventSource == "aws:sqs":
		return kindSQS
	case p.AccountList != nil:
		return kindBatchImport
	case p.DeleteItem != nil:
		return kindDelete
	case p.UserID != nil || p.Identifier != nil:
		return kindImport
	}
	return kindUnknown
}

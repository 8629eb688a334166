package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
)

// ErrUnknownEvent is the function error for a payload that is no event the
// function accepts. It costs no Chat call. The error each handler returns
// wraps it with what that function does accept.
var ErrUnknownEvent = errors.New("unrecognized event")

var (
	errUnknownImportEvent = fmt.Errorf("%w: want a Cognito post-confirmation trigger, an API Gateway request, an SQS retry-queue batch, or an account_import or multiaccount_import body", ErrUnknownEvent)
	errUnknownDeleteEvent = fmt.Errorf("%w: want an API Gateway request or an account_delete body", ErrUnknownEvent)
)

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

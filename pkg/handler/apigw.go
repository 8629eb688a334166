package handler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// groupsClaim is the token claim that lists the user's Cognito groups.
const groupsClaim = "cognito:groups"

// request is an API Gateway request of either payload version, reduced to
// what the handlers route and authorize on.
type request struct {
	v2        bool
	method    string
	path      string // without a named stage's prefix
	body      []byte
	pathUser  *string           // pathParameters.userId, when the route names it (decoded once, by API Gateway)
	claims    map[string]string // JWT claims, when a JWT authorizer ran
	groups    []string          // the cognito:groups claim's group names
	callerARN string            // IAM caller, when the IAM authorizer ran
	bodyErr   *httpError        // the body could not be taken
	noStore   bool              // every reply carries Cache-Control: no-store
}

// parseHTTP decodes an API Gateway event of the given kind.
func parseHTTP(payload []byte, k kind) (*request, error) {
	r := &request{v2: k == kindHTTPv2}
	var raw string
	var b64 bool
	if r.v2 {
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, eventError("HTTP API event", err)
		}
		r.method = e.RequestContext.HTTP.Method
		r.path = stripStage(e.RawPath, e.RequestContext.Stage)
		if r.path == "" {
			r.path = e.RequestContext.HTTP.Path
		}
		raw, b64 = e.Body, e.IsBase64Encoded
		r.setPathUser(e.PathParameters)
		if a := e.RequestContext.Authorizer; a != nil {
			if a.JWT != nil {
				r.claims = a.JWT.Claims
				if g, ok := r.claims[groupsClaim]; ok {
					r.groups = parseGroups(g, true)
				}
			}
			if a.IAM != nil {
				r.callerARN = a.IAM.UserARN
			}
		}
	} else {
		var e events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, eventError("REST API event", err)
		}
		r.method = e.HTTPMethod
		r.path = stripStage(e.Path, e.RequestContext.Stage)
		raw, b64 = e.Body, e.IsBase64Encoded
		r.setPathUser(e.PathParameters)
		r.callerARN = e.RequestContext.Identity.UserArn
		if c, ok := e.RequestContext.Authorizer["claims"].(map[string]any); ok {
			r.claims = make(map[string]string, len(c))
			for k, v := range c {
				r.claims[k] = fmt.Sprint(v)
			}
			r.groups = parseGroups(c[groupsClaim], false)
		}
	}
	r.method = strings.ToUpper(r.method)
	r.body, r.bodyErr = takeBody(raw, b64)
	return r, nil
}

func (r *request) setPathUser(params map[string]string) {
	if id, ok := params["userId"]; ok {
		r.pathUser = &id
	}
}

// pathUserID returns the UserID of DELETE /accounts/{userId} whose last path
// segment is seg. When the route names the parameter, API Gateway has
// decoded it once and that value is the UserID. Behind a catch-all route
// ($default, a proxy resource) the segment is taken as it stands, and one
// that holds a percent sign is refused: whether API Gateway already decoded
// it cannot be told, and decoding it a second time would act on an account
// nobody named (/accounts/a%2541 would become "aA").
func (r *request) pathUserID(seg string) (string, *httpError) {
	if r.pathUser != nil {
		return *r.pathUser, nil
	}
	if strings.Contains(seg, "%") {
		return "", &httpError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "the UserID in the path holds a percent sign: name it in a POST /accounts/delete body instead", ChatCode: chat.CodeInvalidParameter}
	}
	return seg, nil
}

// stripStage removes a named stage's prefix from a path: HTTP APIs put it in
// rawPath, and REST APIs behind some custom domains in path.
func stripStage(path, stage string) string {
	if stage != "" && stage != "$default" {
		prefix := "/" + stage
		if path == prefix {
			return "/"
		}
		if strings.HasPrefix(path, prefix+"/") {
			path = path[len(prefix):]
		}
	}
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	return path
}

func takeBody(raw string, b64 bool) ([]byte, *httpError) {
	if !b64 {
		if len(raw) > MaxBodyBytes {
			return nil, errBodyTooLarge
		}
		return []byte(raw), nil
	}
	if base64.StdEncoding.DecodedLen(len(raw)) > MaxBodyBytes+3 {
		return nil, errBodyTooLarge
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, &httpError{Status: http.StatusBadRequest, Code: "invalid_body", Message: "the body is marked base64 but does not decode"}
	}
	if len(b) > MaxBodyBytes {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// httpError is an HTTP reply that is not a Chat envelope.
type httpError struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	ChatCode  int    `json:"chatCode,omitempty"`
	RequestID string `json:"requestId,omitempty"` // on 5xx: where the details are in the log
	allow     string
}

func (e *httpError) Error() string { return e.Message }

var errBodyTooLarge = &httpError{Status: http.StatusBadRequest, Code: "body_too_large", Message: fmt.Sprintf("the request body is over %d bytes", MaxBodyBytes)}

func notFound(path string) *httpError {
	return &httpError{Status: http.StatusNotFound, Code: "not_found", Message: "no route for " + path}
}

func methodNotAllowed(allow ...string) *httpError {
	a := strings.Join(allow, ", ")
	return &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "allowed: " + a, allow: a}
}

// reply encodes an HTTP reply in the event's payload version.
func (r *request) reply(status int, body any, allow string) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	b = append(b, '\n') // so that curl's output does not run into the prompt
	headers := map[string]string{"Content-Type": "application/json"}
	if allow != "" {
		headers["Allow"] = allow
	}
	if r.noStore {
		headers["Cache-Control"] = "no-store"
	}
	if r.v2 {
		return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: string(b)})
	}
	return json.Marshal(events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: string(b)})
}

// replyError encodes e as {"error": {...}}.
func (r *request) replyError(e *httpError) ([]byte, error) {
	return r.reply(e.Status, struct {
		Error *httpError `json:"error"`
	}{e}, e.allow)
}

// refuse logs an API Gateway request refused before any Chat call and
// replies with he.
func (iv *invocation) refuse(r *request, out outcome, he *httpError) ([]byte, error) {
	out.status, out.warn = he.Status, true
	if out.err == nil {
		out.err = errors.New(he.Message)
	}
	iv.logOutcome(iv.op+" refused", out)
	return r.replyError(he)
}

// caller identifies an API Gateway request's caller (see Auth.caller) and
// notes an IAM caller's ARN in out.
func (iv *invocation) caller(r *request, out *outcome) (*caller, *httpError) {
	who, he := iv.auth.caller(r)
	if he == nil && who.arn != "" {
		out.extra = append(out.extra, slog.String("caller", who.arn))
	}
	return who, he
}

// httpError maps a failed operation to its reply (see httpErrorFor); a
// server-side failure carries the request ID, where the log has the details.
func (iv *invocation) httpError(err error) *httpError {
	he := httpErrorFor(err)
	if lc, ok := lambdacontext.FromContext(iv.ctx); ok && he.Status >= http.StatusInternalServerError {
		he.RequestID = lc.AwsRequestID
	}
	return he
}

// serve runs an authorized API Gateway request within API Gateway's
// timeout, logs its outcome and replies: 200 with the Chat envelope, or the
// failure's status and error body.
func (iv *invocation) serve(r *request, out outcome, run func(context.Context) result) ([]byte, error) {
	ctx, cancel := withDeadline(iv.ctx, iv.start, APIGatewayTimeout, iv.answerMargin)
	defer cancel()
	res := run(ctx)
	iv.countResult(res)
	res.out.extra = append(res.out.extra, out.extra...)
	res.out.event = "http"
	if res.fail {
		he := iv.httpError(res.err)
		res.out.status = he.Status
		iv.logOutcome(iv.op+" failed", res.out)
		return r.replyError(he)
	}
	res.out.status = http.StatusOK
	iv.logOutcome(iv.op+" done", res.out)
	return r.reply(http.StatusOK, res.env, "")
}

package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// DefaultIntegrationTimeout is the HTTP API routes' TimeoutInMillis in
// template.yaml.
const DefaultIntegrationTimeout = 29 * time.Second

// MaxRequestBody is how much of a request body a Gateway reads: one byte
// more than the handlers take, so that they see an oversized body and
// answer it with their own 400.
const MaxRequestBody = handler.MaxBodyBytes + 1

// A Gateway is an http.Handler that plays API Gateway's HTTP API for the
// functions, as `sam local start-api` does: it routes each request with
// RouteOf, turns it into a payload 2.0 event with NewEvent, runs it through
// the function with Invoke, and writes the function's status, headers and
// body back. A function error answers 500 {"message":"Internal Server
// Error"}, as API Gateway does.
type Gateway struct {
	Import  Function // ImportFunction
	Delete  Function // DeleteFunction
	UserSig Function // UserSigFunction; nil: its routes answer 404 as API Gateway does without them

	// Caller is the IAM identity in every event; DefaultCaller when its ARN
	// is empty. Unused with Tokens.
	Caller Caller
	// Tokens, when set, plays the JWT authorizer of HTTP_AUTH_MODE=jwt: a
	// request needs Authorization: Bearer TOKEN, a local token that
	// verifies with this key (else 401 {"message":"Unauthorized"}, before
	// any function runs), and its event carries the token's claims in
	// requestContext.authorizer.jwt as API Gateway puts them.
	Tokens *TokenKey
	// Timeout bounds each invocation; DefaultIntegrationTimeout when 0.
	Timeout time.Duration
	// Logger, when set, gets one line per request.
	Logger *slog.Logger
	// Now is the clock for the events' request time; time.Now when nil.
	Now func() time.Time
}

// ServeHTTP answers one request through the function that owns its route.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	now := start
	if g.Now != nil {
		now = g.Now()
	}
	// API Gateway names every request in this header, the ones it refuses
	// itself too; the event carries the same ID.
	gatewayID := newGatewayRequestID()
	w.Header().Set("Apigw-Requestid", gatewayID)
	var claims map[string]string
	if g.Tokens != nil {
		var err error
		if claims, err = g.authorize(r, now); err != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeMessage(w, http.StatusUnauthorized, "Unauthorized")
			logRequest(g.Logger, r, Route{}, http.StatusUnauthorized, start, "", nil, slog.String("refused", err.Error()))
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "could not read the request body")
		logRequest(g.Logger, r, Route{}, http.StatusBadRequest, start, "", err)
		return
	}
	route := RouteOf(r.Method, r.URL.EscapedPath())
	fn := g.Import
	switch route.Function {
	case "DeleteFunction":
		fn = g.Delete
	case "UserSigFunction":
		if g.UserSig == nil {
			writeMessage(w, http.StatusNotFound, "Not Found")
			logRequest(g.Logger, r, Route{}, http.StatusNotFound, start, "", nil)
			return
		}
		fn = g.UserSig
	}
	caller := g.Caller
	if caller.ARN == "" {
		caller = DefaultCaller
	}
	ev := NewEvent(r, body, route, caller, now)
	ev.RequestContext.RequestID = gatewayID
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		logRequest(g.Logger, r, route, http.StatusInternalServerError, start, "", err)
		return
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = DefaultIntegrationTimeout
	}
	reply, requestID, err := Invoke(r.Context(), fn, route.Function, timeout, payload)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		logRequest(g.Logger, r, route, http.StatusInternalServerError, start, requestID, err)
		return
	}
	status, err := writeReply(w, reply)
	logRequest(g.Logger, r, route, status, start, requestID, err)
}

// authorize verifies the request's bearer token at now and returns its
// claims as API Gateway's JWT authorizer passes them (see gatewayClaims).
func (g *Gateway) authorize(r *http.Request, now time.Time) (map[string]string, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errors.New("no bearer token")
	}
	claims, err := g.Tokens.Verify(strings.TrimSpace(token), now)
	if err != nil {
		return nil, err
	}
	return gatewayClaims(claims), nil
}

// gatewayClaims turns a token's claims into the strings an HTTP API's JWT
// authorizer gives the function: numbers and booleans as their JSON text, a
// list as its items inside brackets separated by spaces (cognito:groups
// ["a","b"] becomes "[a b]"), an object as its JSON.
func gatewayClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return out
}

func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			items[i] = claimString(item)
		}
		return "[" + strings.Join(items, " ") + "]"
	}
	b, _ := json.Marshal(v) // numbers (json.Number), booleans, objects, null
	return string(b)
}

// writeReply writes a function's reply under the payload 2.0 rules: an
// object with a statusCode is a response; anything else is a 200 JSON body.
func writeReply(w http.ResponseWriter, reply []byte) (int, error) {
	var probe struct {
		StatusCode *int `json:"statusCode"`
	}
	if json.Unmarshal(reply, &probe) != nil || probe.StatusCode == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(reply)
		return http.StatusOK, nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(reply, &resp); err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return http.StatusInternalServerError, err
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return http.StatusInternalServerError, errors.New("the function's body is marked base64 but does not decode")
		}
		body = b
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	status := resp.StatusCode
	if status < 100 || status > 599 {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return http.StatusInternalServerError, errors.New("the function answered an invalid status code")
	}
	w.WriteHeader(status)
	w.Write(body)
	return status, nil
}

// writeMessage writes API Gateway's own kind of error: {"message":"..."}.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// logRequest writes one request's line to l, when set: at LevelError with
// err when it failed.
func logRequest(l *slog.Logger, r *http.Request, route Route, status int, start time.Time, requestID string, err error, extra ...slog.Attr) {
	if l == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()),
		slog.Int("status", status),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
	if route.Function != "" {
		attrs = append(attrs, slog.String("function", route.Function), slog.String("routeKey", route.Key))
	}
	if requestID != "" {
		attrs = append(attrs, slog.String("requestId", requestID))
	}
	attrs = append(attrs, extra...)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	l.LogAttrs(r.Context(), level, "request", attrs...)
}

// Serve serves h on ln until ctx is done, then shuts down gracefully: it
// stops accepting connections, waits up to grace for requests in flight,
// then closes what is left. It returns nil after a shutdown, or the error
// that stopped serving.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      DefaultIntegrationTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
	}
	<-done // http.ErrServerClosed
	return nil
}

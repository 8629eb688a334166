package local

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Route is where the HTTP API sends a request: the function, the route key
// the event carries, and the path parameters.
type Route struct {
	Function       string // "ImportFunction", "DeleteFunction" or "UserSigFunction"
	Key            string // such as "POST /accounts", or "$default"
	PathParameters map[string]string
}

// The routes of template.yaml's HTTP API.
const (
	RouteImport      = "POST /accounts"
	RouteDeleteOne   = "DELETE /accounts/{userId}"
	RouteDeleteMany  = "POST /accounts/delete"
	RouteUserSigGet  = "GET /usersig"
	RouteUserSigPost = "POST /usersig"
	RouteDefault     = "$default"
)

// Routes lists the routes of template.yaml's HTTP API, in the order the
// docs and the `chatsync local` banner show them, with the function each
// reaches.
var Routes = []Route{
	{Function: "ImportFunction", Key: RouteImport},
	{Function: "DeleteFunction", Key: RouteDeleteOne},
	{Function: "DeleteFunction", Key: RouteDeleteMany},
	{Function: "UserSigFunction", Key: RouteUserSigGet},
	{Function: "UserSigFunction", Key: RouteUserSigPost},
}

// RouteOf returns the route of a request. The five routes of the template
// match by method and path. Any other request under /accounts goes to the
// function that owns the path, with route key "$default", so that the
// handler's own 404 and 405 logic answers it: /accounts to ImportFunction,
// /accounts/... to DeleteFunction. Requests elsewhere go to ImportFunction,
// which answers 404. /usersig goes to UserSigFunction: GET and POST by
// their routes, other methods with "$default", for its 405.
func RouteOf(method, escapedPath string) Route {
	p := escapedPath
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "/usersig" {
		switch method {
		case http.MethodGet:
			return Route{Function: "UserSigFunction", Key: RouteUserSigGet}
		case http.MethodPost:
			return Route{Function: "UserSigFunction", Key: RouteUserSigPost}
		}
		return Route{Function: "UserSigFunction", Key: RouteDefault}
	}
	rest, under := strings.CutPrefix(p, "/accounts/")
	switch {
	case p == "/accounts" && method == http.MethodPost:
		return Route{Function: "ImportFunction", Key: RouteImport}
	case !under || rest == "":
		return Route{Function: "ImportFunction", Key: RouteDefault}
	case rest == "delete" && method == http.MethodPost:
		return Route{Function: "DeleteFunction", Key: RouteDeleteMany}
	case method == http.MethodDelete && !strings.Contains(rest, "/"):
		id := rest
		if u, err := url.PathUnescape(rest); err == nil {
			id = u
		}
		return Route{Function: "DeleteFunction", Key: RouteDeleteOne, PathParameters: map[string]string{"userId": id}}
	}
	return Route{Function: "DeleteFunction", Key: RouteDefault}
}

// Caller is the IAM identity the events say signed the request, as API
// Gateway's IAM authorizer reports it.
type Caller struct {
	ARN       string // such as "arn:aws:iam::123456789012:user/alice"
	AccessKey string
	UserID    string
}

// DefaultCaller is the IAM caller of local requests.
var DefaultCaller = Caller{
	ARN:       "arn:aws:iam::" + LocalAccountID + ":user/chatsync-local",
	AccessKey: "AKIALOCALEXAMPLE0000",
	UserID:    "AIDALOCALEXAMPLE0000",
}

// NewEvent builds the HTTP API payload 2.0 event for a request whose body
// has been read, as API Gateway does: header names in lower case with
// repeated values joined by commas, cookies apart, the raw path and query,
// the body base64-encoded when it is not UTF-8 text, stage "$default", and
// the IAM authorizer's caller.
func NewEvent(r *http.Request, body []byte, route Route, caller Caller, now time.Time) events.APIGatewayV2HTTPRequest {
	sourceIP := "127.0.0.1"
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	headers := make(map[string]string, len(r.Header)+5)
	var cookies []string
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[k] = strings.Join(vs, ",")
	}
	if host != "" {
		headers["host"] = host
	}
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	if _, port, err := net.SplitHostPort(host); err == nil {
		headers["x-forwarded-port"] = port
	}

	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	domain := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")

	e := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        route.PathParameters,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key,
			AccountID:    LocalAccountID,
			Stage:        "$default",
			RequestID:    newGatewayRequestID(),
			APIID:        "local",
			DomainName:   domain,
			DomainPrefix: prefix,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
					AccessKey: caller.AccessKey,
					AccountID: accountOf(caller.ARN),
					CallerID:  caller.UserID,
					UserARN:   caller.ARN,
					UserID:    caller.UserID,
				},
			},
		},
	}
	if e.RequestContext.HTTP.Protocol == "" {
		e.RequestContext.HTTP.Protocol = "HTTP/1.1"
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			e.Body = string(body)
		} else {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return e
}

// accountOf returns the account ID field of an ARN.
func accountOf(a string) string {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) == 6 && parts[4] != "" {
		return parts[4]
	}
	return LocalAccountID
}

// newGatewayRequestID returns an ID in the form API Gateway gives its
// requests, such as "JKJaXmPLvHcESHA=".
func newGatewayRequestID() string {
	var b [10]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b[:])
}

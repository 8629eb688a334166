package local_test

import (
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/chatsync/chat-lambdas/internal/local"
)

type eventView = events.APIGatewayV2HTTPRequest

func TestRouteOf(t *testing.T) {
	tests := []struct {
		method, path string
		want         local.Route
	}{
		{"POST", "/accounts", local.Route{Function: "ImportFunction", Key: local.RouteImport}},
		{"POST", "/accounts/", local.Route{Function: "ImportFunction", Key: local.RouteImport}},
		{"GET", "/accounts", local.Route{Function: "ImportFunction", Key: local.RouteDefault}},
		{"DELETE", "/accounts", local.Route{Function: "ImportFunction", Key: local.RouteDefault}},
		{"GET", "/", local.Route{Function: "ImportFunction", Key: local.RouteDefault}},
		{"GET", "/other", local.Route{Function: "ImportFunction", Key: local.RouteDefault}},
		{"DELETE", "/accounts/alice", local.Route{Function: "DeleteFunction", Key: local.RouteDeleteOne, PathParameters: map[string]string{"userId": "alice"}}},
		{"DELETE", "/accounts/a%20b", local.Route{Function: "DeleteFunction", Key: local.RouteDeleteOne, PathParameters: map[string]string{"userId": "a b"}}},
		{"DELETE", "/accounts/delete", local.Route{Function: "DeleteFunction", Key: local.RouteDeleteOne, PathParameters: map[string]string{"userId": "delete"}}},
		{"POST", "/accounts/delete", local.Route{Function: "DeleteFunction", Key: local.RouteDeleteMany}},
		{"PUT", "/accounts/delete", local.Route{Function: "DeleteFunction", Key: local.RouteDefault}},
		{"POST", "/accounts/alice", local.Route{Function: "DeleteFunction", Key: local.RouteDefault}},
		{"DELETE", "/accounts/a/b", local.Route{Function: "DeleteFunction", Key: local.RouteDefault}},
		{"GET", "/usersig", local.Route{Function: "UserSigFunction", Key: local.RouteUserSigGet}},
		{"POST", "/usersig", local.Route{Function: "UserSigFunction", Key: local.RouteUserSigPost}},
		{"POST", "/usersig/", local.Route{Function: "UserSigFunction", Key: local.RouteUserSigPost}},
		{"PUT", "/usersig", local.Route{Function: "UserSigFunction", Key: local.RouteDefault}},
		{"GET", "/usersigs", local.Route{Function: "ImportFunction", Key: local.RouteDefault}},
	}
	for _, tt := range tests {
		if got := local.RouteOf(tt.method, tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RouteOf(%s %s) = %+v, want %+v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestNewEvent(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	caller := local.Caller{ARN: "arn:aws:iam::123456789012:user/ops", AccessKey: "AKIA", UserID: "AIDA"}
	tests := []struct {
		name  string
		req   func() *http.Request
		body  []byte
		check func(t *testing.T, e eventView)
	}{
		{"headers, cookies and query", func() *http.Request {
			r := httptest.NewRequest("POST", "http://api.example.com:3000/accounts?a=1&a=2&b=%20", nil)
			r.Header.Add("X-Multi", "1")
			r.Header.Add("X-Multi", "2")
			r.Header.Set("Cookie", "c1=v1; c2=v2")
			r.Header.Set("User-Agent", "curl/8")
			r.RemoteAddr = "192.0.2.7:5555"
			return r
		}, []byte(`{"UserID":"x"}`), func(t *testing.T, e eventView) {
			want := map[string]string{
				"x-multi": "1,2", "host": "api.example.com:3000", "content-length": "14", "user-agent": "curl/8",
				"x-forwarded-for": "192.0.2.7", "x-forwarded-proto": "http", "x-forwarded-port": "3000",
			}
			for k, v := range want {
				if e.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, e.Headers[k], v)
				}
			}
			for k := range e.Headers {
				if k != strings.ToLower(k) || k == "cookie" {
					t.Errorf("header %q should not be there", k)
				}
			}
			if !reflect.DeepEqual(e.Cookies, []string{"c1=v1", "c2=v2"}) {
				t.Errorf("cookies %q", e.Cookies)
			}
			if e.RawQueryString != "a=1&a=2&b=%20" || e.QueryStringParameters["a"] != "1,2" || e.QueryStringParameters["b"] != " " {
				t.Errorf("query %q %v", e.RawQueryString, e.QueryStringParameters)
			}
			if e.Body != `{"UserID":"x"}` || e.IsBase64Encoded {
				t.Errorf("body %q base64 %v", e.Body, e.IsBase64Encoded)
			}
			if e.RequestContext.HTTP.SourceIP != "192.0.2.7" || e.RequestContext.HTTP.UserAgent != "curl/8" {
				t.Errorf("http %+v", e.RequestContext.HTTP)
			}
			if e.RequestContext.DomainName != "api.example.com" || e.RequestContext.DomainPrefix != "api" {
				t.Errorf("domain %q prefix %q", e.RequestContext.DomainName, e.RequestContext.DomainPrefix)
			}
		}},
		{"binary body is base64", func() *http.Request {
			return httptest.NewRequest("POST", "/accounts", nil)
		}, []byte{0xff, 0x00, 0x01}, func(t *testing.T, e eventView) {
			b, err := base64.StdEncoding.DecodeString(e.Body)
			if !e.IsBase64Encoded || err != nil || string(b) != "\xff\x00\x01" {
				t.Errorf("body %q base64 %v", e.Body, e.IsBase64Encoded)
			}
		}},
		{"escaped path, TLS, no body", func() *http.Request {
			r := httptest.NewRequest("DELETE", "https://localhost/accounts/a%2Fb", nil)
			r.TLS = &tls.ConnectionState{}
			return r
		}, nil, func(t *testing.T, e eventView) {
			if e.RawPath != "/accounts/a%2Fb" || e.RequestContext.HTTP.Path != "/accounts/a/b" {
				t.Errorf("rawPath %q path %q", e.RawPath, e.RequestContext.HTTP.Path)
			}
			if e.Headers["x-forwarded-proto"] != "https" {
				t.Errorf("x-forwarded-proto %q", e.Headers["x-forwarded-proto"])
			}
			if e.Body != "" || e.IsBase64Encoded || e.Headers["content-length"] != "" {
				t.Errorf("body %q, content-length %q", e.Body, e.Headers["content-length"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			route := local.RouteOf(r.Method, r.URL.EscapedPath())
			e := local.NewEvent(r, tt.body, route, caller, now)
			if e.Version != "2.0" || e.RouteKey != route.Key || e.RequestContext.RouteKey != route.Key {
				t.Errorf("version %q routeKey %q/%q", e.Version, e.RouteKey, e.RequestContext.RouteKey)
			}
			rc := e.RequestContext
			if rc.Stage != "$default" || rc.HTTP.Method != r.Method || rc.RequestID == "" || rc.AccountID != local.LocalAccountID {
				t.Errorf("request context %+v", rc)
			}
			if rc.TimeEpoch != now.UnixMilli() || rc.Time != "23/Nov/2026:10:00:00 +0000" {
				t.Errorf("time %q %d", rc.Time, rc.TimeEpoch)
			}
			iam := rc.Authorizer.IAM
			if iam == nil || iam.UserARN != caller.ARN || iam.AccountID != "123456789012" || iam.AccessKey != "AKIA" {
				t.Errorf("iam %+v", iam)
			}
			tt.check(t, e)
		})
	}
}

package deploy

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// userSigEventFiles are the UserSig function's sample events.
var userSigEventFiles = []string{"http-usersig-get.json", "http-usersig-post.json", "direct-usersig.json"}

// TestUserSigEvents: the GET event is what the HTTP API passes behind a
// Cognito JWT authorizer (claims of an ID token, no body); the POST event
// behind the IAM authorizer, with a UserID in the body; the direct event is
// {"UserID"}.
func TestUserSigEvents(t *testing.T) {
	cases := []struct {
		file, method string
		jwt          bool
		bodyKey      string
	}{
		{"http-usersig-get.json", "GET", true, ""},
		{"http-usersig-post.json", "POST", false, "UserID"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			decodeEvent(t, c.file, &ev)
			key := c.method + " /usersig"
			if ev.Version != "2.0" || ev.RouteKey != key || ev.RequestContext.RouteKey != key {
				t.Errorf("version %q routeKey %q/%q, want 2.0 %q", ev.Version, ev.RouteKey, ev.RequestContext.RouteKey, key)
			}
			if ev.RawPath != "/usersig" || ev.RequestContext.HTTP.Path != "/usersig" || ev.RequestContext.HTTP.Method != c.method {
				t.Errorf("rawPath %q path %q method %q", ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method)
			}
			az := ev.RequestContext.Authorizer
			switch {
			case az == nil:
				t.Fatal("requestContext.authorizer missing")
			case c.jwt && (az.JWT == nil || az.IAM != nil):
				t.Errorf("want the JWT authorizer alone: %+v", az)
			case c.jwt:
				for _, k := range []string{"sub", "cognito:username", "token_use", "iss", "aud"} {
					if az.JWT.Claims[k] == "" {
						t.Errorf("claim %s missing", k)
					}
				}
			case az.IAM == nil || az.IAM.UserARN == "" || az.JWT != nil:
				t.Errorf("want the IAM authorizer alone: %+v", az)
			}
			checkBody(t, ev.Body, c.bodyKey, 0)
		})
	}
	t.Run("direct-usersig.json", func(t *testing.T) {
		checkBody(t, string(readRootFile(t, filepath.Join("events", "direct-usersig.json"))), "UserID", 0)
	})
}

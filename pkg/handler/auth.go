package handler

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Values of HTTP_AUTH_MODE.
const (
	AuthIAM = "iam" // API Gateway's IAM authorizer guards the routes
	AuthJWT = "jwt" // a Cognito JWT authorizer; callers act on themselves unless admins
)

// DefaultAdminGroup is the admin group when Auth.AdminGroup is empty (the
// default of ADMIN_GROUP).
const DefaultAdminGroup = "chat-admins"

// Auth decides who may act on which UserIDs through API Gateway.
type Auth struct {
	Mode       string       // AuthIAM (default) or AuthJWT
	AdminGroup string       // jwt mode: the Cognito group whose members may act on anyone; default DefaultAdminGroup
	Mapping    chat.Mapping // jwt mode: maps token claims to the caller's UserID, as the Cognito trigger does
}

// Validate reports whether the mode is known.
func (a Auth) Validate() error {
	switch a.Mode {
	case "", AuthIAM, AuthJWT:
		return nil
	}
	return fmt.Errorf("HTTP_AUTH_MODE %q: want %q or %q", a.Mode, AuthIAM, AuthJWT)
}

// caller is who made an API Gateway request.
type caller struct {
	jwt    bool
	userID string // jwt mode: the caller's own UserID
	admin  bool
	arn    string // iam mode: the caller's ARN
}

// caller identifies the request's caller. In jwt mode a request without
// usable claims is refused with 403.
func (a Auth) caller(r *request) (*caller, *httpError) {
	if a.Mode != AuthJWT {
		return &caller{arn: r.callerARN}, nil
	}
	if len(r.claims) == 0 {
		return nil, forbidden("no JWT claims on the request: the route must use the Cognito JWT authorizer")
	}
	m := a.Mapping.WithDefaults()
	lookup := func(k string) (string, bool) { v, ok := r.claims[k]; return v, ok }
	userName := r.claims["cognito:username"] // ID tokens
	if userName == "" {
		userName = r.claims["username"] // access tokens
	}
	id, err := m.UserID(lookup, userName)
	if err != nil {
		hint := ""
		if m.UserIDAttribute != "sub" && m.UserIDAttribute != "username" {
			hint = " (access tokens carry no user attributes: send an ID token)"
		}
		return nil, forbidden(fmt.Sprintf("the token cannot be mapped to a UserID: %v%s", err, hint))
	}
	group := a.AdminGroup
	if group == "" {
		group = DefaultAdminGroup
	}
	return &caller{jwt: true, userID: id, admin: slices.Contains(r.groups, group)}, nil
}

// may reports whether the caller may act on every one of ids.
func (c *caller) may(ids ...string) *httpError {
	if !c.jwt || c.admin {
		return nil
	}
	for _, id := range ids {
		if id != c.userID {
			return forbidden("a caller may act only on its own account unless it is in the admin group")
		}
	}
	return nil
}

// parseGroups reads the cognito:groups claim. HTTP APIs pass it as one
// string, the names inside brackets separated by single spaces
// ("[chat-admins readonly]"); REST APIs pass a JSON array or a
// comma-separated string. Only whole names count: "[chat-admins,readonly]"
// is one group of that whole name, and a JSON-looking string in an HTTP API
// claim is a name with quotes in it, never an array.
func parseGroups(v any, httpAPI bool) []string {
	switch v := v.(type) {
	case []any:
		groups := make([]string, 0, len(v))
		for _, g := range v {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
		return groups
	case string:
		if inner, ok := strings.CutPrefix(v, "["); ok {
			if inner, ok = strings.CutSuffix(inner, "]"); ok {
				return strings.Split(inner, " ")
			}
		}
		if httpAPI {
			return nil // not the form HTTP APIs use: no group is trusted
		}
		var arr []string
		if json.Unmarshal([]byte(v), &arr) == nil {
			return arr
		}
		return strings.Split(v, ",")
	}
	return nil
}

func forbidden(msg string) *httpError {
	return &httpError{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

package lifecycle

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Verdict is what a function does with an event.
type Verdict int

// The verdicts of Decide.
const (
	// Ignore: the event is not this stack's business (another pool, a call
	// that failed). Log it and acknowledge it.
	Ignore Verdict = iota + 1
	// Refuse: the event is this stack's but can never be acted on (it names
	// no one, or the UserID cannot be computed). Log an error and
	// acknowledge it: retrying cannot help, and guessing could touch
	// someone else's account.
	Refuse
	// Act: delete Decision.UserID, or read the user that Decision.Lookup
	// names from Cognito and import it.
	Act
)

var verdictNames = [...]string{Ignore: "ignore", Refuse: "refuse", Act: "act"}

// String returns the verdict's name as it appears in logs.
func (v Verdict) String() string {
	if v <= 0 || int(v) >= len(verdictNames) {
		return fmt.Sprintf("verdict(%d)", int(v))
	}
	return verdictNames[v]
}

// Lookup names the user to read from Cognito before an import: what the
// event says of them, the sub, the username, or both (at least one is set).
// The reader tries AdminGetUser first, with the username, else with the sub
// as the username (Cognito accepts a local user's sub there), and ListUsers
// by sub only when that finds no one (see pkg/handler).
type Lookup struct {
	Sub      string
	Username string
}

// ListUsersFilter returns the ListUsers filter that finds the user by sub,
// such as `sub = "0f3c…"`, or "" when l names the user by username. The sub
// has been checked to be a UUID, so it needs no escaping.
func (l Lookup) ListUsersFilter() string {
	if l.Sub == "" {
		return ""
	}
	return `sub = "` + l.Sub + `"`
}

// Decision is what to do with one event.
type Decision struct {
	Verdict Verdict
	Reason  string // why the event is ignored or refused
	UserID  string // Act on a Delete: the Chat account to kick and delete
	Lookup  Lookup // Act on a Create or Update: whom to read from Cognito
}

// LogValue describes the decision for a log line.
func (d Decision) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("verdict", d.Verdict.String())}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("reason", d.Reason)
	add("userId", d.UserID)
	add("lookupSub", d.Lookup.Sub)
	add("lookupUsername", d.Lookup.Username)
	return slog.GroupValue(attrs...)
}

// Decide says what to do with ev for the stack that serves stackPool (see
// Event.StackPool), whose Chat UserIDs come from userIDAttribute (the
// USER_ID_ATTRIBUTE variable: "sub", the default when empty, "username", or
// a user attribute name). The rules, in order:
//
//   - A call that failed (detail.errorCode set) changed nothing: Ignore.
//   - Without the stack's pool nothing can be matched: Refuse.
//   - A call that names another pool: Ignore. A call made with an access
//     token (DeleteUser, UpdateUserAttributes) names no pool and is taken
//     to be for the stack's pool; any other call that names no pool (the
//     field missing or hidden): Refuse.
//   - Delete: the user is gone from Cognito, so the UserID comes from the
//     event alone: the sub with its hyphens removed when userIDAttribute is
//     "sub", the username when it is "username". Any other mapping, or a sub
//     or username the event lacks: Refuse.
//   - Create and Update: Act with a Lookup of the sub and the username the
//     event carries; neither: Refuse.
//
// A sub must be a UUID and a computed UserID must be one Chat accepts,
// else Refuse.
func Decide(ev Event, stackPool, userIDAttribute string) Decision {
	if ev.ErrorCode != "" {
		return ignore("the Cognito call failed (%s): nothing changed", quote(ev.ErrorCode))
	}
	if stackPool == "" {
		return refuse("the stack's user pool is unknown: set USER_POOL_ID or pass userPoolId in the rule's input")
	}
	switch {
	case ev.UserPoolID != "" && ev.UserPoolID != stackPool:
		return ignore("the event is for user pool %s, not this stack's %s", quote(ev.UserPoolID), quote(stackPool))
	case ev.UserPoolID == "" && !ev.AccessToken():
		return refuse("%s names no user pool (missing or hidden): it cannot be matched to this stack's pool", ev.Name)
	}
	if ev.Sub != "" && !isUUID(ev.Sub) {
		return refuse("the event's sub %s is not a UUID", quote(ev.Sub))
	}
	switch ev.Action {
	case Delete:
		return decideDelete(ev, userIDAttribute)
	case Create, Update:
		if ev.Sub != "" || ev.Username != "" {
			return Decision{Verdict: Act, Lookup: Lookup{Sub: ev.Sub, Username: ev.Username}}
		}
		return refuse("%s names no user: no sub, and the username is %s", ev.Name, absent(ev, "username"))
	}
	return refuse("unknown action %s", ev.Action)
}

func decideDelete(ev Event, userIDAttribute string) Decision {
	var id string
	switch userIDAttribute {
	case "", "sub":
		if ev.Sub == "" {
			return refuse("%s carries no sub: with USER_ID_ATTRIBUTE=sub the deleted user's UserID cannot be computed", ev.Name)
		}
		id = strings.ReplaceAll(ev.Sub, "-", "")
	case "username":
		if ev.Username == "" {
			return refuse("%s carries no username (it is %s): with USER_ID_ATTRIBUTE=username the deleted user's UserID cannot be computed", ev.Name, absent(ev, "username"))
		}
		id = ev.Username
	default:
		return refuse("USER_ID_ATTRIBUTE=%s: a deleted user's attributes can no longer be read, so the UserID cannot be computed", userIDAttribute)
	}
	if err := chat.ValidateUserID(id); err != nil {
		return refuse("the UserID computed from the event is not one Chat accepts: %v", err)
	}
	return Decision{Verdict: Act, UserID: id}
}

// absent says whether a field the event lacks was hidden or missing.
func absent(ev Event, field string) string {
	for _, h := range ev.Hidden {
		if h == field || h == "requestParameters" {
			return "hidden"
		}
	}
	return "missing"
}

func ignore(format string, args ...any) Decision {
	return Decision{Verdict: Ignore, Reason: fmt.Sprintf(format, args...)}
}

func refuse(format string, args ...any) Decision {
	return Decision{Verdict: Refuse, Reason: fmt.Sprintf(format, args...)}
}

// isUUID reports whether s has the form of a Cognito sub:
// 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

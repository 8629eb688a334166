package handler_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// quotaPool is a user pool that answers as Cognito does and counts the
// calls by Cognito quota: AdminGetUser (UserRead) takes a username, or the
// sub of a local user; ListUsers (UserList) finds by sub.
type quotaPool struct {
	users             []quotaUser
	adminGet, listing int
	fail              error // every call's error, when set
}

type quotaUser struct {
	handler.User
	external bool // from a third-party provider: the sub is no username
}

func (p *quotaPool) UserByName(_ context.Context, _, name string) (handler.User, error) {
	p.adminGet++
	if p.fail != nil {
		return handler.User{}, p.fail
	}
	for _, u := range p.users {
		if u.Username == name || (!u.external && u.Attributes["sub"] == name) {
			return u.User, nil
		}
	}
	return handler.User{}, handler.ErrUserNotFound
}

func (p *quotaPool) UserBySub(_ context.Context, _, sub string) (handler.User, error) {
	p.listing++
	for _, u := range p.users {
		if u.Attributes["sub"] == sub {
			return u.User, nil
		}
	}
	return handler.User{}, handler.ErrUserNotFound
}

// TestLifecycleReadsThroughAdminGetUser: a lifecycle import reads its user
// with AdminGetUser (by username, else with the sub as the username) and
// uses ListUsers, whose quota the pool sync needs, only when AdminGetUser
// finds no one; a name taken since by another user is not mistaken for the
// event's user.
func TestLifecycleReadsThroughAdminGetUser(t *testing.T) {
	carol := handler.User{Username: "carol", Status: "CONFIRMED", Attributes: map[string]string{"sub": carolSub, "nickname": "Carol"}}
	dave := handler.User{Username: "dave", Status: "CONFIRMED", Attributes: map[string]string{"sub": daveSub}}
	impostor := handler.User{Username: "carol", Status: "CONFIRMED", Attributes: map[string]string{"sub": aliceSub}}
	tests := []struct {
		name              string
		users             []quotaUser
		event             []byte
		adminGet, listing int
		imported          string // "" when nothing may be imported
	}{
		{"by username", []quotaUser{{User: carol}}, fixture(t, "cloudtrail-admin-create-user.json", ""), 1, 0, chat.SubUserID(carolSub)},
		{"no username: the sub as the username", []quotaUser{{User: dave}}, fixture(t, "cloudtrail-update-user-attributes.json", ""), 1, 0, chat.SubUserID(daveSub)},
		{"external user: ListUsers as the fallback", []quotaUser{{User: dave, external: true}}, fixture(t, "cloudtrail-update-user-attributes.json", ""), 1, 1, chat.SubUserID(daveSub)},
		{"the name now belongs to someone else", []quotaUser{{User: impostor}}, fixture(t, "cloudtrail-admin-create-user.json", ""), 2, 1, ""},
		{"gone", nil, fixture(t, "cloudtrail-admin-create-user.json", ""), 2, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			users := &quotaPool{users: tt.users}
			h := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Users: users, UserPoolID: "us-east-1_EXAMPLE", Logger: e.log})
			raw, err := invoke(t, h, tt.event)
			r := lifecycleReply(t, raw, err)
			if users.adminGet != tt.adminGet || users.listing != tt.listing {
				t.Errorf("%d AdminGetUser and %d ListUsers calls, want %d and %d", users.adminGet, users.listing, tt.adminGet, tt.listing)
			}
			switch {
			case tt.imported == "" && (e.emu.Len() != 0 || r["verdict"] != "ignored"):
				t.Errorf("reply %v, %d accounts: the event's user is gone, nothing may be imported", r, e.emu.Len())
			case tt.imported != "" && (!e.emu.Has(tt.imported) || r["verdict"] != "done"):
				t.Errorf("reply %v: %s not imported", r, tt.imported)
			}
		})
	}
}

// TestUsernameDeleteChecksPool: with USER_ID_ATTRIBUTE=username a
// lifecycle delete reads the pool first (AdminGetUser with the username);
// when a user of that name exists now, nothing changes and the log says
// why. A failed read is retried; without a reader the delete is refused.
func TestUsernameDeleteChecksPool(t *testing.T) {
	m := chat.Mapping{UserIDAttribute: "username"}
	alice := handler.User{Username: "alice", Status: "CONFIRMED", Attributes: map[string]string{"sub": carolSub}}
	tests := []struct {
		name    string
		users   handler.Users
		verdict string // "" for a failure that may pass (a function error)
		gone    bool
		why     string
	}{
		{"nobody of that name: deleted", &quotaPool{}, "done", true, ""},
		{"registered again under the name: kept", &quotaPool{users: []quotaUser{{User: alice}}}, "ignored", false, "exists in the pool now"},
		{"the pool cannot be read: retried", &quotaPool{fail: errors.New("TooManyRequestsException")}, "", false, "will retry"},
		{"no reader: refused", nil, "refused", false, "cannot read the pool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mapping: m, auth: handler.Auth{Mapping: m}})
			e.emu.Seed("alice")
			cfg := handler.DeleteConfig{Chat: e.client, Auth: handler.Auth{Mapping: m}, UserPoolID: "us-east-1_EXAMPLE", Logger: e.log}
			if tt.users != nil {
				cfg.Users = tt.users
			}
			raw, err := invoke(t, handler.NewDeleteHandler(cfg), fixture(t, "cloudtrail-admin-delete-user.json", ""))
			if tt.verdict == "" {
				if err == nil {
					t.Fatalf("reply %s, want a function error (to be retried)", raw)
				}
			} else if r := lifecycleReply(t, raw, err); r["verdict"] != tt.verdict {
				t.Fatalf("reply %v, want verdict %s", r, tt.verdict)
			}
			if e.emu.Has("alice") == tt.gone {
				t.Errorf("account alice exists: %v, want %v", e.emu.Has("alice"), !tt.gone)
			}
			if !tt.gone && e.emu.TotalRequests() != 0 {
				t.Errorf("%d Chat requests for a delete that must change nothing", e.emu.TotalRequests())
			}
			if tt.why != "" && !strings.Contains(e.logs.String(), tt.why) {
				t.Errorf("the log does not say %q:\n%s", tt.why, e.logs.String())
			}
		})
	}
}

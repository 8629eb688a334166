package handler_test

import (
	"context"
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
}

type quotaUser struct {
	handler.User
	external bool // from a third-party provider: the sub is no username
}

func (p *quotaPool) UserByName(_ context.Context, _, name string) (handler.User, error) {
	p.adminGet++
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


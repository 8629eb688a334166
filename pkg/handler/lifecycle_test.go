package handler_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// pool is an in-memory user pool: the fixtures' pool, and its users by sub.
type pool struct {
	users map[string]handler.User // by sub
	reads int
}

func (p *pool) UserBySub(_ context.Context, poolID, sub string) (handler.User, error) {
	p.reads++
	if poolID != "us-east-1_EXAMPLE" {
		return handler.User{}, handler.ErrUserNotFound
	}
	u, ok := p.users[sub]
	if !ok {
		return handler.User{}, handler.ErrUserNotFound
	}
	return u, nil
}

func (p *pool) UserByName(_ context.Context, poolID, name string) (handler.User, error) {
	p.reads++
	for _, u := range p.users {
		if u.Username == name && poolID == "us-east-1_EXAMPLE" {
			return u, nil
		}
	}
	return handler.User{}, handler.ErrUserNotFound
}

// fixture reads an event file; poolID, when not empty, replaces the
// fixtures' pool everywhere.
func fixture(t *testing.T, name, poolID string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if poolID != "" {
		b = []byte(strings.ReplaceAll(string(b), "us-east-1_EXAMPLE", poolID))
	}
	return b
}

// wrap puts an event in the stack's input-transformer wrapper.
func wrap(t *testing.T, ev []byte, stackPool string) []byte {
	return mustJSON(t, map[string]any{"userPoolId": stackPool, "event": json.RawMessage(ev)})
}

const (
	aliceSub = "0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7e" // the fixtures' alice
	daveSub  = "5d2e8b7c-1f4a-4e6d-a3b9-c8f0e1d2a3b4" // the access-token fixtures' user
	carolSub = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
)

func lifecycleReply(t *testing.T, raw []byte, err error) map[string]string {
	t.Helper()
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var r map[string]string
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply %s: %v", raw, err)
	}
	return r
}

func TestLifecycleDelete(t *testing.T) {
	alice := chat.SubUserID(aliceSub)
	dave := chat.SubUserID(daveSub)
	tests := []struct {
		name    string
		mapping string
		payload func(t *testing.T) []byte
		poolEnv string // USER_POOL_ID of the delete function
		verdict string
		gone    string // the account deleted and kicked
		why     string // in the log, when nothing changes
	}{
		{"AdminDeleteUser, wrapped", "", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-delete-user.json", ""), "us-east-1_EXAMPLE")
		}, "", "done", alice, ""},
		{"AdminDeleteUser, USER_POOL_ID", "", func(t *testing.T) []byte { return fixture(t, "cloudtrail-admin-delete-user.json", "") }, "us-east-1_EXAMPLE", "done", alice, ""},
		{"DeleteUser with an access token", "", func(t *testing.T) []byte { return fixture(t, "cloudtrail-delete-user.json", "") }, "us-east-1_EXAMPLE", "done", dave, ""},
		{"another pool", "", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-delete-user.json", "us-east-1_OTHER"), "us-east-1_EXAMPLE")
		}, "", "ignored", "", "not this stack's"},
		{"stack's pool unknown", "", func(t *testing.T) []byte { return fixture(t, "cloudtrail-admin-delete-user.json", "") }, "", "refused", "", "USER_POOL_ID"},
		{"username mapping, username hidden", "username", func(t *testing.T) []byte {
			return fixture(t, "cloudtrail-admin-delete-user-hidden.json", "")
		}, "us-east-1_EXAMPLE", "refused", "", "hidden"},
		{"attribute mapping: the UserID cannot be known", "custom:chat_id", func(t *testing.T) []byte {
			return fixture(t, "cloudtrail-admin-delete-user.json", "")
		}, "us-east-1_EXAMPLE", "refused", "", "custom:chat_id"},
		{"a create event sent to the delete function", "", func(t *testing.T) []byte {
			return fixture(t, "cloudtrail-admin-create-user.json", "")
		}, "us-east-1_EXAMPLE", "refused", "", "go to the import function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mapping: chat.Mapping{UserIDAttribute: tt.mapping}, auth: handler.Auth{Mapping: chat.Mapping{UserIDAttribute: tt.mapping}}})
			h := handler.NewDeleteHandler(handler.DeleteConfig{Chat: e.client, Auth: handler.Auth{Mapping: chat.Mapping{UserIDAttribute: tt.mapping}}, UserPoolID: tt.poolEnv, Logger: e.log})
			e.emu.Seed(alice, dave, "alice")
			raw, err := invoke(t, h, tt.payload(t))
			r := lifecycleReply(t, raw, err)
			if r["verdict"] != tt.verdict {
				t.Fatalf("reply %v, want verdict %s", r, tt.verdict)
			}
			if tt.gone == "" {
				if e.emu.Len() != 3 || e.emu.TotalRequests() != 0 {
					t.Errorf("%d accounts left, %d Chat requests: nothing may change", e.emu.Len(), e.emu.TotalRequests())
				}
				if !strings.Contains(e.logs.String(), tt.why) {
					t.Errorf("the log does not say why (%q):\n%s", tt.why, e.logs.String())
				}
				return
			}
			if e.emu.Has(tt.gone) || e.emu.Len() != 2 {
				t.Errorf("%s exists: %v; %d accounts left", tt.gone, e.emu.Has(tt.gone), e.emu.Len())
			}
			if _, kicked := e.emu.KickedAt(tt.gone); !kicked {
				t.Errorf("%s was not kicked", tt.gone)
			}
		})
	}
}

func TestLifecycleImport(t *testing.T) {
	alice := chat.SubUserID(aliceSub)
	users := func() *pool {
		return &pool{users: map[string]handler.User{
			aliceSub: {Username: "alice", Status: "CONFIRMED", Attributes: map[string]string{"sub": aliceSub, "nickname": "Alice Liddell"}},
			carolSub: {Username: "carol", Status: "FORCE_CHANGE_PASSWORD", Attributes: map[string]string{"sub": carolSub, "nickname": "Carol"}},
			daveSub:  {Username: "dave", Status: "UNCONFIRMED", Attributes: map[string]string{"sub": daveSub}},
		}}
	}
	tests := []struct {
		name    string
		payload func(t *testing.T) []byte
		verdict string
		account string // the account with its new Nick afterwards
		nick    string
	}{
		{"AdminUpdateUserAttributes changes the Nick", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-update-user-attributes.json", ""), "us-east-1_EXAMPLE")
		}, "done", alice, "Alice Liddell"},
		{"AdminCreateUser imports", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-create-user.json", ""), "us-east-1_EXAMPLE")
		}, "done", chat.SubUserID(carolSub), "Carol"},
		{"UpdateUserAttributes of an unconfirmed user", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-update-user-attributes.json", ""), "us-east-1_EXAMPLE")
		}, "ignored", "", ""},
		{"another pool", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-update-user-attributes.json", "us-east-1_OTHER"), "us-east-1_EXAMPLE")
		}, "ignored", "", ""},
		{"a delete event sent to the import function", func(t *testing.T) []byte {
			return wrap(t, fixture(t, "cloudtrail-admin-delete-user.json", ""), "us-east-1_EXAMPLE")
		}, "refused", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed(alice)
			h := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Users: users(), Logger: e.log})
			raw, err := invoke(t, h, tt.payload(t))
			r := lifecycleReply(t, raw, err)
			if r["verdict"] != tt.verdict {
				t.Fatalf("reply %v, want verdict %s\n%s", r, tt.verdict, e.logs.String())
			}
			if tt.account == "" {
				if n := e.emu.TotalRequests(); n != 0 || e.emu.Len() != 1 {
					t.Errorf("%d Chat requests, %d accounts: nothing may change", n, e.emu.Len())
				}
				return
			}
			if a, ok := e.emu.Account(tt.account); !ok || a.Nick != tt.nick {
				t.Errorf("account %+v (exists %v), want Nick %q", a, ok, tt.nick)
			}
		})
	}
}

// TestLifecycleRetries: a failure that may pass is a function error (from
// a queue, a batch item failure), so that the event is delivered again;
// nothing is dropped silently.
func TestLifecycleRetries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.Seed(chat.SubUserID(aliceSub))
	e.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: e.client, Logger: e.log})
	if _, err := invoke(t, del, wrap(t, fixture(t, "cloudtrail-admin-delete-user.json", ""), "us-east-1_EXAMPLE")); err == nil {
		t.Error("delete with Chat down: no function error")
	}
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Users: &pool{users: map[string]handler.User{
		aliceSub: {Username: "alice", Status: "CONFIRMED", Attributes: map[string]string{"sub": aliceSub}},
	}}, Logger: e.log})
	_, err := invoke(t, imp, wrap(t, fixture(t, "cloudtrail-admin-update-user-attributes.json", ""), "us-east-1_EXAMPLE"))
	if err == nil {
		t.Error("update with Chat down: no function error")
	} else if strings.Contains(err.Error(), "Go ") || !strings.Contains(err.Error(), "retried") {
		t.Errorf("function error %q", err)
	}
	if !strings.Contains(e.logs.String(), "lifecycle event failed, will retry") {
		t.Errorf("no log line of the failure:\n%s", e.logs.String())
	}
}

package lifecycle_test

import (
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
)

func TestDecide(t *testing.T) {
	const (
		idA = "0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e"
	)
	del := func(name, pool, sub, username string) lifecycle.Event {
		return lifecycle.Event{Action: lifecycle.Delete, Name: name, UserPoolID: pool, Sub: sub, Username: username}
	}
	upd := func(name, pool, sub, username string) lifecycle.Event {
		a := lifecycle.Update
		if name == lifecycle.AdminCreateUser {
			a = lifecycle.Create
		}
		return lifecycle.Event{Action: a, Name: name, UserPoolID: pool, Sub: sub, Username: username}
	}
	hidden := func(ev lifecycle.Event, fields ...string) lifecycle.Event { ev.Hidden = fields; return ev }
	failed := func(ev lifecycle.Event) lifecycle.Event { ev.ErrorCode = "UserNotFoundException"; return ev }
	act := func(id string) lifecycle.Decision { return lifecycle.Decision{Verdict: lifecycle.Act, UserID: id} }
	bySub := func(sub string) lifecycle.Decision {
		return lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: sub}}
	}
	byBoth := func(sub, name string) lifecycle.Decision {
		return lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Sub: sub, Username: name}}
	}
	byName := func(name string) lifecycle.Decision {
		return lifecycle.Decision{Verdict: lifecycle.Act, Lookup: lifecycle.Lookup{Username: name}}
	}

	tests := []struct {
		name    string
		ev      lifecycle.Event
		stack   string
		mapping string
		want    lifecycle.Decision // Reason is checked by reason below
		reason  string             // a part of the reason, for Ignore and Refuse
	}{
		// Deletes.
		{"admin delete, sub mapping", del("AdminDeleteUser", pool, subA, "alice"), pool, "sub", act(idA), ""},
		{"admin delete, default mapping is sub", del("AdminDeleteUser", pool, subA, "alice"), pool, "", act(idA), ""},
		{"admin delete, username mapping", del("AdminDeleteUser", pool, subA, "alice"), pool, "username", act("alice"), ""},
		{"access-token delete names no pool: the stack's", del("DeleteUser", "", subB, ""), pool, "sub", act("5d2e8b7c1f4a4e6da3b9c8f0e1d2a3b4"), ""},
		{"access-token delete with a pool is checked", del("DeleteUser", other, subB, ""), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Ignore}, "us-east-1_OTHER"},
		{"another pool", del("AdminDeleteUser", other, subA, "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Ignore}, `"us-east-1_OTHER", not this stack's "us-east-1_EXAMPLE"`},
		{"admin call names no pool", del("AdminDeleteUser", "", subA, "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "names no user pool"},
		{"admin call with its pool hidden", hidden(del("AdminDeleteUser", "", subA, "alice"), "userPoolId"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "names no user pool"},
		{"stack pool unknown", del("AdminDeleteUser", pool, subA, "alice"), "", "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "USER_POOL_ID"},
		{"failed call", failed(del("AdminDeleteUser", pool, subA, "alice")), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Ignore}, "UserNotFoundException"},
		{"failed call for another pool", failed(del("AdminDeleteUser", other, subA, "alice")), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Ignore}, "failed"},
		{"delete without a sub, sub mapping", del("AdminDeleteUser", pool, "", "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "no sub"},
		{"delete with a hidden username, username mapping", hidden(del("AdminDeleteUser", pool, subA, ""), "username"), pool, "username", lifecycle.Decision{Verdict: lifecycle.Refuse}, "it is hidden"},
		{"delete without a username, username mapping", del("DeleteUser", "", subB, ""), pool, "username", lifecycle.Decision{Verdict: lifecycle.Refuse}, "it is missing"},
		{"delete, attribute mapping", del("AdminDeleteUser", pool, subA, "alice"), pool, "custom:chat_id", lifecycle.Decision{Verdict: lifecycle.Refuse}, "USER_ID_ATTRIBUTE=custom:chat_id"},
		{"delete names no one", del("AdminDeleteUser", pool, "", ""), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "no sub"},
		{"username too long for Chat", del("AdminDeleteUser", pool, subA, strings.Repeat("a", 33)), pool, "username", lifecycle.Decision{Verdict: lifecycle.Refuse}, "not one Chat accepts"},
		{"sub not a UUID", del("AdminDeleteUser", pool, "not-a-uuid", "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "not a UUID"},
		{"sub with a quote", del("AdminDeleteUser", pool, `0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7"`, "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "not a UUID"},

		// Creates and updates.
		{"admin create: sub and username", upd("AdminCreateUser", pool, subC, "carol"), pool, "sub", byBoth(subC, "carol"), ""},
		{"admin create without a sub: by username", upd("AdminCreateUser", pool, "", "carol"), pool, "sub", byName("carol"), ""},
		{"admin update, attribute mapping", upd("AdminUpdateUserAttributes", pool, subA, "alice"), pool, "custom:chat_id", byBoth(subA, "alice"), ""},
		{"admin update, username hidden: by sub", hidden(upd("AdminUpdateUserAttributes", pool, subA, ""), "username"), pool, "username", bySub(subA), ""},
		{"access-token update: the stack's pool", upd("UpdateUserAttributes", "", subB, ""), pool, "sub", bySub(subB), ""},
		{"update for another pool", upd("AdminUpdateUserAttributes", other, subA, "alice"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Ignore}, "not this stack's"},
		{"update names no one", hidden(upd("AdminUpdateUserAttributes", pool, "", ""), "username"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "username is hidden"},
		{"access-token update names no one", upd("UpdateUserAttributes", "", "", ""), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "username is missing"},
		{"create with a bad sub", upd("AdminCreateUser", pool, "abc", "carol"), pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "not a UUID"},

		// No action.
		{"zero event", lifecycle.Event{UserPoolID: pool}, pool, "sub", lifecycle.Decision{Verdict: lifecycle.Refuse}, "unknown action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lifecycle.Decide(tt.ev, tt.stack, tt.mapping)
			if got.Verdict != tt.want.Verdict || got.UserID != tt.want.UserID || got.Lookup != tt.want.Lookup {
				t.Fatalf("Decide = %+v, want %+v", got, tt.want)
			}
			switch {
			case got.Verdict == lifecycle.Act && got.Reason != "":
				t.Errorf("Act with a reason: %q", got.Reason)
			case got.Verdict != lifecycle.Act && !strings.Contains(got.Reason, tt.reason):
				t.Errorf("reason %q does not say %q", got.Reason, tt.reason)
			}
			if got.Verdict == lifecycle.Act && (got.UserID == "") == (got.Lookup == lifecycle.Lookup{}) {
				t.Errorf("Act needs exactly one of UserID and Lookup: %+v", got)
			}
		})
	}
}

func TestListUsersFilter(t *testing.T) {
	if got, want := (lifecycle.Lookup{Sub: subA}).ListUsersFilter(), `sub = "`+subA+`"`; got != want {
		t.Errorf("filter = %s, want %s", got, want)
	}
	if got := (lifecycle.Lookup{Username: "alice"}).ListUsersFilter(); got != "" {
		t.Errorf("filter by username = %q, want none", got)
	}
}

func TestStackPool(t *testing.T) {
	ev := lifecycle.Event{StackPoolID: pool}
	for _, tt := range []struct{ env, want string }{{"", pool}, {other, other}} {
		if got := ev.StackPool(tt.env); got != tt.want {
			t.Errorf("StackPool(%q) = %q, want %q: USER_POOL_ID wins when set", tt.env, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, name := range lifecycle.EventNames() {
		if _, ok := lifecycle.ActionOf(name); !ok {
			t.Errorf("ActionOf(%q) unknown", name)
		}
	}
	if _, ok := lifecycle.ActionOf("AdminDisableUser"); ok {
		t.Error("AdminDisableUser followed")
	}
	for a, want := range map[lifecycle.Action]string{lifecycle.Delete: "delete", lifecycle.Create: "create", lifecycle.Update: "update", 0: "action(0)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), want)
		}
	}
	for v, want := range map[lifecycle.Verdict]string{lifecycle.Ignore: "ignore", lifecycle.Refuse: "refuse", lifecycle.Act: "act", 9: "verdict(9)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(v), v.String(), want)
		}
	}
}

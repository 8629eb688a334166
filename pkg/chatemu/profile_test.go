package chatemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// profileCall sends a signed profile command (portrait_set, portrait_get).
func profileCall(t *testing.T, emu *chatemu.Running, cmd, body string) chat.Envelope {
	t.Helper()
	status, env := post(t, emu, chatemu.ProfilePrefix+cmd, query(admin), body)
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200", cmd, status)
	}
	return env
}

func portraitSet(id string, items ...chat.ProfileItem) string {
	b, _ := json.Marshal(chat.PortraitSetRequest{FromAccount: id, ProfileItem: items})
	return string(b)
}

func TestPortraitSet(t *testing.T) {
	long := strings.Repeat("x", 501)
	tests := []struct {
		name string
		body string
		code int
	}{
		{"gender", portraitSet("alice", chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderFemale}), 0},
		{"every standard field", portraitSet("alice",
			chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderMale},
			chat.ProfileItem{Tag: chat.TagBirthDay, Value: 19900517},
			chat.ProfileItem{Tag: chat.TagSelfSignature, Value: "hi"},
			chat.ProfileItem{Tag: chat.TagLocation, Value: strings.Repeat("l", 16)},
			chat.ProfileItem{Tag: "Tag_Profile_Custom_Tier", Value: strings.Repeat("t", 500)}), 0},
		{"no such account", portraitSet("nobody", chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderMale}), 40003},
		{"unknown tag", portraitSet("alice", chat.ProfileItem{Tag: "Tag_Profile_IM_Mood", Value: "ok"}), 40001},
		{"custom field not set up", portraitSet("alice", chat.ProfileItem{Tag: "Tag_Profile_Custom_Role", Value: "admin"}), 40001},
		{"birthday as a string", portraitSet("alice", chat.ProfileItem{Tag: chat.TagBirthDay, Value: "19900517"}), 40001},
		{"birthday negative", portraitSet("alice", chat.ProfileItem{Tag: chat.TagBirthDay, Value: -1}), 40001},
		{"gender as a number", portraitSet("alice", chat.ProfileItem{Tag: chat.TagGender, Value: 1}), 40001},
		{"gender out of range", portraitSet("alice", chat.ProfileItem{Tag: chat.TagGender, Value: "male"}), 40005},
		{"signature over 500 bytes", portraitSet("alice", chat.ProfileItem{Tag: chat.TagSelfSignature, Value: long}), 40601},
		{"custom over 500 bytes", portraitSet("alice", chat.ProfileItem{Tag: "Tag_Profile_Custom_Tier", Value: long}), 40601},
		{"location over 16 bytes", portraitSet("alice", chat.ProfileItem{Tag: chat.TagLocation, Value: strings.Repeat("l", 17)}), 40605},
		{"no value", `{"From_Account":"alice","ProfileItem":[{"Tag":"Tag_Profile_IM_Gender"}]}`, 40001},
		{"no From_Account", `{"ProfileItem":[{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Male"}]}`, 40001},
		{"From_Account not a string", `{"From_Account":7,"ProfileItem":[{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Male"}]}`, 40001},
		{"no items", `{"From_Account":"alice","ProfileItem":[]}`, 40001},
		{"not JSON", `{"From_Account":`, 60003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := start(t, chatemu.Options{CustomProfileFields: []string{"Tier"}})
			emu.Seed("alice")
			wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, tt.body), tt.code)
			p, _ := emu.Profile("alice")
			if tt.code != 0 && len(p) != 0 {
				t.Errorf("a refused request changed the profile: %v", p)
			}
			if tt.code == 0 && len(p) == 0 {
				t.Error("an accepted request set nothing")
			}
		})
	}
}

// TestPortraitSetAllOrNothing holds portrait_set to setting every field of
// a request or none: one bad field refuses the others.
func TestPortraitSetAllOrNothing(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	env := profileCall(t, emu, chat.CmdPortraitSet, portraitSet("alice",
		chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderMale},
		chat.ProfileItem{Tag: chat.TagLocation, Value: strings.Repeat("l", 17)}))
	wantCode(t, env, chat.CodeLocationTooLong)
	if p, _ := emu.Profile("alice"); len(p) != 0 {
		t.Errorf("profile %v after a refused request, want none", p)
	}
}

func TestPortraitGet(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice", "bob")
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"alice","Nick":"Alice"}`), 0)
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, portraitSet("alice",
		chat.ProfileItem{Tag: chat.TagBirthDay, Value: 19900517},
		chat.ProfileItem{Tag: chat.TagNick, Value: "Al"})), 0)
	b, _ := json.Marshal(chat.PortraitGetRequest{ToAccount: []string{"alice", "bob", "nobody"}, TagList: []string{chat.TagNick, chat.TagBirthDay, chat.TagGender}})
	env := profileCall(t, emu, chat.CmdPortraitGet, string(b))
	wantCode(t, env, 0)
	if len(env.UserProfileItem) != 3 {
		t.Fatalf("UserProfileItem = %+v, want 3 entries", env.UserProfileItem)
	}
	alice, bob, nobody := env.UserProfileItem[0], env.UserProfileItem[1], env.UserProfileItem[2]
	want := []chat.ProfileItem{{Tag: chat.TagNick, Value: "Al"}, {Tag: chat.TagBirthDay, Value: float64(19900517)}}
	if alice.ToAccount != "alice" || alice.ResultCode != 0 || len(alice.ProfileItem) != 2 || alice.ProfileItem[0] != want[0] || alice.ProfileItem[1] != want[1] {
		t.Errorf("alice = %+v, want %v", alice, want)
	}
	if bob.ResultCode != 0 || len(bob.ProfileItem) != 0 {
		t.Errorf("bob = %+v, want no fields", bob)
	}
	if nobody.ResultCode != chat.CodeProfileNoAccount {
		t.Errorf("nobody = %+v, want ResultCode 40003", nobody)
	}
	if a, _ := emu.Account("alice"); a.Nick != "Al" {
		t.Errorf("Nick %q after portrait_set of Tag_Profile_IM_Nick, want Al", a.Nick)
	}
	wantCode(t, profileCall(t, emu, chat.CmdPortraitGet, `{"To_Account":["alice"],"TagList":["Tag_Profile_Custom_X"]}`), chat.CodeProfileBadField)
	wantCode(t, profileCall(t, emu, chat.CmdPortraitGet, `{"To_Account":[],"TagList":["Tag_Profile_IM_Nick"]}`), chat.CodeBatchCount)
}

func TestProfileRouting(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	body := portraitSet("alice", chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderMale})
	// portrait_set is a command of the profile service only, and the
	// account commands are not served under it.
	wantCode(t, call(t, emu, chat.CmdPortraitSet, body), chat.CodeBadResource)
	_, env := post(t, emu, chatemu.ProfilePrefix+chat.CmdImport, query(admin), `{"UserID":"bob"}`)
	wantCode(t, env, chat.CodeBadResource)
	if emu.Requests(chat.CmdPortraitSet) != 0 {
		t.Errorf("a request to the wrong service counted as portrait_set")
	}
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), 0)
	if n := emu.Requests(chat.CmdPortraitSet); n != 1 {
		t.Errorf("Requests(portrait_set) = %d, want 1", n)
	}
}

func TestProfileGoneWithAccount(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, portraitSet("alice", chat.ProfileItem{Tag: chat.TagSelfSignature, Value: "hi"})), 0)
	wantCode(t, call(t, emu, chat.CmdDelete, items("DeleteItem", "alice")), 0)
	emu.Seed("alice")
	if p, _ := emu.Profile("alice"); len(p) != 0 {
		t.Errorf("a re-created account kept the deleted one's profile: %v", p)
	}
}

func TestSetUpCustomFields(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	body := portraitSet("alice", chat.ProfileItem{Tag: "Tag_Profile_Custom_Role", Value: "admin"})
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), chat.CodeProfileBadField)
	emu.SetUpCustomFields("Role")
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), 0)
	if p, _ := emu.Profile("alice"); p["Tag_Profile_Custom_Role"] != "admin" {
		t.Errorf("profile %v, want the custom field set", p)
	}
}

func TestPortraitSetRateCap(t *testing.T) {
	emu := start(t, chatemu.Options{RateLimits: map[string]int{chat.CmdPortraitSet: 2}})
	emu.Seed("alice")
	body := portraitSet("alice", chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderMale})
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), 0)
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), 0)
	wantCode(t, profileCall(t, emu, chat.CmdPortraitSet, body), chat.CodeRateLimited)
}

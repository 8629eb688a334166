package poolsync_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// TestSyncProfiles: on a moto pool, a sync sets the PROFILE_ATTRIBUTES
// fields of the accounts it imports, -profiles those of accounts already
// in Chat; a field Chat refuses is reported and the others still arrive;
// portrait_set down fails no account.
func TestSyncProfiles(t *testing.T) {
	srv := moto.Shared(t)
	p := cognitotest.NewPool(t, cip.NewFromConfig(srv.Config()), "profile-pool")
	p.Add(t, []cognitotest.NewUser{
		{Username: "p0", Status: cognito.StatusConfirmed, Attributes: map[string]string{"gender": "male", "birthdate": "1990-05-17", "locale": "en-GB", "zoneinfo": "Europe/London", "website": "https://p0.example.com"}},
		{Username: "p1", Status: cognito.StatusConfirmed, Attributes: map[string]string{"gender": "female", "birthdate": "17 May 1990", "locale": strings.Repeat("l", 17)}},
		{Username: "p2", Status: cognito.StatusConfirmed, Attributes: map[string]string{"gender": "female"}},
		{Username: "p3", Status: cognito.StatusUnconfirmed, Attributes: map[string]string{"gender": "male"}},
	})
	fields, err := chat.ParseProfileFields("gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,locale=Tag_Profile_IM_Location,zoneinfo=Tag_Profile_Custom_Zone,website=Tag_Profile_Custom_Site")
	if err != nil {
		t.Fatal(err)
	}
	mapping := chat.Mapping{UserIDAttribute: "username", Profile: fields}
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "test-key", RateLimits: chatemu.DocumentedRateLimits(), CustomProfileFields: []string{"Zone"}})
	emu.Seed("p2")
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, profiles bool) (poolsync.Counts, map[string]poolsync.Outcome) {
		t.Helper()
		var (
			mu  sync.Mutex
			out = map[string]poolsync.Outcome{}
		)
		e, err := poolsync.New(poolsync.Config{Pool: p.ID, Users: cognito.New(p.API, cognito.Options{ListRate: 1000}), Chat: client, Mapping: mapping, Profiles: profiles,
			OnOutcome: func(o poolsync.Outcome) { mu.Lock(); out[o.Username] = o; mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return c, out
	}

	c, out := run(t, false)
	if c.Imported != 2 || c.AlreadyInChat != 1 || c.Failed != 0 || c.ProfileFailed != 0 {
		t.Errorf("counts %+v", c)
	}
	p0, _ := emu.Profile("p0")
	want := map[string]any{chat.TagGender: chat.GenderMale, chat.TagBirthDay: uint32(19900517), chat.TagLocation: "en-GB", "Tag_Profile_Custom_Zone": "Europe/London"}
	if !reflect.DeepEqual(p0, want) {
		t.Errorf("p0's profile %v, want %v", p0, want)
	}
	if o := out["p0"]; o.Action != poolsync.Imported || !reflect.DeepEqual(o.ProfileRefused, []string{"Tag_Profile_Custom_Site (code 40001)"}) {
		t.Errorf("p0: %+v, want imported with the Site field refused", o)
	}
	if p1, _ := emu.Profile("p1"); !reflect.DeepEqual(p1, map[string]any{chat.TagGender: chat.GenderFemale}) {
		t.Errorf("p1's profile %v: the birthdate and the Location cannot be converted, the gender must arrive", p1)
	}
	if o := out["p1"]; len(o.Dropped) != 2 {
		t.Errorf("p1: dropped %q, want the birthdate and the Location", o.Dropped)
	}
	if p2, _ := emu.Profile("p2"); len(p2) != 0 {
		t.Errorf("p2 already in Chat: profile %v set without -profiles", p2)
	}
	if emu.Has("p3") {
		t.Error("an unconfirmed user was imported")
	}

	c, _ = run(t, true)
	if c.Updated != 3 || c.ProfileFailed != 0 {
		t.Errorf("-profiles: counts %+v", c)
	}
	if p2, _ := emu.Profile("p2"); !reflect.DeepEqual(p2, map[string]any{chat.TagGender: chat.GenderFemale}) {
		t.Errorf("-profiles: p2's profile %v", p2)
	}

	emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Code: chat.CodeServerError, Times: 1 << 20})
	c, out = run(t, true)
	if c.Updated != 3 || c.Failed != 0 || c.ProfileFailed != 3 {
		t.Errorf("portrait_set down: counts %+v, want 3 updated, none failed, 3 without their profile", c)
	}
	if o := out["p0"]; o.Action != poolsync.Updated || !strings.Contains(o.ProfileError, "70500") {
		t.Errorf("portrait_set down: p0 %+v", o)
	}
}

package chatapi_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

var (
	gender = chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderFemale}
	birth  = chat.ProfileItem{Tag: chat.TagBirthDay, Value: uint32(19900517)}
	tier   = chat.ProfileItem{Tag: "Tag_Profile_Custom_Tier", Value: "gold"}
	role   = chat.ProfileItem{Tag: "Tag_Profile_Custom_Role", Value: "admin"} // not set up in the tests' app
)

func TestSetProfileOneCall(t *testing.T) {
	f := newFixture(t, chatemu.Options{CustomProfileFields: []string{"Tier"}}, chatapi.Config{})
	f.emu.Seed("alice")
	res, err := f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{gender, birth, tier})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{chat.TagGender, chat.TagBirthDay, tier.Tag}; !reflect.DeepEqual(res.Set, want) || len(res.Refused) != 0 {
		t.Errorf("result %+v, want %v set", res, want)
	}
	if res.Stats != (chat.Stats{Calls: 1, Attempts: 1}) || f.emu.Requests(chat.CmdPortraitSet) != 1 {
		t.Errorf("stats %+v, %d requests; want one call", res.Stats, f.emu.Requests(chat.CmdPortraitSet))
	}
	p, _ := f.emu.Profile("alice")
	want := map[string]any{chat.TagGender: chat.GenderFemale, chat.TagBirthDay: uint32(19900517), tier.Tag: "gold"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("profile %v, want %v", p, want)
	}
}

// TestSetProfileRefusal holds SetProfile to setting the fields Chat takes
// when it refuses one of them: Chat's answer does not say which, so they
// go one by one.
func TestSetProfileRefusal(t *testing.T) {
	f := newFixture(t, chatemu.Options{CustomProfileFields: []string{"Tier"}}, chatapi.Config{})
	f.emu.Seed("alice")
	res, err := f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{gender, role, tier})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{chat.TagGender, tier.Tag}; !reflect.DeepEqual(res.Set, want) {
		t.Errorf("set %v, want %v", res.Set, want)
	}
	if len(res.Refused) != 1 || res.Refused[0].Tag != role.Tag || res.Refused[0].Code != chat.CodeProfileBadField {
		t.Errorf("refused %+v, want %s with 40001", res.Refused, role.Tag)
	}
	if got := f.emu.Requests(chat.CmdPortraitSet); got != 4 || res.Calls != 4 {
		t.Errorf("%d requests, %d calls; want 4 (all, then one by one)", got, res.Calls)
	}
	if p, _ := f.emu.Profile("alice"); len(p) != 2 || p[role.Tag] != nil {
		t.Errorf("profile %v", p)
	}
	if got := res.RefusedTags(); !reflect.DeepEqual(got, []string{"Tag_Profile_Custom_Role (code 40001)"}) {
		t.Errorf("RefusedTags() = %q", got)
	}
}

// TestSetProfileChecksFirst holds a field that cannot pass Chat's checks to
// costing no request, while the others are still set.
func TestSetProfileChecksFirst(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	f.emu.Seed("alice")
	long := chat.ProfileItem{Tag: chat.TagLocation, Value: strings.Repeat("l", 17)}
	res, err := f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{long, gender})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Set, []string{chat.TagGender}) || len(res.Refused) != 1 || res.Refused[0].Code != chat.CodeLocationTooLong {
		t.Errorf("result %+v", res)
	}
	if got := f.emu.Requests(chat.CmdPortraitSet); got != 1 {
		t.Errorf("%d requests, want 1 (the refused field costs none)", got)
	}
	f.emu.ResetCounters()
	res, err = f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{long})
	if err != nil || len(res.Set) != 0 || f.emu.TotalRequests() != 0 {
		t.Errorf("only a refused field: %+v, %v, %d requests; want none", res, err, f.emu.TotalRequests())
	}
	if _, err := f.client.SetProfile(context.Background(), strings.Repeat("x", 33), []chat.ProfileItem{gender}); chat.ErrorCode(err) != chat.CodeInvalidParameter || f.emu.TotalRequests() != 0 {
		t.Errorf("bad UserID: %v, %d requests", err, f.emu.TotalRequests())
	}
}

func TestSetProfileNoAccount(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	_, err := f.client.SetProfile(context.Background(), "nobody", []chat.ProfileItem{gender, birth})
	if chat.ErrorCode(err) != chat.CodeProfileNoAccount {
		t.Fatalf("SetProfile = %v, want 40003", err)
	}
	if got := f.emu.Requests(chat.CmdPortraitSet); got != 1 {
		t.Errorf("%d requests, want 1: 40003 is not retried nor split", got)
	}
}

func TestSetProfileRetries(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	f.emu.Seed("alice")
	f.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Code: chat.CodeProfileServerFailed})
	f.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Status: 502})
	res, err := f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{gender})
	if err != nil || len(res.Set) != 1 {
		t.Fatalf("SetProfile = %+v, %v", res, err)
	}
	if res.Attempts != 3 {
		t.Errorf("attempts %d, want 3 (40006 and 502 retried)", res.Attempts)
	}
	f.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Code: chat.CodeServerError, Times: 100})
	if _, err := f.client.SetProfile(context.Background(), "alice", []chat.ProfileItem{gender, birth}); chat.ErrorClass(err) != chat.ClassTransient {
		t.Errorf("transient failure past the retries: %v, want a transient error", err)
	}
}

// TestPortraitRateLimit holds portrait_set to Tencent's cap of 200 calls a
// second, and to the process's share of it.
func TestPortraitRateLimit(t *testing.T) {
	if got := chatapi.DefaultRateLimits[chat.CmdPortraitSet]; got != 200 {
		t.Errorf("DefaultRateLimits[portrait_set] = %v, want 200", got)
	}
	if got := chatapi.SharedRateLimits(0.25)[chat.CmdPortraitSet]; got != 50 {
		t.Errorf("SharedRateLimits(0.25)[portrait_set] = %v, want 50", got)
	}
}

func TestGetProfile(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	f.emu.Seed("alice")
	if _, err := f.client.SetPortrait(context.Background(), "alice", []chat.ProfileItem{birth}); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.client.GetProfile(context.Background(), []string{"alice", "nobody"}, []string{chat.TagBirthDay})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].ProfileItem) != 1 || got[1].ResultCode != chat.CodeProfileNoAccount {
		t.Fatalf("GetProfile = %+v", got)
	}
	if n, ok := chat.ProfileNumber(got[0].ProfileItem[0].Value); !ok || n != 19900517 {
		t.Errorf("birthday read back %v", got[0].ProfileItem[0].Value)
	}
}

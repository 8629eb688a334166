package chat_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

func TestParseProfileFields(t *testing.T) {
	tests := []struct {
		in      string
		want    chat.ProfileFields
		wantErr string // substring; "" for success
	}{
		{"", nil, ""},
		{"   ", nil, ""},
		{"gender=Tag_Profile_IM_Gender", chat.ProfileFields{{"gender", chat.TagGender}}, ""},
		{" gender = Tag_Profile_IM_Gender , birthdate=Tag_Profile_IM_BirthDay,custom:bio=Tag_Profile_IM_SelfSignature,locale=Tag_Profile_IM_Location,custom:tier=Tag_Profile_Custom_Tier_2",
			chat.ProfileFields{{"gender", chat.TagGender}, {"birthdate", chat.TagBirthDay}, {"custom:bio", chat.TagSelfSignature}, {"locale", chat.TagLocation}, {"custom:tier", "Tag_Profile_Custom_Tier_2"}}, ""},
		{"gender=Tag_Profile_IM_Gender,", nil, "pair 2 is empty"},
		{"gender", nil, "want cognito-attribute=ChatTag"},
		{"=Tag_Profile_IM_Gender", nil, "want cognito-attribute=ChatTag"},
		{"gender=", nil, "want cognito-attribute=ChatTag"},
		{"gender=Tag_Profile_IM_Gender=x", nil, "want cognito-attribute=ChatTag"},
		{"gender=Gender", nil, "unknown tag"},
		{"mood=Tag_Profile_IM_Mood", nil, "unknown tag"},
		{"nickname=Tag_Profile_IM_Nick", nil, "NICK_ATTRIBUTE"},
		{"picture=Tag_Profile_IM_Image", nil, "FACE_URL_ATTRIBUTE"},
		{"custom:tier=Tag_Profile_Custom_", nil, "letters, digits and _"},
		{"custom:tier=Tag_Profile_Custom_ti-er", nil, "letters, digits and _"},
		{"custom:tier=Tag_Profile_Custom_tier!", nil, "letters, digits and _"},
		{"gender=Tag_Profile_IM_Gender,custom:g=Tag_Profile_IM_Gender", nil, "Tag_Profile_IM_Gender is named twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := chat.ParseProfileFields(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseProfileFields(%q) error %v, want one with %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseProfileFields(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestProfileFieldsStringAndKeys(t *testing.T) {
	f, err := chat.ParseProfileFields("gender=Tag_Profile_IM_Gender, custom:tier=Tag_Profile_Custom_Tier,custom:role=Tag_Profile_Custom_Role")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.String(), "gender=Tag_Profile_IM_Gender,custom:tier=Tag_Profile_Custom_Tier,custom:role=Tag_Profile_Custom_Role"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := f.CustomKeys(); !reflect.DeepEqual(got, []string{"Tier", "Role"}) {
		t.Errorf("CustomKeys() = %v", got)
	}
}

// TestProfileConversions holds each Cognito value to the Chat field it
// becomes, or to being dropped with a reason.
func TestProfileConversions(t *testing.T) {
	fields := chat.ProfileFields{
		{"gender", chat.TagGender}, {"birthdate", chat.TagBirthDay}, {"custom:bio", chat.TagSelfSignature},
		{"locale", chat.TagLocation}, {"custom:tier", "Tag_Profile_Custom_Tier"},
	}
	tests := []struct {
		name    string
		attr    string
		value   string
		want    any    // the Value sent; nil when dropped or not sent
		dropped string // substring of the reason; "" when not dropped
	}{
		{"male", "gender", "male", chat.GenderMale, ""},
		{"female", "gender", "female", chat.GenderFemale, ""},
		{"male in capitals", "gender", "MALE", chat.GenderMale, ""},
		{"other gender", "gender", "nonbinary", chat.GenderUnknown, ""},
		{"gender with spaces", "gender", " female ", chat.GenderFemale, ""},
		{"birthdate", "birthdate", "1990-05-17", uint32(19900517), ""},
		{"birthdate in a leap year", "birthdate", "2000-02-29", uint32(20000229), ""},
		{"birthdate not a date", "birthdate", "2001-02-29", nil, "YYYY-MM-DD"},
		{"birthdate without a year", "birthdate", "0000-05-17", nil, "no year"},
		{"birthdate in another form", "birthdate", "17/05/1990", nil, "YYYY-MM-DD"},
		{"birthdate short", "birthdate", "1990-5-17", nil, "YYYY-MM-DD"},
		{"signature", "custom:bio", "hello, world", "hello, world", ""},
		{"signature at 500 bytes", "custom:bio", strings.Repeat("s", 500), strings.Repeat("s", 500), ""},
		{"signature over 500 bytes", "custom:bio", strings.Repeat("s", 501), nil, "501 bytes"},
		{"signature not UTF-8", "custom:bio", "\xff", nil, "UTF-8"},
		{"location at 16 bytes", "locale", strings.Repeat("l", 16), strings.Repeat("l", 16), ""},
		{"location over 16 bytes", "locale", strings.Repeat("l", 17), nil, "at most 16"},
		{"custom at 500 bytes", "custom:tier", strings.Repeat("c", 500), strings.Repeat("c", 500), ""},
		{"custom over 500 bytes", "custom:tier", strings.Repeat("c", 501), nil, "at most 500"},
		{"empty is not sent", "gender", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, dropped := fields.Items(map[string]string{tt.attr: tt.value, "other": "x"})
			switch {
			case tt.dropped != "":
				if len(items) != 0 || len(dropped) != 1 || !strings.Contains(dropped[0], tt.dropped) {
					t.Fatalf("Items = %v, dropped %q; want it dropped with %q", items, dropped, tt.dropped)
				}
			case tt.want == nil:
				if len(items) != 0 || len(dropped) != 0 {
					t.Fatalf("Items = %v, dropped %q; want nothing", items, dropped)
				}
			default:
				if len(items) != 1 || len(dropped) != 0 || items[0].Value != tt.want {
					t.Fatalf("Items = %#v, dropped %q; want Value %#v", items, dropped, tt.want)
				}
				if err := items[0].Validate(); err != nil {
					t.Errorf("a converted field fails its own check: %v", err)
				}
			}
		})
	}
}

func TestMappingProfileItems(t *testing.T) {
	if items, dropped := (chat.Mapping{}).ProfileItems(map[string]string{"gender": "male"}); items != nil || dropped != nil {
		t.Errorf("no PROFILE_ATTRIBUTES: ProfileItems = %v, %v; want nothing", items, dropped)
	}
	m := chat.Mapping{Profile: chat.ProfileFields{{"gender", chat.TagGender}, {"birthdate", chat.TagBirthDay}}}.WithDefaults()
	items, dropped := m.ProfileItems(map[string]string{"gender": "female", "birthdate": "x"})
	if len(items) != 1 || items[0] != (chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderFemale}) || len(dropped) != 1 {
		t.Errorf("ProfileItems = %v, dropped %v", items, dropped)
	}
}

func TestProfileItemValidate(t *testing.T) {
	tests := []struct {
		it   chat.ProfileItem
		code int
	}{
		{chat.ProfileItem{Tag: chat.TagGender, Value: chat.GenderUnknown}, 0},
		{chat.ProfileItem{Tag: chat.TagGender, Value: "male"}, chat.CodeProfileRefused},
		{chat.ProfileItem{Tag: chat.TagGender, Value: 1.0}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: chat.TagBirthDay, Value: float64(19900517)}, 0},
		{chat.ProfileItem{Tag: chat.TagBirthDay, Value: 1.5}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: chat.TagBirthDay, Value: float64(1 << 33)}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: chat.TagBirthDay, Value: "19900517"}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: chat.TagLocation, Value: strings.Repeat("l", 17)}, chat.CodeLocationTooLong},
		{chat.ProfileItem{Tag: chat.TagNick, Value: strings.Repeat("n", 501)}, chat.CodeProfileTooLong},
		{chat.ProfileItem{Tag: "Tag_Profile_Custom_X", Value: "v"}, 0},
		{chat.ProfileItem{Tag: "Tag_Profile_Custom_", Value: "v"}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: "Tag_Profile_IM_AllowType", Value: "v"}, chat.CodeProfileBadField},
		{chat.ProfileItem{Tag: chat.TagSelfSignature, Value: nil}, chat.CodeProfileBadField},
	}
	for _, tt := range tests {
		err := tt.it.Validate()
		if got := chat.ErrorCode(err); got != tt.code {
			t.Errorf("%+v: Validate() = %v, want code %d", tt.it, err, tt.code)
		}
		if err != nil && chat.ErrorClass(err) != chat.ClassCaller {
			t.Errorf("%+v: class %v, want caller", tt.it, chat.ErrorClass(err))
		}
	}
}

func TestIsProfileRefusal(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40001, Class: chat.Classify(40001)}, true},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40005, Class: chat.Classify(40005)}, true},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40601, Class: chat.Classify(40601)}, true},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40605, Class: chat.Classify(40605)}, true},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40009, Class: chat.Classify(40009)}, true}, // an undocumented profile code
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40003, Class: chat.Classify(40003)}, false},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 40006, Class: chat.Classify(40006)}, false},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 70500, Class: chat.Classify(70500)}, false},
		{&chat.Error{Command: chat.CmdPortraitSet, Code: 70403, Class: chat.Classify(70403)}, false},
		{errors.New("plain"), false},
	}
	for _, tt := range tests {
		if got := chat.IsProfileRefusal(tt.err); got != tt.want {
			t.Errorf("IsProfileRefusal(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	for _, code := range []int{40001, 40003, 40005, 40601, 40605} {
		if c := chat.Classify(code); c != chat.ClassCaller {
			t.Errorf("Classify(%d) = %v, want caller (never retried)", code, c)
		}
	}
	if c := chat.Classify(40006); c != chat.ClassTransient {
		t.Errorf("Classify(40006) = %v, want transient", c)
	}
}

// TestPendingImportProfile holds the retry message to its version 1 form:
// the profile is an addition that older messages lack, and a birthday
// survives the round trip as a number Chat takes.
func TestPendingImportProfile(t *testing.T) {
	old := `{"version":1,"account":{"UserID":"u1","Nick":"N"},"userPoolId":"p","userName":"n","reason":"r","firstFailedAt":"2026-12-01T00:00:00Z","futureField":true}`
	p, err := chat.DecodePendingImport([]byte(old))
	if err != nil || p.Account.UserID != "u1" || p.Profile != nil {
		t.Fatalf("message without a profile: %+v, %v", p, err)
	}
	in := chat.PendingImport{Version: chat.PendingVersion, Account: chat.Account{UserID: "u1"}, Profile: []chat.ProfileItem{
		{Tag: chat.TagBirthDay, Value: uint32(19900517)}, {Tag: chat.TagGender, Value: chat.GenderMale},
	}}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"profile":[{"Tag":"Tag_Profile_IM_BirthDay","Value":19900517}`) {
		t.Errorf("message %s", body)
	}
	out, err := chat.DecodePendingImport(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Profile) != 2 {
		t.Fatalf("profile %v", out.Profile)
	}
	for _, it := range out.Profile {
		if err := it.Validate(); err != nil {
			t.Errorf("%+v after the round trip: %v", it, err)
		}
	}
	if n, ok := chat.ProfileNumber(out.Profile[0].Value); !ok || n != 19900517 {
		t.Errorf("birthday after the round trip = %v", out.Profile[0].Value)
	}
	plain, _ := json.Marshal(chat.PendingImport{Version: 1, Account: chat.Account{UserID: "u1"}})
	if strings.Contains(string(plain), "profile") {
		t.Errorf("a message without profile fields names them: %s", plain)
	}
}

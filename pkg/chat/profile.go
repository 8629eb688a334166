package chat

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// CmdPortraitSet and CmdPortraitGet are the profile service's commands:
// v4/profile/portrait_set sets fields of one account's profile,
// v4/profile/portrait_get reads them.
const (
	CmdPortraitSet = "portrait_set"
	CmdPortraitGet = "portrait_get"
)

// Profile tags that PROFILE_ATTRIBUTES may name, and the prefix of custom
// fields (which must first be set up in the Chat console).
const (
	TagNick          = "Tag_Profile_IM_Nick"  // set through NICK_ATTRIBUTE, not PROFILE_ATTRIBUTES
	TagImage         = "Tag_Profile_IM_Image" // FaceUrl: set through FACE_URL_ATTRIBUTE
	TagGender        = "Tag_Profile_IM_Gender"
	TagBirthDay      = "Tag_Profile_IM_BirthDay"
	TagSelfSignature = "Tag_Profile_IM_SelfSignature"
	TagLocation      = "Tag_Profile_IM_Location"
	CustomTagPrefix  = "Tag_Profile_Custom_"
)

// Values of the Tag_Profile_IM_Gender field.
const (
	GenderUnknown = "Gender_Type_Unknown"
	GenderFemale  = "Gender_Type_Female"
	GenderMale    = "Gender_Type_Male"
)

// Profile limits documented by Tencent.
const (
	MaxLocationBytes = 16  // Tag_Profile_IM_Location
	MaxProfileItems  = 100 // fields we send in one portrait_set: far more than PROFILE_ATTRIBUTES can name
)

// Profile error codes of portrait_set.
const (
	CodeProfileBadField     = 40001 // a tag Chat does not know (or not set up), or a value of the wrong type
	CodeProfileNoAccount    = 40003 // the account does not exist
	CodeLocationTooLong     = 40605 // Tag_Profile_IM_Location over 16 bytes
	CodeProfileServerFailed = 40006 // profile service internal timeout: transient
)

// ProfileItem is one profile field as portrait_set takes it. Value is a
// string, or a number for Tag_Profile_IM_BirthDay.
type ProfileItem struct {
	Tag   string `json:"Tag"`
	Value any    `json:"Value"`
}

// PortraitSetRequest is the body of portrait_set.
type PortraitSetRequest struct {
	FromAccount string        `json:"From_Account"`
	ProfileItem []ProfileItem `json:"ProfileItem"`
}

// PortraitGetRequest is the body of portrait_get.
type PortraitGetRequest struct {
	ToAccount []string `json:"To_Account"`
	TagList   []string `json:"TagList"`
}

// UserProfile is one account's entry in a portrait_get reply.
type UserProfile struct {
	ToAccount   string        `json:"To_Account"`
	ProfileItem []ProfileItem `json:"ProfileItem"`
	ResultCode  int           `json:"ResultCode"`
	ResultInfo  string        `json:"ResultInfo"`
}

// ProfileField maps one Cognito attribute to one Chat profile tag.
type ProfileField struct {
	Attribute string // a Cognito attribute, such as "gender" or "custom:tier"
	Tag       string // a Chat tag, such as "Tag_Profile_IM_Gender"
}

// ProfileFields is the parsed PROFILE_ATTRIBUTES setting: which Cognito
// attributes become which Chat profile fields, beyond Nick and FaceUrl.
type ProfileFields []ProfileField

// ParseProfileFields parses "attribute=Tag,attribute=Tag,...". Spaces
// around names are ignored; an empty string means no fields. Each tag may
// appear once, and must be Tag_Profile_IM_Gender, Tag_Profile_IM_BirthDay,
// Tag_Profile_IM_SelfSignature, Tag_Profile_IM_Location or
// Tag_Profile_Custom_<key> with a key of letters, digits and "_".
func ParseProfileFields(s string) (ProfileFields, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var (
		fields ProfileFields
		seen   = map[string]bool{}
	)
	for i, pair := range strings.Split(s, ",") {
		attr, tag, ok := strings.Cut(pair, "=")
		attr, tag = strings.TrimSpace(attr), strings.TrimSpace(tag)
		switch {
		case strings.TrimSpace(pair) == "":
			return nil, fmt.Errorf("pair %d is empty", i+1)
		case !ok || attr == "" || tag == "" || strings.Contains(tag, "="):
			return nil, fmt.Errorf("pair %d %q: want cognito-attribute=ChatTag", i+1, strings.TrimSpace(pair))
		case seen[tag]:
			return nil, fmt.Errorf("%s is named twice", tag)
		}
		if err := checkTag(tag); err != nil {
			return nil, fmt.Errorf("pair %d %q: %w", i+1, strings.TrimSpace(pair), err)
		}
		seen[tag] = true
		fields = append(fields, ProfileField{Attribute: attr, Tag: tag})
	}
	return fields, nil
}

// checkTag reports whether PROFILE_ATTRIBUTES may name tag.
func checkTag(tag string) error {
	switch tag {
	case TagGender, TagBirthDay, TagSelfSignature, TagLocation:
		return nil
	case TagNick:
		return errors.New("Nick comes from NICK_ATTRIBUTE")
	case TagImage:
		return errors.New("FaceUrl comes from FACE_URL_ATTRIBUTE")
	}
	key, ok := strings.CutPrefix(tag, CustomTagPrefix)
	if !ok {
		return fmt.Errorf("unknown tag: want %s, %s, %s, %s or %s<key>", TagGender, TagBirthDay, TagSelfSignature, TagLocation, CustomTagPrefix)
	}
	if !validCustomKey(key) {
		return fmt.Errorf("a custom field's key is letters, digits and _ only, and not empty")
	}
	return nil
}

func validCustomKey(key string) bool {
	if key == "" {
		return false
	}
	for _, c := range key {
		if !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// String returns the fields in PROFILE_ATTRIBUTES form.
func (f ProfileFields) String() string {
	parts := make([]string, len(f))
	for i, p := range f {
		parts[i] = p.Attribute + "=" + p.Tag
	}
	return strings.Join(parts, ",")
}

// CustomKeys returns the keys of the custom fields, without the
// Tag_Profile_Custom_ prefix: the fields to set up in the Chat console.
func (f ProfileFields) CustomKeys() []string {
	var keys []string
	for _, p := range f {
		if k, ok := strings.CutPrefix(p.Tag, CustomTagPrefix); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// Items converts a user's attributes to profile fields. An attribute that
// is absent or empty is not sent (Chat keeps what it has). A value that
// cannot be converted or is over its limit is left out and named in
// dropped ("Tag: why"), since a profile field must never cost the account.
func (f ProfileFields) Items(attrs map[string]string) (items []ProfileItem, dropped []string) {
	for _, p := range f {
		v := attrs[p.Attribute]
		if v == "" {
			continue
		}
		it, err := convert(p.Tag, v)
		if err != nil {
			dropped = append(dropped, p.Tag+": "+err.Error())
			continue
		}
		items = append(items, it)
	}
	return items, dropped
}

// convert turns a Cognito attribute value into the field tag takes.
func convert(tag, v string) (ProfileItem, error) {
	switch tag {
	case TagGender:
		return ProfileItem{Tag: tag, Value: Gender(v)}, nil
	case TagBirthDay:
		n, err := BirthDay(v)
		if err != nil {
			return ProfileItem{}, err
		}
		return ProfileItem{Tag: tag, Value: n}, nil
	}
	it := ProfileItem{Tag: tag, Value: v}
	if err := it.Validate(); err != nil {
		return ProfileItem{}, errors.New(ErrorInfo(err))
	}
	return it, nil
}

// Gender converts Cognito's gender attribute: "male" and "female" (in any
// case) become Gender_Type_Male and Gender_Type_Female, anything else
// Gender_Type_Unknown.
func Gender(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "male":
		return GenderMale
	case "female":
		return GenderFemale
	}
	return GenderUnknown
}

// BirthDay converts Cognito's birthdate attribute, YYYY-MM-DD, to the
// integer YYYYMMDD that Chat's Tag_Profile_IM_BirthDay holds. A date
// without a year (0000-MM-DD, which OpenID Connect allows) or in any other
// form is an error.
func BirthDay(v string) (uint32, error) {
	v = strings.TrimSpace(v)
	t, err := time.Parse(time.DateOnly, v)
	// The messages leave the value out: it is personal data, and they
	// reach the logs.
	if err != nil || len(v) != len(time.DateOnly) {
		return 0, errors.New("not a date of the form YYYY-MM-DD")
	}
	if t.Year() < 1 {
		return 0, errors.New("the date has no year")
	}
	return uint32(t.Year()*10000 + int(t.Month())*100 + t.Day()), nil
}

// Validate reports whether Chat can take the field: a tag PROFILE_ATTRIBUTES
// may name (or Nick, or FaceUrl's Tag_Profile_IM_Image), and a value of the
// tag's type within its limits. The error is an *Error carrying the code
// Chat itself would answer.
func (it ProfileItem) Validate() error {
	switch it.Tag {
	case TagGender:
		s, ok := it.Value.(string)
		if !ok {
			return Errorf(CodeProfileBadField, "%s must be a string", it.Tag)
		}
		if s != GenderUnknown && s != GenderFemale && s != GenderMale {
			return Errorf(CodeProfileRefused, "%s must be %s, %s or %s", it.Tag, GenderMale, GenderFemale, GenderUnknown)
		}
		return nil
	case TagBirthDay:
		if _, ok := ProfileNumber(it.Value); !ok {
			return Errorf(CodeProfileBadField, "%s must be an integer from 0 to 4294967295", it.Tag)
		}
		return nil
	case TagLocation:
		return validateProfileString(it, MaxLocationBytes, CodeLocationTooLong)
	case TagNick, TagImage, TagSelfSignature:
		return validateProfileString(it, MaxProfileBytes, CodeProfileTooLong)
	}
	if key, ok := strings.CutPrefix(it.Tag, CustomTagPrefix); ok && validCustomKey(key) {
		return validateProfileString(it, MaxProfileBytes, CodeProfileTooLong)
	}
	return Errorf(CodeProfileBadField, "%q is not a profile tag this project sets", it.Tag)
}

func validateProfileString(it ProfileItem, limit, code int) error {
	s, ok := it.Value.(string)
	switch {
	case !ok:
		return Errorf(CodeProfileBadField, "%s must be a string", it.Tag)
	case len(s) > limit:
		return Errorf(code, "%s is %d bytes, at most %d allowed", it.Tag, len(s), limit)
	case !utf8.ValidString(s):
		return Errorf(CodeProfileRefused, "%s is not valid UTF-8", it.Tag)
	}
	return nil
}

// ProfileNumber returns v as an unsigned 32-bit integer when it is one: a
// Go integer, or a JSON number decoded as float64 that is whole and in
// range.
func ProfileNumber(v any) (uint32, bool) {
	switch n := v.(type) {
	case uint32:
		return n, true
	case int:
		return uint32(n), n >= 0 && n <= math.MaxUint32
	case float64:
		return uint32(n), n >= 0 && n <= math.MaxUint32 && n == math.Trunc(n)
	}
	return 0, false
}

// IsProfileRefusal reports whether err from portrait_set is Chat refusing
// a field (its tag, type or value) rather than the account or the call:
// any caller-class code, or any code of the profile service (40000 to
// 40999) that is not transient, except 40003 (no such account).
func IsProfileRefusal(err error) bool {
	code := ErrorCode(err)
	if code == CodeProfileNoAccount || code == 0 {
		return false
	}
	switch ErrorClass(err) {
	case ClassCaller:
		return true
	case ClassConfiguration:
		return code >= 40000 && code <= 40999
	}
	return false
}

// ProfileRefusal is a field that was not set, and why.
type ProfileRefusal struct {
	Tag  string
	Code int
	Info string
}

// ProfileResult is the outcome of setting one account's profile fields.
type ProfileResult struct {
	Set     []string         // tags set
	Refused []ProfileRefusal // fields refused, by the check before any call or by Chat
	Stats
}

// RefusedTags returns "Tag (code N)" for each refused field, for logs.
func (r ProfileResult) RefusedTags() []string {
	if len(r.Refused) == 0 {
		return nil
	}
	out := make([]string, len(r.Refused))
	for i, f := range r.Refused {
		out[i] = fmt.Sprintf("%s (code %d)", f.Tag, f.Code)
	}
	return out
}

package chatemu

import (
	"encoding/json"
	"maps"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// portraitSetBody is portrait_set's body as the emulator reads it: values
// are kept raw so that their JSON type can be checked.
type portraitSetBody struct {
	FromAccount *string `json:"From_Account"`
	ProfileItem []struct {
		Tag   string          `json:"Tag"`
		Value json.RawMessage `json:"Value"`
	} `json:"ProfileItem"`
}

// portraitSet executes portrait_set: every field is checked, then all are
// set at once, or none.
func (s *Server) portraitSet(body []byte) chat.Envelope {
	var req portraitSetBody
	if err := decode(body, &req); err != nil {
		return errorEnvelope(asProfileError(err))
	}
	switch {
	case req.FromAccount == nil || *req.FromAccount == "":
		return failure(chat.CodeProfileBadField, "From_Account is required")
	case len(req.ProfileItem) == 0:
		return failure(chat.CodeProfileBadField, "ProfileItem is empty")
	}
	id := *req.FromAccount
	items := make([]chat.ProfileItem, len(req.ProfileItem))
	for i, raw := range req.ProfileItem {
		it, err := s.profileItem(raw.Tag, raw.Value)
		if err != nil {
			return errorEnvelope(err)
		}
		items[i] = it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, exists := s.accounts[id]
	if !exists {
		return failure(chat.CodeProfileNoAccount, "account does not exist")
	}
	p := s.profiles[id]
	if p == nil {
		p = make(map[string]any)
		s.profiles[id] = p
	}
	for _, it := range items {
		switch it.Tag {
		case chat.TagNick:
			a.Nick = it.Value.(string)
		case chat.TagImage:
			a.FaceURL = it.Value.(string)
		default:
			p[it.Tag] = it.Value
		}
	}
	s.accounts[id] = a
	return success()
}

// profileItem checks one field: a tag the app knows, a value of its type,
// within its limits.
func (s *Server) profileItem(tag string, raw json.RawMessage) (chat.ProfileItem, *chat.Error) {
	if !s.knownTag(tag) {
		return chat.ProfileItem{}, chat.Errorf(chat.CodeProfileBadField, "%q is not a standard profile field or a custom field set up for the app", tag)
	}
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v == nil {
		return chat.ProfileItem{}, chat.Errorf(chat.CodeProfileBadField, "%s has no value", tag)
	}
	if tag == chat.TagBirthDay {
		n, ok := chat.ProfileNumber(v)
		if !ok {
			return chat.ProfileItem{}, chat.Errorf(chat.CodeProfileBadField, "%s must be an integer from 0 to 4294967295", tag)
		}
		v = n
	}
	it := chat.ProfileItem{Tag: tag, Value: v}
	return it, asError(it.Validate())
}

// knownTag reports whether tag is a standard field the emulator models or
// a custom field set up for the app.
func (s *Server) knownTag(tag string) bool {
	switch tag {
	case chat.TagNick, chat.TagImage, chat.TagGender, chat.TagBirthDay, chat.TagSelfSignature, chat.TagLocation:
		return true
	}
	key, ok := strings.CutPrefix(tag, chat.CustomTagPrefix)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.custom[key]
}

// asProfileError maps a body decoding error to the profile service's code:
// a body that is not JSON keeps 60003, a field of the wrong type is 40001.
func asProfileError(err *chat.Error) *chat.Error {
	if err.Code == chat.CodeBadJSON {
		return err
	}
	return chat.Errorf(chat.CodeProfileBadField, "%s", err.Info)
}

// portraitGet executes portrait_get: for each account of To_Account (1 to
// 100), the fields of TagList that are set, or ResultCode 40003 when the
// account does not exist.
func (s *Server) portraitGet(body []byte) chat.Envelope {
	var req chat.PortraitGetRequest
	if err := decode(body, &req); err != nil {
		return errorEnvelope(asProfileError(err))
	}
	if err := batchSize(len(req.ToAccount)); err != nil {
		return errorEnvelope(err)
	}
	if len(req.TagList) == 0 {
		return failure(chat.CodeProfileBadField, "TagList is empty")
	}
	for _, tag := range req.TagList {
		if !s.knownTag(tag) {
			return failure(chat.CodeProfileBadField, "TagList: "+tag+" is not a standard profile field or a custom field set up for the app")
		}
	}
	env := success()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range req.ToAccount {
		a, exists := s.accounts[id]
		up := chat.UserProfile{ToAccount: id, ProfileItem: []chat.ProfileItem{}}
		if !exists {
			up.ResultCode, up.ResultInfo = chat.CodeProfileNoAccount, "account does not exist"
			env.UserProfileItem = append(env.UserProfileItem, up)
			continue
		}
		for _, tag := range req.TagList {
			var v any
			switch tag {
			case chat.TagNick:
				v = a.Nick
			case chat.TagImage:
				v = a.FaceURL
			default:
				v = s.profiles[id][tag]
			}
			if v != nil && v != "" {
				up.ProfileItem = append(up.ProfileItem, chat.ProfileItem{Tag: tag, Value: v})
			}
		}
		env.UserProfileItem = append(env.UserProfileItem, up)
	}
	return env
}

// Profile returns the profile fields of account id beyond Nick and
// FaceUrl, by tag (BirthDay as a uint32), and whether the account exists.
func (s *Server) Profile(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[id]; !ok {
		return nil, false
	}
	return maps.Clone(s.profiles[id]), true
}

// SetUpCustomFields sets up custom profile fields by key (without
// Tag_Profile_Custom_), as an operator does in the Chat console.
func (s *Server) SetUpCustomFields(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.custom[k] = true
	}
}

package handler

import (
	"fmt"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Mapping says which Cognito attributes become the Chat account's UserID,
// Nick and FaceUrl (USER_ID_ATTRIBUTE, NICK_ATTRIBUTE, FACE_URL_ATTRIBUTE).
type Mapping struct {
	UserIDAttribute  string // "sub" (hyphens removed), "username", or a user attribute name; default "sub"
	NickAttribute    string // default "nickname"; "-" turns it off
	FaceURLAttribute string // default "picture"; "-" turns it off
}

func (m Mapping) withDefaults() Mapping {
	if m.UserIDAttribute == "" {
		m.UserIDAttribute = "sub"
	}
	if m.NickAttribute == "" {
		m.NickAttribute = "nickname"
	}
	if m.FaceURLAttribute == "" {
		m.FaceURLAttribute = "picture"
	}
	return m
}

// userID picks the UserID: lookup returns an attribute or claim, userName
// is the Cognito username. The sub is a UUID of 36 characters, over Chat's
// 32-byte limit, so it loses its hyphens: 32 hex characters, still unique.
func (m Mapping) userID(lookup func(string) (string, bool), userName string) (string, error) {
	switch m.UserIDAttribute {
	case "sub":
		sub, ok := lookup("sub")
		if !ok || sub == "" {
			return "", fmt.Errorf("no sub")
		}
		return strings.ReplaceAll(sub, "-", ""), nil
	case "username":
		if userName == "" {
			return "", fmt.Errorf("no username")
		}
		return userName, nil
	default:
		v, ok := lookup(m.UserIDAttribute)
		if !ok || v == "" {
			return "", fmt.Errorf("no %s attribute", m.UserIDAttribute)
		}
		return v, nil
	}
}

// Account maps a Cognito user to a Chat account. The UserID is validated;
// an over-long or invalid Nick or FaceUrl is dropped and reported in
// dropped, since a sign-up must not fail over a profile field.
func (m Mapping) Account(userName string, attrs map[string]string) (a chat.Account, dropped []string, err error) {
	m = m.withDefaults()
	lookup := func(k string) (string, bool) { v, ok := attrs[k]; return v, ok }
	if a.UserID, err = m.userID(lookup, userName); err != nil {
		return a, nil, err
	}
	if err := chat.ValidateUserID(a.UserID); err != nil {
		return a, nil, err
	}
	if m.NickAttribute != "-" {
		a.Nick = attrs[m.NickAttribute]
	}
	if m.FaceURLAttribute != "-" {
		a.FaceURL = attrs[m.FaceURLAttribute]
	}
	if err := (chat.Account{UserID: a.UserID, Nick: a.Nick}).Validate(); err != nil {
		a.Nick, dropped = "", append(dropped, "Nick")
	}
	if err := (chat.Account{UserID: a.UserID, FaceURL: a.FaceURL}).Validate(); err != nil {
		a.FaceURL, dropped = "", append(dropped, "FaceUrl")
	}
	return a, dropped, nil
}

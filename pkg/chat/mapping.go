package chat

import (
	"fmt"
	"strings"
)

// Default attributes of a Mapping, the defaults of USER_ID_ATTRIBUTE,
// NICK_ATTRIBUTE and FACE_URL_ATTRIBUTE.
const (
	DefaultUserIDAttribute  = "sub"
	DefaultNickAttribute    = "nickname"
	DefaultFaceURLAttribute = "picture"
)

// SourceUsername is the UserIDAttribute that maps a user's Cognito
// username to their UserID.
const SourceUsername = "username"

// Mapping says which Cognito attributes become the Chat account's UserID,
// Nick and FaceUrl (USER_ID_ATTRIBUTE, NICK_ATTRIBUTE, FACE_URL_ATTRIBUTE).
//
// The UserID decides whose account a request acts on, so its source must be
// something users cannot write: the sub, the username, or an attribute the
// app clients leave out of their write attributes. A user who could set it
// could take over, or delete, someone else's Chat account.
type Mapping struct {
	UserIDAttribute  string // "sub" (hyphens removed), "username", or a user attribute name; default "sub"
	NickAttribute    string // default "nickname"; "-" turns it off
	FaceURLAttribute string // default "picture"; "-" turns it off

	// Profile lists the further profile fields (PROFILE_ATTRIBUTES),
	// set with portrait_set once the account exists; nil: none.
	Profile ProfileFields
}

// ProfileItems returns the profile fields of a user's attributes under
// m.Profile, and the ones left out because they could not be converted
// (see ProfileFields.Items).
func (m Mapping) ProfileItems(attrs map[string]string) (items []ProfileItem, dropped []string) {
	if len(m.Profile) == 0 {
		return nil, nil
	}
	return m.Profile.Items(attrs)
}

// WithDefaults returns m with its empty fields set to the defaults.
func (m Mapping) WithDefaults() Mapping {
	if m.UserIDAttribute == "" {
		m.UserIDAttribute = DefaultUserIDAttribute
	}
	if m.NickAttribute == "" {
		m.NickAttribute = DefaultNickAttribute
	}
	if m.FaceURLAttribute == "" {
		m.FaceURLAttribute = DefaultFaceURLAttribute
	}
	return m
}

// UserID picks the UserID: lookup returns an attribute or claim, userName
// is the Cognito username. The sub is a UUID of 36 characters, over Chat's
// 32-byte limit, so it loses its hyphens: 32 hex characters, still unique.
func (m Mapping) UserID(lookup func(string) (string, bool), userName string) (string, error) {
	switch attr := m.WithDefaults().UserIDAttribute; attr {
	case "sub":
		sub, ok := lookup("sub")
		if !ok || sub == "" {
			return "", fmt.Errorf("no sub")
		}
		return SubUserID(sub), nil
	case "username":
		if userName == "" {
			return "", fmt.Errorf("no username")
		}
		return userName, nil
	default:
		v, ok := lookup(attr)
		if !ok || v == "" {
			return "", fmt.Errorf("no %s attribute", attr)
		}
		return v, nil
	}
}

// SubUserID returns the UserID of a Cognito sub: the UUID without its
// hyphens.
func SubUserID(sub string) string { return strings.ReplaceAll(sub, "-", "") }

// Account maps a Cognito user to a Chat account. The UserID is validated;
// an over-long or invalid Nick or FaceUrl is dropped and reported in
// dropped, since a sign-up must not fail over a profile field.
func (m Mapping) Account(userName string, attrs map[string]string) (a Account, dropped []string, err error) {
	m = m.WithDefaults()
	lookup := func(k string) (string, bool) { v, ok := attrs[k]; return v, ok }
	if a.UserID, err = m.UserID(lookup, userName); err != nil {
		return a, nil, err
	}
	if err := ValidateUserID(a.UserID); err != nil {
		if m.UserIDAttribute == "username" && isUUID(a.UserID) {
			return a, nil, fmt.Errorf("%w (the username is a UUID, as Cognito makes it when a pool signs in by email or phone: map USER_ID_ATTRIBUTE=sub instead)", err)
		}
		return a, nil, err
	}
	if m.NickAttribute != "-" {
		a.Nick = attrs[m.NickAttribute]
	}
	if m.FaceURLAttribute != "-" {
		a.FaceURL = attrs[m.FaceURLAttribute]
	}
	if err := (Account{UserID: a.UserID, Nick: a.Nick}).Validate(); err != nil {
		a.Nick, dropped = "", append(dropped, "Nick")
	}
	if err := (Account{UserID: a.UserID, FaceURL: a.FaceURL}).Validate(); err != nil {
		a.FaceURL, dropped = "", append(dropped, "FaceUrl")
	}
	return a, dropped, nil
}

// isUUID reports whether s has the form of a UUID: 36 characters, hex
// digits in groups of 8-4-4-4-12.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}

// Package chat holds the domain types shared by every part of the project:
// Tencent Cloud Chat accounts, the envelope the Chat REST API answers with,
// its error codes and what a client does with each, and the admin
// credentials. It depends on nothing outside the standard library; the
// packages that talk to Chat, Secrets Manager, SQS and Lambda build on it.
package chat

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits documented by Tencent for the account commands.
const (
	MaxUserIDBytes  = 32  // UserID is 1 to 32 bytes
	MaxProfileBytes = 500 // Nick and FaceUrl are at most 500 bytes each
	MaxPerCall      = 100 // accounts per multiaccount_import, account_delete, account_check
	MaxBatch        = 1000
)

// Commands of the im_open_login_svc service that this project uses.
const (
	CmdImport      = "account_import"
	CmdMultiImport = "multiaccount_import"
	CmdDelete      = "account_delete"
	CmdCheck       = "account_check"
	CmdKick        = "kick" // invalidates one account's login state (its UserSigs so far)
)

// Account is a Chat account as account_import and multiaccount_import take it.
type Account struct {
	UserID  string `json:"UserID"`
	Nick    string `json:"Nick,omitempty"`
	FaceURL string `json:"FaceUrl,omitempty"`
}

// Validate reports whether a can be sent to Chat: a UserID that
// ValidateUserID accepts, a Nick and FaceUrl of at most 500 bytes of valid
// UTF-8. The error is an
// *Error of class ClassCaller carrying the code Chat itself would answer.
func (a Account) Validate() error {
	if err := ValidateUserID(a.UserID); err != nil {
		return err
	}
	return a.ValidateProfile()
}

// ValidateProfile reports whether a's Nick and FaceUrl can be sent to Chat:
// at most 500 bytes each, valid UTF-8.
func (a Account) ValidateProfile() error {
	if err := validateProfile("Nick", a.Nick); err != nil {
		return err
	}
	return validateProfile("FaceUrl", a.FaceURL)
}

// ValidateUserID reports whether id is a UserID this project sends to Chat:
// one Chat's account API takes (ValidateAPIUserID) and that the Chat SDK can
// log in with. Tencent's login docs allow at most 32 bytes of letters,
// digits, "_" and "-"; the SDK's own check names printable ASCII. So any
// byte outside printable ASCII (0x21 to 0x7e: no space, nothing beyond
// ASCII) is refused, since an account with such a UserID could never log
// in. Other punctuation (an email address, for example) is accepted but is
// outside Tencent's recommendation.
func ValidateUserID(id string) error {
	if err := ValidateAPIUserID(id); err != nil {
		return err
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			r, _ := utf8.DecodeRuneInString(id[i:])
			return Errorf(CodeInvalidParameter, "UserID holds %q at byte %d: the Chat SDK logs in only UserIDs of printable ASCII (letters, digits, _ and - are recommended)", r, i)
		}
	}
	return nil
}

// ValidateAPIUserID reports whether id is a UserID Chat's account REST API
// takes, as its docs give it: 1 to 32 bytes of valid UTF-8 without control
// characters. The emulator checks REST requests with it; everything that
// sends a UserID uses the stricter ValidateUserID.
func ValidateAPIUserID(id string) error {
	switch {
	case id == "":
		return Errorf(CodeInvalidParameter, "UserID is required")
	case len(id) > MaxUserIDBytes:
		return Errorf(CodeInvalidParameter, "UserID is %d bytes, at most %d allowed", len(id), MaxUserIDBytes)
	case !utf8.ValidString(id):
		return Errorf(CodeInvalidParameter, "UserID is not valid UTF-8")
	case strings.ContainsFunc(id, unicode.IsControl):
		return Errorf(CodeInvalidParameter, "UserID holds a control character")
	}
	return nil
}

func validateProfile(field, v string) error {
	switch {
	case len(v) > MaxProfileBytes:
		return Errorf(CodeProfileTooLong, "%s is %d bytes, at most %d allowed", field, len(v), MaxProfileBytes)
	case !utf8.ValidString(v):
		return Errorf(CodeInvalidParameter, "%s is not valid UTF-8", field)
	}
	return nil
}

// ValidateBatchSize reports whether n accounts may be taken in one request.
func ValidateBatchSize(n int) error {
	switch {
	case n == 0:
		return Errorf(CodeBatchCount, "the list of accounts is empty")
	case n > MaxBatch:
		return Errorf(CodeBatchCount, "%d accounts in one request, at most %d allowed", n, MaxBatch)
	}
	return nil
}

// Credentials are what signs every Chat request: the app, its admin account
// and the admin key. They print and log without the key.
type Credentials struct {
	SDKAppID uint64
	Admin    string
	Key      string
}

// String returns the credentials without the key.
func (c Credentials) String() string {
	return fmt.Sprintf("{SDKAppID:%d Admin:%s Key:[redacted]}", c.SDKAppID, c.Admin)
}

// GoString keeps the key out of %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps the key out of slog lines.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("sdkAppId", c.SDKAppID), slog.String("admin", c.Admin))
}

// Validate reports whether the credentials can sign a request.
func (c Credentials) Validate() error {
	switch {
	case c.SDKAppID == 0:
		return fmt.Errorf("sdkAppId is missing")
	case c.Key == "":
		return fmt.Errorf("secretKey is missing")
	case c.Admin == "":
		return fmt.Errorf("adminIdentifier is empty")
	}
	return nil
}

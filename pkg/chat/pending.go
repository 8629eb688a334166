package chat

import (
	"encoding/json"
	"fmt"
	"time"
)

// PendingVersion is the schema version of PendingImport messages.
const PendingVersion = 1

// PendingImport is a sign-up import that could not finish during the
// Cognito trigger: the body of a retry-queue (and dead-letter) message.
type PendingImport struct {
	Version       int       `json:"version"`
	Account       Account   `json:"account"`
	UserPoolID    string    `json:"userPoolId,omitempty"`
	UserName      string    `json:"userName,omitempty"`
	Sub           string    `json:"sub,omitempty"` // the user's Cognito sub, for the ledger; absent in messages written before it
	Reason        string    `json:"reason"`
	FirstFailedAt time.Time `json:"firstFailedAt"`

	// Profile holds the profile fields beyond Nick and FaceUrl
	// (PROFILE_ATTRIBUTES) to set once the account exists; messages
	// written without the setting, or before it existed, have none.
	Profile []ProfileItem `json:"profile,omitempty"`
}

// DecodePendingImport parses a retry-queue message body. An unknown version
// is an error: the message is left for an operator rather than guessed at.
func DecodePendingImport(body []byte) (PendingImport, error) {
	var p PendingImport
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("decode retry message: %w", err)
	}
	if p.Version != PendingVersion {
		return p, fmt.Errorf("retry message version %d: want %d", p.Version, PendingVersion)
	}
	return p, nil
}

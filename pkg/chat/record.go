package chat

import "time"

// Source says which path of the stack created or adopted a Chat account: the
// Source of its ledger Record.
type Source string

// The sources of a Record.
const (
	SourceSignup    Source = "signup"    // the post-confirmation trigger, and the retry queue after it
	SourceLifecycle Source = "lifecycle" // an AdminCreateUser or attribute-update event
	SourceSync      Source = "sync"      // a pool sync
	SourceAPI       Source = "api"       // POST /accounts or a direct invocation: never pruned
	SourceAdopted   Source = "adopted"   // chatsync sync -adopt: made before the stack, found in Chat
)

// Record is the ledger's entry for one Chat account the stack created or
// adopted. A Record with DeletedAt set is a tombstone: the account was
// deleted, and no UserSig is issued for it until it is imported again.
type Record struct {
	UserID     string // the Chat UserID: the key
	Sub        string // the Cognito sub, as Cognito writes it (with hyphens); "" when not known
	Username   string // the Cognito username; "" when not known
	PoolID     string // the user pool; "" when not known
	Source     Source
	ImportedAt time.Time // when the stack last imported or recorded the account
	DeletedAt  time.Time // zero while the account is live
}

// Live reports whether r is not a tombstone.
func (r Record) Live() bool { return r.DeletedAt.IsZero() }

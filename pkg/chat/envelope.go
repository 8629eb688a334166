package chat

// Values of Envelope.ActionStatus.
const (
	StatusOK   = "OK"
	StatusFail = "FAIL"
)

// Values of ResultItem.AccountStatus in account_check replies.
const (
	Imported    = "Imported"
	NotImported = "NotImported"
)

// Envelope is the body of every Chat REST reply, and the reply of the
// Lambdas' direct invocations. A top-level OK can still carry failed items.
type Envelope struct {
	ActionStatus string       `json:"ActionStatus"`
	ErrorCode    int          `json:"ErrorCode"`
	ErrorInfo    string       `json:"ErrorInfo"`
	FailAccounts []string     `json:"FailAccounts,omitzero"`
	ResultItem   []ResultItem `json:"ResultItem,omitzero"`

	UserProfileItem []UserProfile `json:"UserProfileItem,omitzero"` // portrait_get
}

// ResultItem is one account's outcome in account_delete and account_check
// replies.
type ResultItem struct {
	UserID        string `json:"UserID"`
	ResultCode    int    `json:"ResultCode"`
	ResultInfo    string `json:"ResultInfo"`
	AccountStatus string `json:"AccountStatus,omitempty"`
}

// MultiImportRequest is the body of multiaccount_import.
type MultiImportRequest struct {
	AccountList []Account `json:"AccountList"`
}

// UserItem names one account in account_delete and account_check bodies.
type UserItem struct {
	UserID string `json:"UserID"`
}

// DeleteRequest is the body of account_delete.
type DeleteRequest struct {
	DeleteItem []UserItem `json:"DeleteItem"`
}

// CheckRequest is the body of account_check.
type CheckRequest struct {
	CheckItem []UserItem `json:"CheckItem"`
}

// OK reports whether the envelope says the request as a whole succeeded.
func (e *Envelope) OK() bool { return e.ActionStatus == StatusOK && e.ErrorCode == 0 }

// Items turns UserIDs into the item list of account_delete and account_check.
func Items(ids []string) []UserItem {
	items := make([]UserItem, len(ids))
	for i, id := range ids {
		items[i] = UserItem{UserID: id}
	}
	return items
}

package chat

// ErrAdminAccount refuses a request that names the app's admin identifier
// (the secret's adminIdentifier) as an account to import, update, kick or
// delete. That account signs every REST API request of every function:
// deleting or kicking it would stop them all, and an import would overwrite
// its profile. No user of the app owns it, whatever the user pool says.
var ErrAdminAccount = Errorf(CodeInvalidParameter, "the app's admin identifier is not an app user's account: it is never imported, updated, kicked or deleted")

// IsAdmin reports whether id is the admin identifier of c: the one rule by
// which every function and chatsync refuses the admin account (the UserSig
// function issues it no UserSig, the others never touch it).
func (c Credentials) IsAdmin(id string) bool {
	return id != "" && id == c.Admin
}

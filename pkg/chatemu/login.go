package chatemu

import (
	"errors"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// LoginCommand names the user login in the errors Login returns. It is not a
// REST command: apps log users in through the Chat SDK's login(UserID,
// UserSig).
const LoginCommand = "login"

// Login checks a user's login as the Chat SDK's login(UserID, UserSig) is
// checked, and counts it when it is accepted (see Logins). The UserSig must
// be signed with the app's current key, for this SDKAppID and for exactly
// userID, be unexpired at Options.Now, and have been issued after the
// account's last kick.
//
// A kick invalidates every UserSig whose TLS.time is at or before the second
// of the kick. TLS.time counts whole seconds, so a UserSig made in the same
// second as the kick cannot be told apart from one made just before it: it
// is refused too (the check fails closed), and one made in any later second
// is accepted.
//
// A login with a valid UserSig for a UserID that has no account registers
// one (no Nick, no FaceUrl), as Tencent documents for the SDK's first login:
// "you will automatically sign up if the login is successful". So every
// valid UserSig is as good as an account: a user's UserSig must not be
// issued once the user is deleted. Past Options.TrialCap the registration,
// and so the login, fails with 70398.
//
// The error is a *chat.Error with Command LoginCommand and the code Chat
// answers with: 70402 for a missing UserID or one outside printable ASCII
// (the SDK's own rule, chat.ValidateUserID), 70005 for a UserSig
// that does not decode, 70014 for another SDKAppID, 70013 for another
// UserID, 70009 for another key (a rotated one included), 70001 when
// expired, 70052 when issued before the account's last kick.
func (s *Server) Login(userID, userSig string) error {
	if err := asError(chat.ValidateUserID(userID)); err != nil {
		return loginError(err.Code, err.Info)
	}
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	sig, err := usersig.Verify(userSig, key, s.appID, userID, s.now())
	if err != nil {
		if errors.Is(err, usersig.ErrIdentifierMismatch) {
			return loginError(chat.CodeSigIdentifierMismatch, "UserID differs from the UserSig's")
		}
		e := sigError(err)
		return loginError(e.Code, e.Info)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if kicked, ok := s.kicks[userID]; ok && sig.Time <= kicked.Unix() {
		return loginError(chat.CodeSigInvalidated, "UserSig was issued before the account's login state was invalidated: make a new one")
	}
	if _, exists := s.accounts[userID]; !exists {
		if s.trialCap > 0 && len(s.accounts) >= s.trialCap {
			return loginError(chat.CodeTrialCap, "the app holds its maximum number of accounts")
		}
		s.accounts[userID] = chat.Account{UserID: userID}
		s.registered++
	}
	s.logins++
	return nil
}

// Logins returns how many logins Login accepted since the emulator started
// or since ResetCounters.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

func loginError(code int, info string) *chat.Error {
	return &chat.Error{Command: LoginCommand, Code: code, Class: chat.Classify(code), Info: info}
}

// Registered returns how many accounts Login created since the emulator
// started or since ResetCounters.
func (s *Server) Registered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registered
}

package chatemu

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// State is what an emulator holds beyond a request: its accounts, with
// their profiles, and when each account was last kicked. It is what a
// long-running emulator (chatsync emulator -state FILE) keeps across runs;
// the key and the counters are not part of it.
type State struct {
	Accounts []chat.Account       `json:"accounts"`
	Kicks    map[string]time.Time `json:"kicks,omitempty"`
}

// State returns a copy of the emulator's accounts (sorted by UserID) and
// kicks.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Accounts: make([]chat.Account, 0, len(s.accounts))}
	for _, a := range s.accounts {
		st.Accounts = append(st.Accounts, a)
	}
	slices.SortFunc(st.Accounts, func(a, b chat.Account) int { return strings.Compare(a.UserID, b.UserID) })
	if len(s.kicks) > 0 {
		st.Kicks = make(map[string]time.Time, len(s.kicks))
		for id, t := range s.kicks {
			st.Kicks[id] = t
		}
	}
	return st
}

// Restore replaces the emulator's accounts and kicks with st. Every
// account must pass the checks account_import makes (see chat.Account's
// Validate), each UserID at most once, and every kicked UserID must be
// valid; otherwise nothing changes.
func (s *Server) Restore(st State) error {
	accounts := make(map[string]chat.Account, len(st.Accounts))
	for i, a := range st.Accounts {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("chatemu: account %d: %w", i+1, err)
		}
		if _, dup := accounts[a.UserID]; dup {
			return fmt.Errorf("chatemu: account %q appears twice", a.UserID)
		}
		accounts[a.UserID] = a
	}
	kicks := make(map[string]time.Time, len(st.Kicks))
	for id, t := range st.Kicks {
		if err := chat.ValidateUserID(id); err != nil {
			return fmt.Errorf("chatemu: kick of %q: %w", id, err)
		}
		kicks[id] = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts, s.kicks = accounts, kicks
	return nil
}

package chatemu

import (
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// kick executes kick: it records when the account's login state was
// invalidated, so that Login refuses the UserSigs issued until then. An
// account that does not exist answers 70107, as Tencent documents, and
// nothing is recorded.
func (s *Server) kick(body []byte) chat.Envelope {
	var req chat.UserItem
	if err := decode(body, &req); err != nil {
		return errorEnvelope(err)
	}
	if err := asError(chat.ValidateAPIUserID(req.UserID)); err != nil {
		return errorEnvelope(err)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.accounts[req.UserID]; !exists {
		return failure(chat.CodeAccountNotFound, infoNotFound)
	}
	s.kicks[req.UserID] = now
	return success()
}

// KickedAt reports when the account id was last kicked, by Options.Now.
// The record outlives the account: a kicked account that is then deleted
// still reports its kick, and its old UserSigs stay refused if it is
// imported again.
func (s *Server) KickedAt(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.kicks[id]
	return t, ok
}

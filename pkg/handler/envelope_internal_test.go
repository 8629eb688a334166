package handler

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// TestOKEnvelope: the written-out OK reply is what encoding the envelope
// gives, so a field added to chat.Envelope cannot make the two differ.
func TestOKEnvelope(t *testing.T) {
	want, err := json.Marshal(chat.Envelope{ActionStatus: chat.StatusOK})
	if err != nil {
		t.Fatal(err)
	}
	got, err := envelopeJSON(chat.Envelope{ActionStatus: chat.StatusOK})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("envelopeJSON = %s, %v; json.Marshal gives %s", got, err, want)
	}
	got[0] = 'x' // the reply is the caller's: changing it leaves the next intact
	if again, _ := envelopeJSON(chat.Envelope{ActionStatus: chat.StatusOK}); !bytes.Equal(again, want) {
		t.Errorf("a reply shares its bytes with the next: %s", again)
	}
}

package poolsync_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// FuzzDecodeMessage: any body either decodes into a message naming a valid
// stream, which encodes back to a body that decodes the same, or is
// refused with a message that names no Go type.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"version":1,"prefix":"a"}`, `{"version":1,"prefix":"f","token":"x","profiles":true}`,
		`{"version":2}`, `{"version":"1"}`, `[]`, `null`, `{"prefix":7}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := poolsync.DecodeMessage(body)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "json.") || strings.Contains(msg, "Go value") || strings.Contains(msg, "poolsync.") {
				t.Fatalf("error names Go internals: %s", msg)
			}
			return
		}
		if m.Version != poolsync.MessageVersion || !cognito.ValidPrefix(m.Prefix) {
			t.Fatalf("accepted %+v", m)
		}
		again, _ := json.Marshal(m)
		if m2, err := poolsync.DecodeMessage(again); err != nil || m2 != m {
			t.Fatalf("round trip %+v -> %s -> %+v, %v", m, again, m2, err)
		}
	})
}

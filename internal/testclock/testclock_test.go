package testclock_test

import (
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"
)

func TestAdvance(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := testclock.New(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", c.Now(), t0)
	}
	c.Advance(90 * time.Second)
	if got := c.Now().Sub(t0); got != 90*time.Second {
		t.Errorf("advanced by %v, want 90s", got)
	}
}

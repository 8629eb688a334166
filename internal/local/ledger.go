package local

import (
	"context"
	"sync"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// MemoryLedger is the in-process stand-in for the DynamoDB ledger (see
// pkg/ledger), as SecretStore stands in for Secrets Manager: it keeps the
// same items with the same rules (a record replaces the item and clears
// its tombstone; a tombstone keeps the other fields, and is made for an ID
// never recorded), for the demo and local runs that use no AWS.
type MemoryLedger struct {
	mu    sync.Mutex
	items map[string]chat.Record
	now   func() time.Time
}

// NewMemoryLedger returns an empty ledger.
func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{items: map[string]chat.Record{}, now: time.Now}
}

// Record writes recs as live items.
func (l *MemoryLedger) Record(_ context.Context, recs []chat.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		if r.ImportedAt.IsZero() {
			r.ImportedAt = l.now().UTC()
		}
		r.DeletedAt = time.Time{}
		l.items[r.UserID] = r
	}
	return nil
}

// Tombstone marks ids deleted.
func (l *MemoryLedger) Tombstone(_ context.Context, ids []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		r := l.items[id]
		r.UserID, r.DeletedAt = id, l.now().UTC()
		l.items[id] = r
	}
	return nil
}

// Deleted reports whether id's item is a tombstone.
func (l *MemoryLedger) Deleted(_ context.Context, id string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.items[id]
	return ok && !r.Live(), nil
}

// Get returns id's item.
func (l *MemoryLedger) Get(id string) (chat.Record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.items[id]
	return r, ok
}

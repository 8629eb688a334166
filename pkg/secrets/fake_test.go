package secrets_test

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// fakeAPI is a Secrets Manager holding one secret.
type fakeAPI struct {
	mu     sync.Mutex
	value  *string
	binary []byte
	err    error
	gate   chan struct{} // when set, calls wait for it to close (or for ctx)

	calls   atomic.Int64
	started chan struct{} // when set, receives one value per call
	lastID  atomic.Value  // string
}

func newFake(value string) *fakeAPI { return &fakeAPI{value: &value} }

func (f *fakeAPI) set(value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value, f.binary, f.err = &value, nil, nil
}

func (f *fakeAPI) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeAPI) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	f.lastID.Store(*in.SecretId)
	if f.started != nil {
		f.started <- struct{}{}
	}
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.value, SecretBinary: f.binary}, nil
}

// clock is a settable time source.
func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

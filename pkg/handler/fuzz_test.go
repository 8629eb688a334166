package handler_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// guard stands in for the Chat client in fuzzing: it records every call and
// flags any input that should have been refused before reaching it. The
// real client and emulator are exercised by the other tests; fuzzing checks
// the handlers' own decoding and validation at thousands of inputs a
// second.
type guard struct {
	mu    sync.Mutex
	calls int
	bad   []string
}

func (g *guard) flag(what string) {
	g.mu.Lock()
	g.bad = append(g.bad, what)
	g.mu.Unlock()
}

func (g *guard) call() {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
}

func (g *guard) Kick(_ context.Context, id string) (chat.Stats, error) {
	g.call()
	if chat.ValidateUserID(id) != nil {
		g.flag("Kick " + id)
	}
	return chat.Stats{Calls: 1, Attempts: 1}, nil
}

func (g *guard) ImportAccount(_ context.Context, a chat.Account) (chat.Stats, error) {
	g.call()
	if a.Validate() != nil {
		g.flag("ImportAccount " + a.UserID)
	}
	return chat.Stats{Calls: 1, Attempts: 1}, nil
}

func (g *guard) ImportAccounts(_ context.Context, as []chat.Account) (chat.ImportResult, error) {
	g.call()
	if len(as) == 0 || len(as) > chat.MaxBatch {
		g.flag("ImportAccounts size")
	}
	for _, a := range as {
		if a.Validate() != nil {
			g.flag("ImportAccounts item " + a.UserID)
		}
	}
	return chat.ImportResult{Requested: len(as)}, nil
}

func (g *guard) DeleteAccounts(_ context.Context, ids []string) (chat.DeleteResult, error) {
	g.call()
	if len(ids) == 0 || len(ids) > chat.MaxBatch {
		g.flag("DeleteAccounts size")
	}
	items := make([]chat.ResultItem, len(ids))
	for i, id := range ids {
		if chat.ValidateUserID(id) != nil {
			g.flag("DeleteAccounts item " + id)
		}
		items[i] = chat.ResultItem{UserID: id}
	}
	return chat.DeleteResult{Items: items}, nil
}

// seeds adds every sample event and a few hostile shapes to the corpus.
func seeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{}`, `[]`, `"x"`, `null`, `{"UserID":""}`, `{"UserID":"a","Nick":null}`, `{"AccountList":[]}`,
		`{"AccountList":[{"UserID":"a"},{"UserID":"` + string(make([]byte, 40)) + `"}]}`,
		`{"DeleteItem":[{"UserID":"a"}]}`, `{"DeleteItem":null}`, `{"UserID":"\xff"}`,
		`{"version":"2.0","routeKey":"$default","rawPath":"/accounts","requestContext":{"http":{"method":"POST"}},"body":"{\"UserID\":\"\"}"}`,
		`{"version":"2.0","rawPath":"/accounts/delete","requestContext":{"http":{"method":"POST"}},"body":"{\"DeleteItem\":[]}","isBase64Encoded":false}`,
		`{"httpMethod":"DELETE","path":"/accounts/%zz","requestContext":{}}`,
		`{"triggerSource":"PostConfirmation_ConfirmSignUp","userPoolId":"p","userName":"u","request":{"userAttributes":{"sub":"----"}}}`,
		`{"Records":[{"eventSource":"aws:sqs","messageId":"m","body":"{\"version\":1,\"account\":{\"UserID\":\"\"}}"}]}`,
	} {
		f.Add([]byte(s))
	}
}

func fuzzHandlers(t *testing.T) (*guard, *handler.ImportHandler, *handler.DeleteHandler) {
	g := &guard{}
	log := discardLogger()
	q := &memQueue{}
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: g, Logger: log, RetryQueue: q, DeadLetterQueue: q})
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: g, Logger: log})
	return g, imp, del
}

func checkGuard(t *testing.T, g *guard, payload []byte) {
	if len(g.bad) > 0 {
		t.Fatalf("invalid input reached Chat (%v) from %q", g.bad, payload)
	}
}

// fuzzEvent fuzzes the handler that pick chooses: no invalid input reaches
// Chat, and a reply is JSON.
func fuzzEvent(f *testing.F, pick func(*handler.ImportHandler, *handler.DeleteHandler) invoker) {
	seeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		g, imp, del := fuzzHandlers(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out, err := pick(imp, del).Invoke(ctx, payload)
		checkGuard(t, g, payload)
		if err == nil && !json.Valid(out) {
			t.Fatalf("reply is not JSON: %q", out)
		}
	})
}

func FuzzImportEvent(f *testing.F) {
	fuzzEvent(f, func(imp *handler.ImportHandler, _ *handler.DeleteHandler) invoker { return imp })
}

func FuzzDeleteEvent(f *testing.F) {
	fuzzEvent(f, func(_ *handler.ImportHandler, del *handler.DeleteHandler) invoker { return del })
}

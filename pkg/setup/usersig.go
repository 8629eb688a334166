package setup

import (
	"context"

	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// An Option changes what New builds.
type Option func(*options)

type options struct {
	noChat bool
}

// WithoutChat builds no Chat client, for a function that never calls Chat
// (the UserSig function): its cold start then waits for the secret alone,
// and it opens no connection it would not use.
func WithoutChat() Option { return func(o *options) { o.noChat = true } }

// UserSigHandler wires the UserSig function's handler. It signs with the
// same credentials the Chat client would use.
//
// The handler warms up in the background (see UserSigHandler.Warm), while
// the secret that New started fetching is on its way.
func (p *Parts) UserSigHandler() *handler.UserSigHandler {
	h := handler.NewUserSigHandler(handler.UserSigConfig{
		Credentials: p.credentials(),
		TTL:         p.Config.UserSigTTL,
		Tombstones:  p.Ledger,
		Auth:        p.Config.Auth(),
		Logger:      p.Log,
	})
	go h.Warm()
	return h
}

// Admin returns the app's admin identifier, from the credentials the
// functions sign with: no function acts on it.
func (p *Parts) Admin(ctx context.Context) (string, error) {
	c, err := p.credentials().Credentials(ctx)
	return c.Admin, err
}

// credentials returns where the credentials come from: Credentials when
// set, else Secrets.
func (p *Parts) credentials() chatapi.CredentialsSource {
	if p.Credentials != nil {
		return p.Credentials
	}
	if p.Secrets != nil {
		return p.Secrets
	}
	return nil
}

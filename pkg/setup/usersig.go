package setup

import (
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

// CredentialsSource returns what the Chat client signs with, for the
// parts wired outside this package (the scheduled sync) that must know the
// admin identifier: the sync never imports it, and its prune never
// deletes it.
func (p *Parts) CredentialsSource() chatapi.CredentialsSource { return p.credentials() }

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

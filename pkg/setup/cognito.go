package setup

import (
	"context"
	"errors"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// Cognito returns a Cognito user pools client that follows the same AWS
// environment (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for tests).
func (p *Parts) Cognito() *cip.Client {
	e := p.aws
	return cip.NewFromConfig(e.cfg, func(o *cip.Options) {
		o.BaseEndpoint = e.endpoint("COGNITO_IDENTITY_PROVIDER")
		o.EndpointOptions.UseFIPSEndpoint = e.fipsState()
		o.EndpointOptions.UseDualStackEndpoint = e.dualStackState()
	})
}

// SyncHandler wires the scheduled sync function's handler.
func (p *Parts) SyncHandler() (*poolsync.Handler, error) {
	cfg := p.Config
	rate := cfg.SyncListRate
	if rate == 0 {
		// Each process works on one stream at a time: share Cognito's
		// quota among the 16 streams.
		rate = cognito.DefaultListRate / float64(len(cognito.Prefixes()))
	}
	return poolsync.NewHandler(poolsync.HandlerConfig{
		Pool:     cfg.UserPoolID,
		QueueURL: cfg.SyncQueueURL,
		Queue:    p.sqs(),
		Users:    cognito.New(p.Cognito(), cognito.Options{ListRate: rate}),
		Chat:     p.Chat,
		Mapping:  cfg.Mapping(),
		Logger:   p.Log,
	})
}

// users adapts a Cognito client to what the import function's lifecycle
// events read.
type users struct{ c *cognito.Client }

func (u users) UserBySub(ctx context.Context, pool, sub string) (handler.User, error) {
	return userOf(u.c.FindBySub(ctx, pool, sub))
}

func (u users) UserByName(ctx context.Context, pool, name string) (handler.User, error) {
	return userOf(u.c.GetUser(ctx, pool, name))
}

func userOf(c cognito.User, err error) (handler.User, error) {
	if errors.Is(err, cognito.ErrNotFound) {
		return handler.User{}, handler.ErrUserNotFound
	}
	return handler.User{Username: c.Username, Status: c.Status, Attributes: c.Attributes}, err
}

// Package userpool wires the pieces of the functions that read the Cognito
// user pool: the client, and the import function's reader of users for
// lifecycle events, and the delete function's with the username mapping
// (the scheduled sync builds its handler on the client in functions/sync).
// It stands apart from pkg/setup so that the function that never reads
// the pool (usersig) does not link the Cognito client, whose package
// initialisation would cost its cold start.
package userpool

import (
	"context"
	"errors"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

// Cognito returns a Cognito user pools client that follows the function's
// AWS environment (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for tests).
func Cognito(p *setup.Parts) *cip.Client {
	sc := p.Service("COGNITO_IDENTITY_PROVIDER")
	return cip.NewFromConfig(sc.Config, func(o *cip.Options) {
		o.BaseEndpoint = sc.Endpoint
		o.EndpointOptions.UseFIPSEndpoint = sc.FIPS
		o.EndpointOptions.UseDualStackEndpoint = sc.DualStack
	})
}

// Users returns the reader of users the import function's lifecycle events
// need. It makes no call until an event comes; the template grants the
// reads only when lifecycle events are on.
func Users(p *setup.Parts) handler.Users {
	return users{cognito.New(Cognito(p), cognito.Options{})}
}

// ForDelete gives the delete function its reader of users when it needs
// one: with USER_ID_ATTRIBUTE=username and the stack's pool known, a
// lifecycle delete first checks that no user of that name exists now. With
// any other mapping it makes no client (the package is linked, but no
// client is built and no call is made).
func ForDelete(p *setup.Parts) {
	if p.Config.UserPoolID != "" && p.Config.Mapping().UserIDAttribute == chat.SourceUsername {
		p.Users = Users(p)
	}
}

// users adapts a Cognito client to handler.Users.
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

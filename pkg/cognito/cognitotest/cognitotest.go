// Package cognitotest fills Cognito user pools on moto_server with users in
// every status, for the tests of the code that reads them.
package cognitotest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// Pool is a user pool made for a test, with an app client for sign-ups.
type Pool struct {
	ID       string
	ClientID string
	API      *cip.Client
}

// NewPool creates a pool named name with a custom attribute chat_id
// (custom:chat_id) and an app client.
func NewPool(tb testing.TB, api *cip.Client, name string) *Pool {
	tb.Helper()
	ctx := context.Background()
	out, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String(name),
		Schema: []types.SchemaAttributeType{{
			Name: aws.String("chat_id"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(true),
		}},
	})
	if err != nil {
		tb.Fatalf("CreateUserPool: %v", err)
	}
	p := &Pool{ID: aws.ToString(out.UserPool.Id), API: api}
	c, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: out.UserPool.Id, ClientName: aws.String("app")})
	if err != nil {
		tb.Fatalf("CreateUserPoolClient: %v", err)
	}
	p.ClientID = aws.ToString(c.UserPoolClient.ClientId)
	return p
}

// NewUser describes a user to create. Status is one of CONFIRMED,
// UNCONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED.
type NewUser struct {
	Username   string
	Status     string
	Disabled   bool
	Attributes map[string]string
}

// Workers is how many users Add creates at once.
const Workers = 16

// Add creates users in the pool, Workers at a time, and returns them as
// Cognito lists them (with the sub moto gave each), in order.
func (p *Pool) Add(tb testing.TB, users []NewUser) []cognito.User {
	tb.Helper()
	out := make([]cognito.User, len(users))
	errs := make(chan error, len(users))
	sem := make(chan struct{}, Workers)
	var wg sync.WaitGroup
	for i, u := range users {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			got, err := p.add(context.Background(), u)
			if err != nil {
				errs <- fmt.Errorf("user %s: %w", u.Username, err)
				return
			}
			out[i] = got
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatalf("cognitotest: %v", err)
	}
	return out
}

func (p *Pool) add(ctx context.Context, u NewUser) (cognito.User, error) {
	attrs := make([]types.AttributeType, 0, len(u.Attributes))
	for k, v := range u.Attributes {
		attrs = append(attrs, types.AttributeType{Name: aws.String(k), Value: aws.String(v)})
	}
	pool, name := aws.String(p.ID), aws.String(u.Username)
	const password = "Passw0rd!Passw0rd"
	var sub string
	if u.Status == cognito.StatusUnconfirmed {
		out, err := p.API.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(p.ClientID), Username: name, Password: aws.String(password), UserAttributes: attrs})
		if err != nil {
			return cognito.User{}, err
		}
		sub = aws.ToString(out.UserSub)
	} else {
		out, err := p.API.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: name, UserAttributes: attrs, MessageAction: types.MessageActionTypeSuppress})
		if err != nil {
			return cognito.User{}, err
		}
		for _, a := range out.User.Attributes {
			if aws.ToString(a.Name) == "sub" {
				sub = aws.ToString(a.Value)
			}
		}
	}
	switch u.Status {
	case cognito.StatusConfirmed, cognito.StatusResetRequired:
		if _, err := p.API.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: name, Password: aws.String(password), Permanent: true}); err != nil {
			return cognito.User{}, err
		}
		if u.Status == cognito.StatusResetRequired {
			if _, err := p.API.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: pool, Username: name}); err != nil {
				return cognito.User{}, err
			}
		}
	}
	if u.Disabled {
		if _, err := p.API.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: name}); err != nil {
			return cognito.User{}, err
		}
	}
	all := map[string]string{"sub": sub}
	for k, v := range u.Attributes {
		all[k] = v
	}
	return cognito.User{Username: u.Username, Status: u.Status, Enabled: !u.Disabled, Attributes: all}, nil
}

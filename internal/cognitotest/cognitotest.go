// Package cognitotest fills Cognito user pools on moto_server with users in
// every status, for the tests of the code that reads them.
package cognitotest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/chatsync/chat-lambdas/internal/moto"
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

// role creates an IAM role on moto for a Lambda function, through
// IAM's query API (the module has no IAM client).
func role(t testing.TB, srv *moto.Server, name string) string {
	t.Helper()
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CreateRole: HTTP %d", resp.StatusCode)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

// Function creates a Lambda function named name on moto, with a role of
// its own, and returns its ARN.
func Function(t testing.TB, srv *moto.Server, lam *lambda.Client, name string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	out, err := lam.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(role(t, srv, name)),
		Runtime:      ltypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &ltypes.FunctionCode{ZipFile: buf.Bytes()},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	return aws.ToString(out.FunctionArn)
}

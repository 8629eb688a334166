// Package lambdaperm adds resource-based permissions to Lambda functions
// with the AWS SDK: the cognito.LambdaAPI that `chatsync attach` uses. It
// is a package of its own so that the Lambda SDK is linked only where a
// permission is added, never into the functions.
package lambdaperm

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// API is the part of the Lambda client a Client uses; *lambda.Client
// implements it.
type API interface {
	AddPermission(ctx context.Context, in *lambda.AddPermissionInput, optFns ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error)
}

// Client adds permissions through api.
type Client struct{ api API }

// New returns a Client calling api.
func New(api API) *Client { return &Client{api: api} }

// AddPermission adds p; a statement with p's ID already there is a
// success.
func (c *Client) AddPermission(ctx context.Context, p cognito.Permission) error {
	in := &lambda.AddPermissionInput{
		FunctionName: aws.String(p.FunctionARN),
		StatementId:  aws.String(p.StatementID),
		Action:       aws.String(p.Action),
		Principal:    aws.String(p.Principal),
		SourceArn:    aws.String(p.SourceARN),
	}
	if p.SourceAccount != "" {
		in.SourceAccount = aws.String(p.SourceAccount)
	}
	_, err := c.api.AddPermission(ctx, in)
	var conflict *types.ResourceConflictException
	if errors.As(err, &conflict) {
		return nil
	}
	return err
}

// Package lambdaperm adds resource-based permissions to Lambda functions
// with the AWS SDK: the cognito.LambdaAPI that `chatsync attach` uses. It
// is a package of its own so that the Lambda SDK is linked only where a
// permission is added, never into the functions.
package lambdaperm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// Defaults of a Client's retries of a conflict.
const (
	DefaultConflictAttempts = 6               // attempts in all
	DefaultConflictBackoff  = 2 * time.Second // the first wait, doubled after each attempt
)

// Client adds permissions through api.
type Client struct {
	api      API
	attempts int
	backoff  time.Duration
}

// New returns a Client calling api.
func New(api API) *Client {
	return &Client{api: api, attempts: DefaultConflictAttempts, backoff: DefaultConflictBackoff}
}

// WithRetries returns c retrying a conflict up to attempts times in all,
// the first wait being backoff (tests shorten them).
func (c *Client) WithRetries(attempts int, backoff time.Duration) *Client {
	return &Client{api: c.api, attempts: max(attempts, 1), backoff: backoff}
}

// AddPermission adds p. Lambda answers ResourceConflictException both when
// a statement with p's ID already exists, which is a success, and when the
// function is being updated ("The operation cannot be performed at this
// time. An update is in progress"), which is not: the permission is not
// there. That one is retried with a doubling backoff and, if it persists,
// returned as an error.
func (c *Client) AddPermission(ctx context.Context, p cognito.Permission) error {
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		err := c.add(ctx, p)
		var conflict *types.ResourceConflictException
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &conflict):
			return err
		case StatementExists(conflict):
			return nil
		case attempt >= c.attempts:
			return fmt.Errorf("the function stayed busy after %d attempts (wait for its update to finish, then run attach again): %w", attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// StatementExists reports whether a conflict is Lambda's answer to a
// statement ID already in the function's policy: "The statement id (ID)
// provided already exists. Please specify a new statement id, or remove the
// existing statement."
func StatementExists(e *types.ResourceConflictException) bool {
	return strings.Contains(strings.ToLower(e.ErrorMessage()), "already exists")
}

func (c *Client) add(ctx context.Context, p cognito.Permission) error {
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
	return err
}

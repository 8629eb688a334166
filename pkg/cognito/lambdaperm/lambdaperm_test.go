package lambdaperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/cognito/lambdaperm"
)

// fakeLambda answers AddPermission with its errors in turn, then success.
type fakeLambda struct {
	errs  []error
	calls int
}

func (f *fakeLambda) AddPermission(_ context.Context, in *lambda.AddPermissionInput, _ ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	f.calls++
	if f.calls <= len(f.errs) {
		return nil, f.errs[f.calls-1]
	}
	return &lambda.AddPermissionOutput{Statement: aws.String(`{"Sid":"` + aws.ToString(in.StatementId) + `"}`)}, nil
}

// Lambda's two ResourceConflictException messages for AddPermission.
var (
	exists = &types.ResourceConflictException{Message: aws.String("The statement id (cognito-post-confirmation-us-east-1_X) provided already exists. Please specify a new statement id, or remove the existing statement.")}
	busy   = &types.ResourceConflictException{Message: aws.String("The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:f")}
)

func TestAddPermissionConflicts(t *testing.T) {
	perm := cognito.Permission{FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f", StatementID: "s", Action: "lambda:InvokeFunction", Principal: "cognito-idp.amazonaws.com", SourceARN: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X"}
	tests := []struct {
		name    string
		errs    []error
		calls   int
		wantErr string
	}{
		{"added", nil, 1, ""},
		{"statement already exists: success", []error{exists}, 1, ""},
		{"update in progress, then added", []error{busy, busy}, 3, ""},
		{"update in progress, then the statement exists", []error{busy, exists}, 2, ""},
		{"update in progress throughout: a failure", []error{busy, busy, busy, busy}, 3, "stayed busy after 3 attempts"},
		{"another error: no retry", []error{errors.New("AccessDeniedException")}, 1, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLambda{errs: tt.errs}
			err := lambdaperm.New(f).WithRetries(3, time.Millisecond).AddPermission(context.Background(), perm)
			if f.calls != tt.calls {
				t.Errorf("%d AddPermission calls, want %d", f.calls, tt.calls)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

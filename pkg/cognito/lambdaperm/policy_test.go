package lambdaperm

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

type fakePolicy struct {
	policy string
	err    error
}

func (f fakePolicy) GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	return &lambda.GetPolicyOutput{Policy: aws.String(f.policy)}, f.err
}

func TestAllows(t *testing.T) {
	const pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"
	stmt := func(principal, action, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":` + action + `,"Resource":"arn:aws:lambda:us-east-1:123456789012:function:f"` + cond + `}]}`
	}
	const cognitoSvc = `{"Service":"cognito-idp.amazonaws.com"}`
	cases := []struct {
		name   string
		policy string
		err    error
		want   bool
	}{
		{"for this pool", stmt(cognitoSvc, `"lambda:InvokeFunction"`, `,"Condition":{"ArnLike":{"AWS:SourceArn":"`+pool+`"}}`), nil, true},
		{"for any pool of the account", stmt(cognitoSvc, `["lambda:InvokeFunction"]`, `,"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:cognito-idp:us-east-1:123456789012:userpool/*"}}`), nil, true},
		{"without a condition", stmt(cognitoSvc, `"lambda:*"`, ``), nil, true},
		{"for another pool", stmt(cognitoSvc, `"lambda:InvokeFunction"`, `,"Condition":{"ArnLike":{"AWS:SourceArn":"`+pool+`x"}}`), nil, false},
		{"another service", stmt(`{"Service":"events.amazonaws.com"}`, `"lambda:InvokeFunction"`, ``), nil, false},
		{"another action", stmt(cognitoSvc, `"lambda:GetFunction"`, ``), nil, false},
		{"a deny", `{"Statement":[{"Effect":"Deny","Principal":` + cognitoSvc + `,"Action":"lambda:InvokeFunction"}]}`, nil, false},
		{"no policy at all", "", &types.ResourceNotFoundException{Message: aws.String("no policy")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NewReader(fakePolicy{c.policy, c.err}).Allows(context.Background(), cognito.Permission{
				FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f", Action: "lambda:InvokeFunction",
				Principal: "cognito-idp.amazonaws.com", SourceARN: pool,
			})
			if err != nil || got != c.want {
				t.Errorf("Allows = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

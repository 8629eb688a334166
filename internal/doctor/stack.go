package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// StackAPI is the part of the CloudFormation client ReadStack uses;
// *cloudformation.Client implements it.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Target is what the checks look at: the values a stack's outputs and
// parameters give, or the command line's flags.
type Target struct {
	SecretID    string // ChatSecretArn
	ChatRegion  string // ChatRegion
	ChatBaseURL string // ChatBaseUrl
	UserPoolID  string // output UserPoolId
	FunctionARN string // output ImportFunctionArn
	Lifecycle   bool   // LifecycleEvents is "true"
	DLQs        []string
	LedgerTable string
}

// Stack outputs and parameters the checks read.
const (
	OutputUserPoolID     = "UserPoolId"
	OutputImportFunction = "ImportFunctionArn"
	OutputLedgerTable    = "LedgerTableName"
	// Every output whose key ends in this is a dead-letter queue's URL.
	OutputDLQSuffix = "DeadLetterQueueUrl"

	ParamSecretArn = "ChatSecretArn"
	ParamRegion    = "ChatRegion"
	ParamBaseURL   = "ChatBaseUrl"
	ParamLifecycle = "LifecycleEvents"
)

// ReadStack reads the stack named name and returns the Target its outputs
// and parameters describe.
func ReadStack(ctx context.Context, api StackAPI, name string) (Target, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return Target{}, fmt.Errorf("no stack %q in this AWS region: check the name and AWS_REGION", name)
		}
		return Target{}, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return Target{}, fmt.Errorf("no stack %q in this AWS region: check the name and AWS_REGION", name)
	}
	s := out.Stacks[0]
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	params := map[string]string{}
	for _, p := range s.Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	t := Target{
		SecretID:    params[ParamSecretArn],
		ChatRegion:  params[ParamRegion],
		ChatBaseURL: params[ParamBaseURL],
		Lifecycle:   params[ParamLifecycle] == "true",
		UserPoolID:  outputs[OutputUserPoolID],
		FunctionARN: outputs[OutputImportFunction],
		LedgerTable: outputs[OutputLedgerTable],
	}
	for k, v := range outputs {
		if strings.HasSuffix(k, OutputDLQSuffix) && v != "" {
			t.DLQs = append(t.DLQs, v)
		}
	}
	slices.Sort(t.DLQs)
	if t.UserPoolID == "" || t.FunctionARN == "" {
		return t, fmt.Errorf("stack %s has no %s or %s output: is it a chat-lambdas stack?", name, OutputUserPoolID, OutputImportFunction)
	}
	return t, nil
}

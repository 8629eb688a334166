package lambdaperm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// PolicyAPI is the part of the Lambda client Allows uses; *lambda.Client
// implements it.
type PolicyAPI interface {
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// Reader reads functions' resource-based policies through api.
type Reader struct{ api PolicyAPI }

// NewReader returns a Reader calling api.
func NewReader(api PolicyAPI) *Reader { return &Reader{api: api} }

// Allows reports whether the resource-based policy of p.FunctionARN lets
// p.Principal perform p.Action on behalf of p.SourceARN: an Allow statement
// naming the principal and the action whose source ARN condition, if it
// has one, matches. A function without a policy allows nothing.
func (r *Reader) Allows(ctx context.Context, p cognito.Permission) (bool, error) {
	out, err := r.api.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(p.FunctionARN)})
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get policy: %w", err)
	}
	var doc struct {
		Statement []statement
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return false, fmt.Errorf("get policy: the policy is not JSON: %w", err)
	}
	for _, s := range doc.Statement {
		if s.allows(p) {
			return true, nil
		}
	}
	return false, nil
}

type statement struct {
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
	Condition map[string]map[string]json.RawMessage
}

func (s statement) allows(p cognito.Permission) bool {
	if s.Effect != "Allow" || !s.names(p.Principal) || !anyOf(s.Action, func(a string) bool { return a == p.Action || a == "lambda:*" || a == "*" }) {
		return false
	}
	for op, conds := range s.Condition {
		for key, vals := range conds {
			if !strings.EqualFold(key, "AWS:SourceArn") {
				continue
			}
			switch op {
			case "ArnLike", "ArnEquals", "StringEquals", "StringLike":
				if !anyOf(vals, func(v string) bool { return glob(v, p.SourceARN) }) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func (s statement) names(principal string) bool {
	var byType map[string]json.RawMessage
	if err := json.Unmarshal(s.Principal, &byType); err != nil {
		return anyOf(s.Principal, func(v string) bool { return v == "*" })
	}
	return anyOf(byType["Service"], func(v string) bool { return v == principal })
}

// anyOf reports whether raw, a JSON string or array of strings, holds a
// value f accepts.
func anyOf(raw json.RawMessage, f func(string) bool) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return f(one)
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, v := range many {
			if f(v) {
				return true
			}
		}
	}
	return false
}

// glob matches s against an IAM pattern, where * is any run of characters
// and ? any one character.
func glob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}

package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// ErrOtherTrigger is returned by PlanAttach when the pool already has a
// different post-confirmation trigger and replacing it was not forced.
var ErrOtherTrigger = errors.New("the pool has a different post-confirmation trigger")

// LambdaAPI adds a resource-based permission to a Lambda function: what
// Attach needs of Lambda. Package lambdaperm implements it on the AWS SDK's
// Lambda client; keeping the SDK out of this package keeps it out of the
// functions that read users.
type LambdaAPI interface {
	// AddPermission adds p to its function; a statement with p's ID that is
	// there already is a success.
	AddPermission(ctx context.Context, p Permission) error
}

// Permission is one statement of a function's resource-based policy.
type Permission struct {
	FunctionARN   string
	StatementID   string
	Action        string // lambda:InvokeFunction
	Principal     string // cognito-idp.amazonaws.com
	SourceARN     string // the pool
	SourceAccount string // the pool's account, when known
}

// AttachPlan is what Attach will do to a pool: the settings it writes back
// (every updatable one as read, with only the post-confirmation trigger
// changed) and the difference from the pool as it is.
type AttachPlan struct {
	Pool        string
	PoolARN     string
	FunctionARN string
	Previous    string // the post-confirmation trigger before; "" for none

	// Changes lists each setting that differs, as "path: old -> new".
	// Empty when the trigger is already in place.
	Changes []string
	// Notes lists settings that are read but not written back as they
	// were, and why.
	Notes []string

	input *cip.UpdateUserPoolInput
}

// PlanAttach reads pool and plans setting functionARN as its
// post-confirmation trigger. It refuses, with ErrOtherTrigger, to replace a
// different trigger unless force is set. It changes nothing.
func (c *Client) PlanAttach(ctx context.Context, pool, functionARN string, force bool) (*AttachPlan, error) {
	if err := checkFunctionARN(functionARN); err != nil {
		return nil, err
	}
	out, err := c.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if err != nil {
		return nil, fmt.Errorf("describe user pool: %w", err)
	}
	if out.UserPool == nil {
		return nil, fmt.Errorf("describe user pool %s: empty reply", pool)
	}
	p := out.UserPool
	plan := &AttachPlan{Pool: pool, PoolARN: aws.ToString(p.Arn), FunctionARN: functionARN}
	if p.LambdaConfig != nil {
		plan.Previous = aws.ToString(p.LambdaConfig.PostConfirmation)
	}
	if plan.Previous != "" && plan.Previous != functionARN && !force {
		return nil, fmt.Errorf("%w (%s); give -force to replace it", ErrOtherTrigger, plan.Previous)
	}
	before, notes := UpdateInput(p)
	plan.Notes = notes
	plan.input, _ = UpdateInput(p)
	if plan.input.LambdaConfig == nil {
		plan.input.LambdaConfig = &types.LambdaConfigType{}
	}
	plan.input.LambdaConfig.PostConfirmation = aws.String(functionARN)
	plan.Changes, err = diff(before, plan.input)
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// Attach applies plan: first Cognito's permission to invoke the function,
// with the pool's ARN as the source, then the pool's settings. A plan with no
// changes only makes sure of the permission.
func (c *Client) Attach(ctx context.Context, plan *AttachPlan, lam LambdaAPI) error {
	if err := AddInvokePermission(ctx, lam, plan.FunctionARN, plan.PoolARN); err != nil {
		return err
	}
	if len(plan.Changes) == 0 {
		return nil
	}
	if _, err := c.api.UpdateUserPool(ctx, plan.input); err != nil {
		return fmt.Errorf("update user pool: %w", err)
	}
	return nil
}

// PermissionStatementID returns the statement ID Attach gives the
// permission for the pool named by poolARN.
func PermissionStatementID(poolARN string) string {
	id := poolARN
	if a, err := arn.Parse(poolARN); err == nil {
		id = strings.TrimPrefix(a.Resource, "userpool/")
	}
	return "cognito-post-confirmation-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, id)
}

// AddInvokePermission lets cognito-idp.amazonaws.com invoke functionARN on
// behalf of the pool poolARN only. A statement that is already there is a
// success.
func AddInvokePermission(ctx context.Context, lam LambdaAPI, functionARN, poolARN string) error {
	if poolARN == "" {
		return errors.New("add permission: the pool's ARN is unknown")
	}
	p := Permission{
		FunctionARN: functionARN,
		StatementID: PermissionStatementID(poolARN),
		Action:      "lambda:InvokeFunction",
		Principal:   "cognito-idp.amazonaws.com",
		SourceARN:   poolARN,
	}
	if a, err := arn.Parse(poolARN); err == nil {
		p.SourceAccount = a.AccountID
	}
	if err := lam.AddPermission(ctx, p); err != nil {
		return fmt.Errorf("add permission: %w", err)
	}
	return nil
}

func checkFunctionARN(s string) error {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
		return fmt.Errorf("function %q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", s)
	}
	return nil
}

// UpdateInput returns the UpdateUserPool input that writes every updatable
// setting of p back as it is. UpdateUserPool resets whatever it is not
// given, so each field is mapped here by name; the tests check that no
// field of the input is left out. notes lists what cannot be written back
// unchanged.
func UpdateInput(p *types.UserPoolType) (in *cip.UpdateUserPoolInput, notes []string) {
	in = &cip.UpdateUserPoolInput{
		UserPoolId:                  p.Id,
		AccountRecoverySetting:      p.AccountRecoverySetting,
		AdminCreateUserConfig:       p.AdminCreateUserConfig,
		AutoVerifiedAttributes:      p.AutoVerifiedAttributes,
		DeletionProtection:          p.DeletionProtection,
		DeviceConfiguration:         p.DeviceConfiguration,
		EmailConfiguration:          p.EmailConfiguration,
		EmailVerificationMessage:    p.EmailVerificationMessage,
		EmailVerificationSubject:    p.EmailVerificationSubject,
		IssuerConfiguration:         p.IssuerConfiguration,
		KeyConfiguration:            p.KeyConfiguration,
		LambdaConfig:                p.LambdaConfig,
		MfaConfiguration:            p.MfaConfiguration,
		Policies:                    p.Policies,
		PoolName:                    p.Name,
		SmsAuthenticationMessage:    p.SmsAuthenticationMessage,
		SmsConfiguration:            p.SmsConfiguration,
		SmsVerificationMessage:      p.SmsVerificationMessage,
		UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
		UserPoolAddOns:              p.UserPoolAddOns,
		UserPoolTags:                p.UserPoolTags,
		UserPoolTier:                p.UserPoolTier,
		VerificationMessageTemplate: p.VerificationMessageTemplate,
	}
	// Copy what PlanAttach changes, so the pool read stays as it was.
	if p.LambdaConfig != nil {
		lc := *p.LambdaConfig
		in.LambdaConfig = &lc
	}
	// Cognito refuses the deprecated UnusedAccountValidityDays next to
	// the password policy's TemporaryPasswordValidityDays, which replaced
	// it; DescribeUserPool returns both.
	if c := p.AdminCreateUserConfig; c != nil && c.UnusedAccountValidityDays != 0 &&
		p.Policies != nil && p.Policies.PasswordPolicy != nil && p.Policies.PasswordPolicy.TemporaryPasswordValidityDays != 0 {
		cc := *c
		cc.UnusedAccountValidityDays = 0
		in.AdminCreateUserConfig = &cc
		notes = append(notes, "AdminCreateUserConfig.UnusedAccountValidityDays is not sent: Policies.PasswordPolicy.TemporaryPasswordValidityDays replaces it")
	}
	return in, notes
}

// diff lists the settings that differ between a and b as
// "path: old -> new", sorted by path.
func diff(a, b *cip.UpdateUserPoolInput) ([]string, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, v := range fb {
		if old, ok := fa[k]; !ok {
			out = append(out, fmt.Sprintf("%s: (unset) -> %s", k, v))
		} else if old != v {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, old, v))
		}
	}
	for k, v := range fa {
		if _, ok := fb[k]; !ok {
			out = append(out, fmt.Sprintf("%s: %s -> (unset)", k, v))
		}
	}
	slices.Sort(out)
	return out, nil
}

// flatten turns an input into "path" -> JSON value of each leaf.
func flatten(in *cip.UpdateUserPoolInput) (map[string]string, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("compare settings: %w", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("compare settings: %w", err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, e)
			}
		case nil:
		default:
			b, _ := json.Marshal(x)
			out[path] = string(b)
		}
	}
	walk("", v)
	return out, nil
}

package cognito_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/cognito/lambdaperm"
)

// fill sets v to a value that is not its zero value.
func fill(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		if v.Elem().Kind() != reflect.Struct {
			fill(t, v.Elem())
		}
	case reflect.String:
		v.SetString("X")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(7)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k)
		fill(t, e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
	default:
		t.Fatalf("fill: unhandled kind %s", v.Kind())
	}
}

// sourceField names the UserPoolType field an UpdateUserPoolInput field
// comes from.
var sourceField = map[string]string{"UserPoolId": "Id", "PoolName": "Name"}

// TestUpdateInputMapsEveryField: every field UpdateUserPool takes is copied
// from DescribeUserPool's answer. A new SDK field that UpdateInput does not
// map fails this test, instead of being reset on the customer's pool.
func TestUpdateInputMapsEveryField(t *testing.T) {
	var p types.UserPoolType
	pv := reflect.ValueOf(&p).Elem()
	for i := range pv.NumField() {
		if pv.Type().Field(i).IsExported() {
			fill(t, pv.Field(i))
		}
	}
	in, notes := cognito.UpdateInput(&p)
	if len(notes) != 0 {
		t.Errorf("notes = %q", notes)
	}
	iv := reflect.ValueOf(in).Elem()
	for i := range iv.NumField() {
		f := iv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		src := f.Name
		if s, ok := sourceField[src]; ok {
			src = s
		}
		sv := pv.FieldByName(src)
		if !sv.IsValid() {
			t.Errorf("UpdateUserPool takes %s, which DescribeUserPool does not return: decide how to keep it", f.Name)
			continue
		}
		if iv.Field(i).IsZero() || !reflect.DeepEqual(iv.Field(i).Interface(), sv.Interface()) {
			t.Errorf("%s is not written back (UpdateUserPool would reset it)", f.Name)
		}
	}
}

func TestUpdateInputDropsDeprecatedValidity(t *testing.T) {
	p := &types.UserPoolType{
		AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7},
		Policies:              &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{TemporaryPasswordValidityDays: 7}},
	}
	in, notes := cognito.UpdateInput(p)
	if in.AdminCreateUserConfig.UnusedAccountValidityDays != 0 || !in.AdminCreateUserConfig.AllowAdminCreateUserOnly || len(notes) != 1 {
		t.Errorf("AdminCreateUserConfig = %+v, notes %q", in.AdminCreateUserConfig, notes)
	}
	if p.AdminCreateUserConfig.UnusedAccountValidityDays != 7 {
		t.Error("the pool read was changed")
	}
}

// snapshot is everything DescribeUserPool and GetUserPoolMfaConfig say
// about a pool, as JSON, without what changes on its own.
func snapshot(t *testing.T, api *cip.Client, pool string) (map[string]any, string) {
	t.Helper()
	ctx := context.Background()
	d, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(d.UserPool)
	var m map[string]any
	json.Unmarshal(data, &m)
	delete(m, "LastModifiedDate")
	delete(m, "EstimatedNumberOfUsers")
	mfa, err := api.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(pool)})
	if err != nil {
		t.Fatal(err)
	}
	mfaJSON, _ := json.Marshal(struct {
		A, B, C, D any
	}{mfa.MfaConfiguration, mfa.SoftwareTokenMfaConfiguration, mfa.SmsMfaConfiguration, mfa.EmailMfaConfiguration})
	return m, string(mfaJSON)
}

// TestAttachKeepsSettings: attach sets the post-confirmation trigger of a
// pool with other triggers, MFA and many settings, and changes nothing
// else; it adds Cognito's permission to invoke the function; it refuses to
// replace another trigger unless forced.
func TestAttachKeepsSettings(t *testing.T) {
	t.Parallel()
	srv := moto.Shared(t)
	ctx := context.Background()
	api := cip.NewFromConfig(srv.Config())
	lam := lambda.NewFromConfig(srv.Config())
	fn := cognitotest.Function(t, srv, lam, moto.UniqueName(t, "fn"))
	other := "arn:aws:lambda:us-east-1:123456789012:function:someone-elses"
	created, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String(moto.UniqueName(t, "pool")),
		LambdaConfig: &types.LambdaConfigType{
			PreSignUp:          aws.String("arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"),
			CustomMessage:      aws.String("arn:aws:lambda:us-east-1:123456789012:function:custom-message"),
			PostAuthentication: aws.String("arn:aws:lambda:us-east-1:123456789012:function:post-auth"),
		},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3,
		}},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		// No UsernameAttributes: they are fixed at creation, and Cognito
		// keeps them through UpdateUserPool, but moto resets them.
		AdminCreateUserConfig:    &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		DeviceConfiguration:      &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		EmailVerificationSubject: aws.String("Your code"),
		EmailVerificationMessage: aws.String("Code: {####}"),
		SmsAuthenticationMessage: aws.String("Auth {####}"),
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)},
		}},
		UserPoolTags:       map[string]string{"team": "chat", "env": "test"},
		DeletionProtection: types.DeletionProtectionTypeActive,
	})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	pool := aws.ToString(created.UserPool.Id)
	if _, err := api.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId:                    aws.String(pool),
		MfaConfiguration:              types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
	}); err != nil {
		t.Fatalf("SetUserPoolMfaConfig: %v", err)
	}
	before, mfaBefore := snapshot(t, api, pool)
	if before["MfaConfiguration"] != "OPTIONAL" {
		t.Fatalf("setup: MfaConfiguration = %v", before["MfaConfiguration"])
	}

	c := cognito.New(api, cognito.Options{})
	plan, err := c.PlanAttach(ctx, pool, fn, false)
	if err != nil {
		t.Fatalf("PlanAttach: %v", err)
	}
	want := []string{`LambdaConfig.PostConfirmation: (unset) -> "` + fn + `"`}
	if !reflect.DeepEqual(plan.Changes, want) {
		t.Errorf("Changes = %q, want %q", plan.Changes, want)
	}
	if err := c.Attach(ctx, plan, lambdaperm.New(lam)); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	after, mfaAfter := snapshot(t, api, pool)
	lc := after["LambdaConfig"].(map[string]any)
	if lc["PostConfirmation"] != fn {
		t.Errorf("PostConfirmation = %v, want %s", lc["PostConfirmation"], fn)
	}
	delete(lc, "PostConfirmation")
	delete(before["LambdaConfig"].(map[string]any), "PostConfirmation")
	if !reflect.DeepEqual(before, after) {
		b, _ := json.MarshalIndent(before, "", " ")
		a, _ := json.MarshalIndent(after, "", " ")
		t.Errorf("attach changed other settings:\nbefore %s\nafter  %s", b, a)
	}
	if mfaBefore != mfaAfter {
		t.Errorf("MFA settings changed:\nbefore %s\nafter  %s", mfaBefore, mfaAfter)
	}

	pol, err := lam.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	doc := aws.ToString(pol.Policy)
	for _, s := range []string{"cognito-idp.amazonaws.com", plan.PoolARN, "lambda:InvokeFunction", cognito.PermissionStatementID(plan.PoolARN)} {
		if s == "" || !strings.Contains(doc, s) {
			t.Errorf("function policy lacks %q: %s", s, doc)
		}
	}

	// Again: nothing to change, the permission already there is fine.
	plan, err = c.PlanAttach(ctx, pool, fn, false)
	if err != nil || len(plan.Changes) != 0 {
		t.Fatalf("second PlanAttach = %+v, %v", plan, err)
	}
	if err := c.Attach(ctx, plan, lambdaperm.New(lam)); err != nil {
		t.Fatalf("second Attach: %v", err)
	}

	// Another function: refused, unless forced.
	if _, err := c.PlanAttach(ctx, pool, other, false); !errors.Is(err, cognito.ErrOtherTrigger) {
		t.Fatalf("PlanAttach over another trigger: err = %v, want cognito.ErrOtherTrigger", err)
	}
	plan, err = c.PlanAttach(ctx, pool, other, true)
	if err != nil {
		t.Fatalf("forced PlanAttach: %v", err)
	}
	want = []string{`LambdaConfig.PostConfirmation: "` + fn + `" -> "` + other + `"`}
	if !reflect.DeepEqual(plan.Changes, want) || plan.Previous != fn {
		t.Errorf("forced plan = %q (previous %q), want %q", plan.Changes, plan.Previous, want)
	}
}

func TestPlanAttachRefusesBadARN(t *testing.T) {
	c := cognito.New(nil, cognito.Options{})
	for _, a := range []string{"", "my-function", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:lambda:us-east-1:123456789012:layer:x"} {
		if _, err := c.PlanAttach(context.Background(), "pool", a, false); err == nil || !strings.Contains(err.Error(), "not a Lambda function ARN") {
			t.Errorf("PlanAttach(%q) err = %v", a, err)
		}
	}
}

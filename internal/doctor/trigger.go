package doctor

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// UserPoolAPI is the part of the Cognito client the trigger check uses;
// *cognitoidentityprovider.Client implements it.
type UserPoolAPI interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
}

// PermissionReader tells whether a function's resource-based policy allows
// a permission; *lambdaperm.Reader implements it.
type PermissionReader interface {
	Allows(ctx context.Context, p cognito.Permission) (bool, error)
}

// Trigger checks that pool's post-confirmation trigger is functionARN and
// that the function's resource policy lets Cognito invoke it for that
// pool: two results, the trigger and the permission.
func Trigger(ctx context.Context, pools UserPoolAPI, perms PermissionReader, pool, functionARN string) []Result {
	attach := fmt.Sprintf("chatsync attach -user-pool-id %s -function-arn %s", pool, functionARN)
	out, err := pools.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if err != nil {
		r := Fail("sign-up trigger", "check the pool ID and region, and allow cognito-idp:DescribeUserPool", "cannot read user pool %s: %v", pool, err)
		return []Result{r, Fail("trigger permission", "fix the sign-up trigger check first", "not checked")}
	}
	var trigger, poolARN string
	if p := out.UserPool; p != nil {
		poolARN = aws.ToString(p.Arn)
		if p.LambdaConfig != nil {
			trigger = aws.ToString(p.LambdaConfig.PostConfirmation)
		}
	}
	var results []Result
	switch trigger {
	case functionARN:
		results = append(results, Pass("sign-up trigger", "user pool %s calls %s after each confirmed sign-up", pool, functionARN))
	case "":
		results = append(results, Fail("sign-up trigger", "run "+attach, "user pool %s has no post-confirmation trigger: sign-ups are not imported", pool))
	default:
		results = append(results, Fail("sign-up trigger", "run "+attach+" -force, if the other function should not run", "user pool %s's post-confirmation trigger is %s, not the import function %s", pool, trigger, functionARN))
	}
	ok, err := perms.Allows(ctx, cognito.Permission{FunctionARN: functionARN, Action: "lambda:InvokeFunction", Principal: "cognito-idp.amazonaws.com", SourceARN: poolARN})
	switch {
	case err != nil:
		results = append(results, Fail("trigger permission", "allow lambda:GetPolicy on the function", "cannot read the function's resource policy: %v", err))
	case !ok:
		results = append(results, Fail("trigger permission", "run "+attach+" (it adds the permission)", "the function's resource policy does not let cognito-idp.amazonaws.com invoke it for %s: Cognito's calls fail and sign-ups are not imported", pool))
	default:
		results = append(results, Pass("trigger permission", "cognito-idp.amazonaws.com may invoke the function for %s", pool))
	}
	return results
}

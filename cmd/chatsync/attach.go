package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/cognito/lambdaperm"
)

// attachUsage is the help of chatsync attach.
var attachUsage = usage{synopsis: "chatsync attach -user-pool-id POOL -function-arn ARN [-force] [-dry-run] [-yes]", flags: flagsOf(attachFlags), backend: false, description: `
Attach makes an existing Cognito user pool call the import function after
each sign-up confirmation (its post-confirmation trigger), and lets Cognito
invoke the function for that pool only (a resource policy statement with the
pool's ARN as its source).

Cognito's UpdateUserPool resets every setting it is not given, so attach
reads the pool, changes only LambdaConfig.PostConfirmation, and writes every
other setting back as it was. It prints the difference first and asks
before applying it (-yes applies without asking; -dry-run only prints it).
It refuses to replace a different post-confirmation trigger unless given
-force.

AWS credentials, region and endpoint come from the SDK's usual chain. It
needs cognito-idp:DescribeUserPool and cognito-idp:UpdateUserPool on the
pool, and lambda:AddPermission on the function.`,
}

type attachOptions struct {
	pool     string
	function string
	force    bool
	dryRun   bool
	yes      bool
}

func attachFlags() (*flag.FlagSet, *attachOptions) {
	fs := newFlagSet("attach")
	o := &attachOptions{}
	fs.StringVar(&o.pool, "user-pool-id", "", "the Cognito user pool `ID` (required)")
	fs.StringVar(&o.function, "function-arn", "", "the import function's `ARN` (required; the stack's ImportFunctionArn output)")
	fs.BoolVar(&o.force, "force", false, "replace a different post-confirmation trigger")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the difference and change nothing")
	fs.BoolVar(&o.yes, "yes", false, "apply without asking")
	return fs, o
}

func (c *cli) attach(ctx context.Context, args []string) error {
	_, o, pos, err := parseFlags(args, attachFlags)
	if err != nil {
		return err
	}
	o.pool, o.function = strings.TrimSpace(o.pool), strings.TrimSpace(o.function)
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case o.pool == "":
		return usagef("-user-pool-id is required")
	case o.function == "":
		return usagef("-function-arn is required")
	case o.dryRun && o.yes:
		return usagef("-dry-run and -yes contradict each other")
	}
	fn, err := arn.Parse(o.function)
	if err != nil || fn.Service != "lambda" || !strings.HasPrefix(fn.Resource, "function:") {
		return usagef("-function-arn %q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", o.function)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = fn.Region // a pool's trigger is in its own region
	}
	if fn.Region != awsCfg.Region {
		return usagef("the function is in %s but the AWS region is %s: a pool's triggers are in its own region", fn.Region, awsCfg.Region)
	}
	client := cognito.New(cip.NewFromConfig(awsCfg), cognito.Options{})
	plan, err := client.PlanAttach(ctx, o.pool, o.function, o.force)
	if errors.Is(err, cognito.ErrOtherTrigger) {
		fmt.Fprintf(c.stderr, "chatsync attach: %v\n", err)
		return errReported
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "user pool %s\n", o.pool)
	if len(plan.Changes) == 0 {
		fmt.Fprintln(c.stdout, "  no change: the post-confirmation trigger is already this function")
	}
	for _, ch := range plan.Changes {
		fmt.Fprintf(c.stdout, "  ~ %s\n", ch)
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(c.stdout, "  note: %s\n", n)
	}
	lam := lambda.NewFromConfig(awsCfg)
	perm := cognito.Permission{FunctionARN: o.function, Action: "lambda:InvokeFunction", Principal: "cognito-idp.amazonaws.com", SourceARN: plan.PoolARN}
	allowed, err := lambdaperm.NewReader(lam).Allows(ctx, perm)
	if err != nil {
		return err
	}
	if allowed {
		fmt.Fprintf(c.stdout, "function %s\n  = permission: cognito-idp.amazonaws.com may already invoke it for this pool\n", o.function)
	} else {
		fmt.Fprintf(c.stdout, "function %s\n  + permission %s: cognito-idp.amazonaws.com may invoke it for this pool only\n", o.function, cognito.PermissionStatementID(plan.PoolARN))
	}
	if len(plan.Changes) == 0 && allowed {
		fmt.Fprintln(c.stderr, "nothing to apply: the pool and the function are already set up")
		return nil
	}
	if o.dryRun {
		fmt.Fprintln(c.stderr, "dry run: nothing changed")
		return nil
	}
	if !o.yes {
		fmt.Fprint(c.stderr, "Apply? [y/N] ")
		answer, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(c.stderr, "not applied: nothing changed")
			return errReported
		}
	}
	if err := client.Attach(ctx, plan, lambdaperm.New(lam)); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "applied: the pool calls the function after each confirmed sign-up")
	return nil
}

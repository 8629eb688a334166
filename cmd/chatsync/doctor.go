package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/doctor"
	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito/lambdaperm"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// doctorUsage is the help of chatsync doctor.
var doctorUsage = usage{synopsis: "chatsync doctor [-stack NAME] [-secret-id ID] [-user-pool-id POOL -function-arn ARN] [-lifecycle] [-dlq URL]... [-ledger-table NAME] [backend flags]", flags: flagsOf(doctorFlags), backend: true, description: `
Doctor checks a deployed stack and prints one line per check, each starting
with PASS or FAIL; a FAIL line ends with what to do. The checks:

  secret             the Chat secret reads and parses
  chat key           the key works: an account_check of the admin identifier
  sign-up trigger    the user pool's post-confirmation trigger is the import function
  trigger permission the function's resource policy lets Cognito invoke it for that pool
  cloudtrail         with lifecycle events on, a trail in the pool's region logs
                     management events (else EventBridge never sees Cognito's calls)
  dead-letter queue  each dead-letter queue is empty
  ledger table       the ledger table exists and is ACTIVE

-stack NAME reads the values from the stack (DescribeStacks): its
ChatSecretArn, ChatRegion, ChatBaseUrl and LifecycleEvents parameters and its
UserPoolId, ImportFunctionArn, *DeadLetterQueueUrl and LedgerTableName
outputs. Each flag overrides the stack's value, or stands alone without
-stack; a check whose values are missing is not run, and stderr says so. The
ledger table can also come from env LEDGER_TABLE.

AWS credentials, region and endpoint come from the SDK's usual chain
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...). It reads only: it needs
cloudformation:DescribeStacks, secretsmanager:GetSecretValue,
cognito-idp:DescribeUserPool, lambda:GetPolicy, cloudtrail:DescribeTrails,
GetTrailStatus and GetEventSelectors, sqs:GetQueueAttributes and
dynamodb:DescribeTable. Exit status: 0 when every check passed, 1 when one
failed, 2 for a usage error.`,
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

type doctorOptions struct {
	backend   backendFlags
	stack     string
	pool      string
	function  string
	lifecycle bool
	dlqs      stringList
	ledger    string
	timeout   time.Duration
}

func doctorFlags() (*flag.FlagSet, *doctorOptions) {
	o := &doctorOptions{}
	fs := backendFlagSet("doctor", &o.backend)
	fs.StringVar(&o.stack, "stack", "", "read the values to check from the CloudFormation stack `NAME`")
	fs.StringVar(&o.pool, "user-pool-id", "", "the Cognito user pool `ID` (stack output UserPoolId)")
	fs.StringVar(&o.function, "function-arn", "", "the import function's `ARN` (stack output ImportFunctionArn)")
	fs.BoolVar(&o.lifecycle, "lifecycle", false, "lifecycle events are on: check the CloudTrail trail (stack parameter LifecycleEvents)")
	fs.Var(&o.dlqs, "dlq", "a dead-letter queue `URL` to check (repeatable; the stack's *DeadLetterQueueUrl outputs)")
	fs.StringVar(&o.ledger, "ledger-table", "", "the ledger table `NAME` (stack output LedgerTableName, env LEDGER_TABLE)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up after this long")
	return fs, o
}

func (c *cli) doctor(ctx context.Context, args []string) error {
	fs, o, pos, err := parseFlags(args, doctorFlags)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	set := wasSet(fs)
	if err := o.validate(set); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	awsCfg, err := c.awsConfig(ctx, "doctor")
	if err != nil {
		return err
	}

	var t doctor.Target
	if o.stack != "" {
		t, err = doctor.ReadStack(ctx, cloudformation.NewFromConfig(awsCfg), o.stack)
		if err != nil {
			fmt.Fprintln(c.stdout, doctor.Fail("stack", "give the stack's name with -stack, in its region (AWS_REGION), or the values as flags", "%s", publicAWSError(err)))
			return errReported
		}
	}
	o.overlay(&t, set, c.getenv)
	remote, err := o.backend.remote(set, stackEnv(t, c.getenv))
	if err != nil {
		return err
	}
	if t.UserPoolID == "" && t.FunctionARN != "" || t.UserPoolID != "" && t.FunctionARN == "" {
		return usagef("-user-pool-id and -function-arn go together (the trigger check needs both)")
	}

	var results []doctor.Result
	var skipped []string
	if remote != nil {
		results = append(results, c.doctorChat(ctx, remote)...)
	} else {
		skipped = append(skipped, "secret and chat key (give -secret-id, or -stack)")
	}
	if t.UserPoolID != "" {
		lam := lambdaperm.NewReader(lambda.NewFromConfig(awsCfg))
		results = append(results, doctor.Trigger(ctx, cip.NewFromConfig(awsCfg), lam, t.UserPoolID, t.FunctionARN)...)
	} else {
		skipped = append(skipped, "sign-up trigger (give -user-pool-id and -function-arn)")
	}
	if t.Lifecycle {
		region := poolRegion(t.UserPoolID, awsCfg.Region)
		ct := cloudtrail.NewFromConfig(awsCfg, func(o *cloudtrail.Options) { o.Region = region })
		results = append(results, doctor.Trail(ctx, ct, region))
	}
	if len(t.DLQs) > 0 {
		q := sqs.NewFromConfig(awsCfg)
		for _, u := range t.DLQs {
			results = append(results, doctor.DeadLetterQueue(ctx, q, u))
		}
	} else {
		skipped = append(skipped, "dead-letter queues (give -dlq URL)")
	}
	if t.LedgerTable != "" {
		results = append(results, doctor.LedgerTable(ctx, dynamodb.NewFromConfig(awsCfg), t.LedgerTable))
	}
	ok := doctor.Report(c.stdout, results)
	if len(skipped) > 0 {
		fmt.Fprintf(c.stderr, "not checked: %s\n", strings.Join(skipped, "; "))
	}
	if !ok {
		return errReported
	}
	return nil
}

// validate refuses a command line doctor cannot run.
func (o *doctorOptions) validate(set map[string]bool) error {
	o.stack, o.pool, o.function, o.ledger = strings.TrimSpace(o.stack), strings.TrimSpace(o.pool), strings.TrimSpace(o.function), strings.TrimSpace(o.ledger)
	switch {
	case o.backend.emulator:
		return usagef("-emulator: doctor checks a deployed stack, and the emulator has none")
	case o.timeout <= 0:
		return usagef("-timeout must be positive")
	case set["stack"] && o.stack == "":
		return usagef("-stack is empty")
	}
	if o.stack == "" {
		var given bool
		for _, name := range []string{"secret-id", "sdkappid", "key-file", "user-pool-id", "function-arn", "dlq", "ledger-table"} {
			given = given || set[name]
		}
		if !given {
			return usagef("nothing to check: give -stack NAME (a deployed stack), or the values as flags (-secret-id, -user-pool-id with -function-arn, -dlq, -ledger-table)")
		}
	}
	if o.function != "" {
		if a, err := arn.Parse(o.function); err != nil || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
			return usagef("-function-arn %q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", o.function)
		}
	}
	for _, d := range o.dlqs {
		if u, err := url.Parse(d); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return usagef("-dlq %q is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)", d)
		}
	}
	return nil
}

// overlay puts the values given on the command line (and LEDGER_TABLE)
// over the stack's.
func (o *doctorOptions) overlay(t *doctor.Target, set map[string]bool, getenv func(string) string) {
	if set["user-pool-id"] {
		t.UserPoolID = o.pool
	}
	if set["function-arn"] {
		t.FunctionARN = o.function
	}
	if set["lifecycle"] {
		t.Lifecycle = o.lifecycle
	}
	if len(o.dlqs) > 0 {
		t.DLQs = o.dlqs
	}
	switch {
	case set["ledger-table"]:
		t.LedgerTable = o.ledger
	case t.LedgerTable == "":
		t.LedgerTable = strings.TrimSpace(getenv(config.EnvLedgerTable))
	}
}

// stackEnv is getenv with the stack's secret and Chat endpoint in place of
// CHAT_SECRET_ID, CHAT_REGION and CHAT_BASE_URL, so that the backend flags
// still override them.
func stackEnv(t doctor.Target, getenv func(string) string) func(string) string {
	return func(k string) string {
		switch {
		case k == config.EnvSecretID && t.SecretID != "":
			return t.SecretID
		case k == config.EnvRegion && (t.ChatRegion != "" || t.ChatBaseURL != ""):
			return t.ChatRegion
		case k == config.EnvBaseURL && (t.ChatRegion != "" || t.ChatBaseURL != ""):
			return t.ChatBaseURL
		}
		return getenv(k)
	}
}

// doctorChat checks the secret (when there is one) and the key: it reads
// the secret as the functions do, then asks Chat about the admin account.
func (c *cli) doctorChat(ctx context.Context, r *local.Remote) []doctor.Result {
	stack, err := local.Connect(ctx, *r, local.Options{})
	if err != nil {
		fix := "check the secret's name or ARN, its region (AWS_REGION) and that you may read it"
		switch secrets.ErrorCode(err) {
		case secrets.CodeNotJSON, secrets.CodeFieldMissing, secrets.CodeFieldInvalid, secrets.CodeNotString:
			fix = `make the SecretString {"sdkAppId": 1400000000, "secretKey": "...", "adminIdentifier": "administrator"} (docs/configuration.md)`
		case secrets.CodeAccessDenied:
			fix = "allow secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key) to this caller"
		}
		return []doctor.Result{
			doctor.Fail("secret", fix, "%s", publicAWSError(err)),
			doctor.Fail("chat key", "fix the secret first", "not checked"),
		}
	}
	defer stack.Close()
	var results []doctor.Result
	var creds chat.Credentials
	if stack.Secrets != nil {
		creds, _ = stack.Secrets.Credentials(ctx)
		results = append(results, doctor.Pass("secret", "%s reads and parses: SDKAppID %d, admin %q", r.SecretID, creds.SDKAppID, creds.Admin))
	} else {
		creds = *r.Credentials
	}
	res, err := stack.Client.CheckAccounts(ctx, []string{creds.Admin})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return append(results, doctor.Fail("chat key", keyFix(err), "account_check of %q at %s failed: %s", creds.Admin, stack.Client.BaseURL(), chat.PublicMessage(err)))
	}
	status := "answered"
	if len(res.Items) > 0 {
		status = "answered " + res.Items[0].AccountStatus
	}
	return append(results, doctor.Pass("chat key", "Chat at %s accepted the admin UserSig: account_check of %q %s", stack.Client.BaseURL(), creds.Admin, status))
}

// keyFix says what to do about a failed key check.
func keyFix(err error) string {
	var ce *chat.Error
	if !errors.As(err, &ce) {
		return "check the Chat region (ChatRegion, -region) and that this machine reaches Chat"
	}
	switch {
	case ce.Class == chat.ClassCredentials || ce.Class == chat.ClassSignature:
		return "put the app's current key (Chat console, Basic Configuration, Display key) and its SDKAppID in the secret"
	case ce.Code == chat.CodeNotAdmin:
		return "make adminIdentifier an account of type Admin (Chat console, Account Management)"
	case ce.Class == chat.ClassTransient || ce.Class == chat.ClassRateLimited:
		return "Chat did not answer in time: run doctor again; if it persists check the region and the network"
	}
	return "check the SDKAppID, the region (ChatRegion) and the admin account in the Chat console (docs/chat-api.md, error codes)"
}

// poolRegion returns the region in a user pool ID ("us-east-1_AbC"), or
// def.
func poolRegion(pool, def string) string {
	if r, _, ok := strings.Cut(pool, "_"); ok && r != "" {
		return r
	}
	return def
}

// publicAWSError is err's text for an operator's terminal: the AWS SDK's
// request IDs and retry details dropped.
func publicAWSError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", https response error"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/cognito/lambdaperm"
)

// doctorWorld is a deployed stack as moto and the emulator serve it: a
// secret, a pool with (or without) its trigger, a trail, dead-letter
// queues, a ledger table, and a CloudFormation stack whose parameters and
// outputs name them.
type doctorWorld struct {
	srv       *moto.Server
	emu       *chatemu.Running
	secretARN string
	poolID    string
	fn        string
	dlqs      []string
	ledger    string
	stack     string
	trail     string
}

// doctorSetup says how healthy the world is.
type doctorSetup struct {
	secret      string // SecretString; "" for the emulator's right key
	noTrigger   bool   // leave the pool without its post-confirmation trigger
	stopTrail   bool   // the trail exists but is not logging
	dlqMessage  bool   // one message waits in the first dead-letter queue
	noLedger    bool   // the stack names a ledger table that does not exist
	lifecycleOn bool
}

func newDoctorWorld(t *testing.T, s doctorSetup) *doctorWorld {
	t.Helper()
	srv := moto.Shared(t)
	srv.SetEnv(t)
	ctx := context.Background()
	cfg := srv.Config()
	w := &doctorWorld{srv: srv}
	w.emu = chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: testKey})

	secret := s.secret
	if secret == "" {
		secret = fmt.Sprintf(`{"sdkAppId":%d,"secretKey":%q,"adminIdentifier":"administrator"}`, testAppID, testKey)
	}
	sm, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(moto.UniqueName(t, "chat")), SecretString: aws.String(secret),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.secretARN = aws.ToString(sm.ARN)

	lam := lambda.NewFromConfig(cfg)
	w.fn = cognitotest.Function(t, srv, lam, moto.UniqueName(t, "import"))
	pool := cognitotest.NewPool(t, cip.NewFromConfig(cfg), moto.UniqueName(t, "pool"))
	w.poolID = pool.ID
	if !s.noTrigger {
		users := cognito.New(pool.API, cognito.Options{})
		plan, err := users.PlanAttach(ctx, pool.ID, w.fn, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Attach(ctx, plan, lambdaperm.New(lam)); err != nil {
			t.Fatal(err)
		}
	}

	bucket := strings.ToLower(moto.UniqueName(t, "trail"))
	createBucket(t, srv, bucket)
	ct := cloudtrail.NewFromConfig(cfg)
	trail := moto.UniqueName(t, "trail")
	w.trail = trail
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(trail), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ct.DeleteTrail(context.Background(), &cloudtrail.DeleteTrailInput{Name: aws.String(trail)}) })
	if !s.stopTrail {
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(trail)}); err != nil {
			t.Fatal(err)
		}
	}

	q := sqs.NewFromConfig(cfg)
	for _, name := range []string{"dlq", "lifecycle-dlq"} {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, name))})
		if err != nil {
			t.Fatal(err)
		}
		w.dlqs = append(w.dlqs, aws.ToString(out.QueueUrl))
	}
	if s.dlqMessage {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(w.dlqs[0]), MessageBody: aws.String(`{"version":1}`)}); err != nil {
			t.Fatal(err)
		}
	}

	w.ledger = moto.UniqueName(t, "ledger")
	if !s.noLedger {
		_, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(w.ledger),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	w.stack = moto.UniqueName(t, "stack")
	lifecycle := "false"
	if s.lifecycleOn {
		lifecycle = "true"
	}
	params := map[string]string{
		"ChatSecretArn": w.secretARN, "ChatRegion": "singapore", "ChatBaseUrl": w.emu.URL, "LifecycleEvents": lifecycle,
		"PoolId": w.poolID, "FunctionArn": w.fn, "Dlq": w.dlqs[0], "LifecycleDlq": w.dlqs[1], "Ledger": w.ledger,
	}
	var ps []cfntypes.Parameter
	for k, v := range params {
		ps = append(ps, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(w.stack), TemplateBody: aws.String(doctorStackTemplate), Parameters: ps,
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// doctorStackTemplate stands in for the deployed template: the parameters
// and outputs doctor reads, with the values of the world's resources.
const doctorStackTemplate = `{
  "Parameters": {
    "ChatSecretArn": {"Type": "String"}, "ChatRegion": {"Type": "String"}, "ChatBaseUrl": {"Type": "String"},
    "LifecycleEvents": {"Type": "String"}, "PoolId": {"Type": "String"}, "FunctionArn": {"Type": "String"},
    "Dlq": {"Type": "String"}, "LifecycleDlq": {"Type": "String"}, "Ledger": {"Type": "String"}
  },
  "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
  "Outputs": {
    "UserPoolId": {"Value": {"Ref": "PoolId"}},
    "ImportFunctionArn": {"Value": {"Ref": "FunctionArn"}},
    "DeadLetterQueueUrl": {"Value": {"Ref": "Dlq"}},
    "LifecycleDeadLetterQueueUrl": {"Value": {"Ref": "LifecycleDlq"}},
    "RetryQueueUrl": {"Value": "https://sqs.us-east-1.amazonaws.com/123456789012/not-a-dead-letter-queue"},
    "LedgerTableName": {"Value": {"Ref": "Ledger"}}
  }
}`

// createBucket makes an S3 bucket on moto for the trail's logs, through
// S3's REST API (the module has no S3 client).
func createBucket(t *testing.T, srv *moto.Server, name string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+name, nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket: HTTP %d", resp.StatusCode)
	}
}

// checkLines returns stdout's lines, failing unless each starts with PASS
// or FAIL, and each FAIL says what to do.
func checkLines(t *testing.T, stdout string) []string {
	t.Helper()
	ls := lines(stdout)
	for _, l := range ls {
		switch {
		case strings.HasPrefix(l, "PASS "):
		case strings.HasPrefix(l, "FAIL "):
			if !strings.Contains(l, "; fix: ") {
				t.Errorf("FAIL line says nothing to do: %s", l)
			}
		default:
			t.Errorf("line starts with neither PASS nor FAIL: %q", l)
		}
	}
	return ls
}

// TestDoctorHealthy: on a healthy stack every check passes, from -stack
// alone, and exit status is 0.
func TestDoctorHealthy(t *testing.T) {
	w := newDoctorWorld(t, doctorSetup{lifecycleOn: true})
	r := run(t, "doctor", "-stack", w.stack)
	t.Logf("chatsync doctor -stack %s:\n%s%s", w.stack, r.stdout, r.stderr)
	r.want(t, exitOK)
	got := checkLines(t, r.stdout)
	want := []string{
		fmt.Sprintf("PASS secret: %s reads and parses: SDKAppID %d, admin \"administrator\"", w.secretARN, testAppID),
		fmt.Sprintf("PASS chat key: Chat at %s accepted the admin UserSig: account_check of \"administrator\" answered NotImported", w.emu.URL),
		fmt.Sprintf("PASS sign-up trigger: user pool %s calls %s after each confirmed sign-up", w.poolID, w.fn),
		fmt.Sprintf("PASS trigger permission: cognito-idp.amazonaws.com may invoke the function for %s", w.poolID),
		"PASS cloudtrail: trail ",
		"PASS dead-letter queue ",
		"PASS dead-letter queue ",
		fmt.Sprintf("PASS ledger table: %s is ACTIVE", w.ledger),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), r.stdout)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q, want it to start %q", i+1, got[i], want[i])
		}
	}
	w.docExample(t, "doctor-healthy", "chatsync doctor -stack chat-lambdas", r)
	if strings.Contains(r.stdout, "not-a-dead-letter-queue") {
		t.Errorf("doctor checked the retry queue as a dead-letter queue:\n%s", r.stdout)
	}
}

// TestDoctorBroken: each broken part fails its own check with what to do,
// the others still pass, and exit status is 1.
func TestDoctorBroken(t *testing.T) {
	w := newDoctorWorld(t, doctorSetup{
		secret:    fmt.Sprintf(`{"sdkAppId":%d,"secretKey":"an-old-key","adminIdentifier":"administrator"}`, testAppID),
		noTrigger: true, stopTrail: true, dlqMessage: true, noLedger: true, lifecycleOn: true,
	})
	r := run(t, "doctor", "-stack", w.stack)
	t.Logf("chatsync doctor -stack %s:\n%s%s", w.stack, r.stdout, r.stderr)
	r.want(t, exitFailure)
	got := checkLines(t, r.stdout)
	want := []string{
		"PASS secret: ",
		"FAIL chat key: account_check of \"administrator\" at " + w.emu.URL + " failed: ",
		"FAIL sign-up trigger: user pool " + w.poolID + " has no post-confirmation trigger",
		"FAIL trigger permission: ",
		"FAIL cloudtrail: lifecycle events are on but no trail in us-east-1 logs management events: ",
		"FAIL dead-letter queue ",
		"PASS dead-letter queue ",
		"FAIL ledger table: no table \"" + w.ledger + "\" in this region",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), r.stdout)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q, want it to start %q", i+1, got[i], want[i])
		}
	}
	for _, fix := range []string{"Display key", "chatsync attach -user-pool-id " + w.poolID, "aws cloudtrail create-trail", "redrive", "-ledger-table"} {
		if !strings.Contains(r.stdout, fix) {
			t.Errorf("doctor does not say %q:\n%s", fix, r.stdout)
		}
	}
	w.docExample(t, "doctor-broken", "chatsync doctor -stack chat-lambdas", r)
	if strings.Contains(r.stdout, "an-old-key") {
		t.Errorf("doctor printed the key")
	}
}

// TestDoctorFlags: every value can be given as a flag, without a stack;
// checks without their values are not run, and stderr says so.
func TestDoctorFlags(t *testing.T) {
	w := newDoctorWorld(t, doctorSetup{dlqMessage: true})
	r := run(t, "doctor", "-secret-id", w.secretARN, "-base-url", w.emu.URL, "-user-pool-id", w.poolID, "-function-arn", w.fn)
	r.want(t, exitOK, "not checked: dead-letter queues (give -dlq URL)")
	if n := len(checkLines(t, r.stdout)); n != 4 {
		t.Errorf("%d lines, want 4 (secret, key, trigger, permission):\n%s", n, r.stdout)
	}
	// -dlq replaces the stack's queues; -lifecycle=false drops the trail check.
	r = run(t, "doctor", "-stack", w.stack, "-dlq", w.dlqs[1], "-lifecycle=false", "-ledger-table", w.ledger)
	r.want(t, exitOK)
	if strings.Contains(r.stdout, "cloudtrail") || strings.Count(r.stdout, "dead-letter queue") != 1 {
		t.Errorf("flags did not override the stack:\n%s", r.stdout)
	}
	// The secret's parse error, with the document's shape as the fix.
	bad := newDoctorWorld(t, doctorSetup{secret: `{"sdkAppId":"x"}`})
	r = run(t, "doctor", "-secret-id", bad.secretARN, "-base-url", bad.emu.URL)
	r.want(t, exitFailure, "FAIL secret: ", `fix: make the SecretString {"sdkAppId"`, "FAIL chat key: not checked")
	checkLines(t, r.stdout)
	// LEDGER_TABLE names the table when no flag or output does.
	r = runCLI(t, runOpts{env: map[string]string{"LEDGER_TABLE": "no-such-ledger"}}, "doctor", "-dlq", w.dlqs[1])
	r.want(t, exitFailure, `FAIL ledger table: no table "no-such-ledger"`)
	// An unknown stack is one FAIL line.
	r = run(t, "doctor", "-stack", "no-such-stack")
	r.want(t, exitFailure, `FAIL stack: no stack "no-such-stack" in this AWS region`)
}

// TestDoctorUsage: command lines doctor cannot run exit 2 and say why,
// before any AWS call.
func TestDoctorUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"doctor"}, "nothing to check: give -stack NAME"},
		{[]string{"doctor", "-stack", ""}, "-stack is empty"},
		{[]string{"doctor", "-emulator", "-stack", "s"}, "-emulator"},
		{[]string{"doctor", "-dlq", "my-queue"}, "is not a queue URL"},
		{[]string{"doctor", "-user-pool-id", "us-east-1_x", "-function-arn", "fn"}, "not a Lambda function ARN"},
		{[]string{"doctor", "-stack", "s", "extra"}, "unexpected argument"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			run(t, c.args...).want(t, exitUsage, c.want)
		})
	}
}

// TestNoAWSRegion: with no AWS region configured, the AWS commands say what
// to set, in their own terms, never the SDK's "Missing Region".
func TestNoAWSRegion(t *testing.T) {
	srv := moto.Shared(t)
	srv.SetEnv(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	for _, args := range [][]string{
		{"doctor", "-stack", "s"},
		{"sync", "-user-pool-id", "us-east-1_x", "-emulator"},
	} {
		r := run(t, args...)
		r.want(t, exitUsage, "no AWS region", "set AWS_REGION")
		if strings.Contains(r.stderr, "Missing Region") {
			t.Errorf("%v: the SDK's error reached the user:\n%s", args, r.stderr)
		}
	}
}

// docExample checks the example of docs/local-tools.md between
// <!-- name --> and <!-- /name -->: the command line, the output byte for
// byte once the world's generated names are replaced by the doc's, and
// the exit status.
func (w *doctorWorld) docExample(t *testing.T, name, command string, r result) {
	t.Helper()
	example := docExample(t, name)
	names := strings.NewReplacer(
		w.secretARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-lambdas/admin-key-AbCdEf",
		w.emu.URL, "https://adminapisgp.im.qcloud.com",
		w.poolID, "us-east-1_AbCdEf123",
		w.fn, "arn:aws:lambda:us-east-1:123456789012:function:chat-lambdas-ImportFunction-AbC123",
		w.trail, "management-events",
		path.Base(w.dlqs[0]), "chat-lambdas-DeadLetterQueue-AbC123",
		path.Base(w.dlqs[1]), "chat-lambdas-LifecycleDeadLetterQueue-DeF456",
		w.ledger, "chat-lambdas-LedgerTable-GhI789",
	)
	want := "$ " + command + "\n" + names.Replace(r.stdout) + names.Replace(r.stderr) + fmt.Sprintf("$ echo $?\n%d\n", r.code)
	if example != want {
		t.Errorf("docs/local-tools.md %s example:\n%s\nthe command prints:\n%s", name, example, want)
	}
}

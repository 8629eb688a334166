package functions_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinkOnlyWhatTheyUse: a package a function links is initialised
// before its main runs, and so before its secret fetch can start. The
// functions link the AWS SDK's clients they call and nothing more: no
// function links the SDK's config package (and with it the SSO, SSO OIDC
// and STS clients), the Lambda, CloudTrail or CloudFormation client, and only
// the functions that send to a queue or read the pool link SQS or Cognito.
// The delete function links Cognito: with the username mapping a lifecycle
// delete first checks the pool (it builds the client only then); it
// consumes its queue through the event source mapping and sends to none, so
// it links no SQS client.
func TestLinkOnlyWhatTheyUse(t *testing.T) {
	const sdk = "github.com/aws/aws-sdk-go-v2/"
	// CloudTrail, CloudFormation and the doctor's checks are chatsync's
	// alone (chatsync doctor).
	never := []string{sdk + "config", sdk + "service/sts", sdk + "service/sso", sdk + "service/lambda",
		sdk + "service/cloudtrail", sdk + "service/cloudformation", "github.com/chatsync/chat-lambdas/internal/doctor"}
	sqs, cognito := sdk+"service/sqs", sdk+"service/cognitoidentityprovider"
	tests := []struct {
		function  string
		want, not []string
	}{
		{"import", []string{sqs, cognito}, never},
		{"sync", []string{sqs, cognito}, never},
		{"delete", []string{cognito}, append([]string{sqs}, never...)},
		{"usersig", nil, append([]string{sqs, cognito}, never...)},
	}
	for _, tt := range tests {
		out, err := exec.Command("go", "list", "-deps", "./"+tt.function).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", tt.function, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, sdk+"service/secretsmanager") {
			t.Fatalf("%s links no Secrets Manager client: the list is not what this test expects", tt.function)
		}
		for _, p := range tt.want {
			if !slices.Contains(deps, p) {
				t.Errorf("%s does not link %s", tt.function, p)
			}
		}
		for _, p := range tt.not {
			if slices.Contains(deps, p) {
				t.Errorf("%s links %s, which it never calls", tt.function, p)
			}
		}
	}
}

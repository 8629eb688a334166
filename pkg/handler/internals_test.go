package handler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// deniedSecrets is Secrets Manager refusing every read, as IAM words it:
// the error names the role, the account and the secret.
type deniedSecrets struct{ code, msg string }

func (d deniedSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return nil, &smithy.GenericAPIError{Code: d.code, Message: d.msg}
}

const (
	secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-admin-AbCdEf"
	deniedMsg = "User: arn:aws:sts::123456789012:assumed-role/chat-import-role/chat-import is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN
)

// TestRepliesHideAWSInternals: when the secret cannot be read, HTTP callers
// and direct callers get a generic message (and, over HTTP, the request ID),
// with a code of the failure's class; the log keeps the details.
func TestRepliesHideAWSInternals(t *testing.T) {
	tests := []struct {
		name     string
		api      deniedSecrets
		status   int
		code     string
		chatCode int
	}{
		{"access denied: configuration", deniedSecrets{"AccessDeniedException", deniedMsg}, 502, "chat_rejected", 60002},
		{"throttled: transient", deniedSecrets{"ThrottlingException", "Rate exceeded for account 123456789012 on " + secretARN}, 503, "chat_unavailable", 70500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := secrets.NewSource(tt.api, secrets.Config{SecretID: secretARN})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, envOpts{credentials: src})
			r := invokeHTTP(t, e.imp, mustJSON(t, httpV2("POST", "/accounts", `{"UserID":"alice"}`)))
			if r.Status != tt.status || r.Err.Code != tt.code || r.Err.ChatCode != tt.chatCode {
				t.Fatalf("reply %d %+v, want %d %s %d", r.Status, r.Err, tt.status, tt.code, tt.chatCode)
			}
			if r.Err.RequestID != "req-1" {
				t.Errorf("requestId %q, want the invocation's", r.Err.RequestID)
			}
			raw, err := invoke(t, e.imp, []byte(`{"UserID":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			for what, text := range map[string]string{"HTTP reply": r.Err.Message, "direct reply": string(raw)} {
				for _, internal := range []string{"arn:", "123456789012", "chat-import-role", "not authorized", "Rate exceeded"} {
					if strings.Contains(text, internal) {
						t.Errorf("%s carries %q: %s", what, internal, text)
					}
				}
			}
			if !strings.Contains(e.logs.String(), tt.api.msg) {
				t.Errorf("the log lacks the AWS error: %s", e.logs.String())
			}
			if n := e.emu.TotalRequests(); n != 0 {
				t.Errorf("%d Chat requests without credentials", n)
			}
		})
	}
}

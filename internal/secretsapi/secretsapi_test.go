package secretsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/internal/secretsapi"
)

const secret = `{"sdkAppId":1400000000,"secretKey":"k","adminIdentifier":"administrator"}`

func serve(t *testing.T) (*httptest.Server, *local.SecretStore) {
	t.Helper()
	store := local.NewSecretStore()
	store.Put("chat/admin", secret)
	srv := httptest.NewServer(&secretsapi.Handler{Store: store, ARN: func(n string) string { return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + n }})
	t.Cleanup(srv.Close)
	return srv, store
}

// client is the real SDK client, pointed at the stand-in as
// AWS_ENDPOINT_URL_SECRETS_MANAGER points the functions' client.
func client(url string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(url),
	})
}

func TestGetSecretValueWithTheSDK(t *testing.T) {
	srv, store := serve(t)
	out, err := client(srv.URL).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("chat/admin")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SecretString) != secret || aws.ToString(out.Name) != "chat/admin" || !strings.HasSuffix(aws.ToString(out.ARN), ":chat/admin") {
		t.Errorf("reply %+v", out)
	}
	if len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" || out.CreatedDate == nil {
		t.Errorf("version stages %v, created %v", out.VersionStages, out.CreatedDate)
	}
	if store.Calls() != 1 {
		t.Errorf("store calls %d", store.Calls())
	}
}

func TestErrorsInTheServiceTerms(t *testing.T) {
	srv, _ := serve(t)
	_, err := client(srv.URL).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown secret: %v, want ResourceNotFoundException", err)
	}
	_, err = client(srv.URL).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("chat/admin"), VersionStage: aws.String("AWSPREVIOUS")})
	if !errors.As(err, &nf) {
		t.Errorf("other stage: %v, want ResourceNotFoundException", err)
	}
	_, err = client(srv.URL).ListSecrets(context.Background(), &secretsmanager.ListSecretsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" {
		t.Errorf("ListSecrets: %v, want UnknownOperationException", err)
	}
}

func TestRawRequests(t *testing.T) {
	srv, store := serve(t)
	tests := []struct {
		name, method, path, target, auth, body string
		status                                 int
		errType                                string
	}{
		{"no signature", "POST", "/", secretsapi.Target, "", `{"SecretId":"chat/admin"}`, 400, "MissingAuthenticationTokenException"},
		{"not json", "POST", "/", secretsapi.Target, "AWS4-HMAC-SHA256 x", `SecretId=chat/admin`, 400, "SerializationException"},
		{"no id", "POST", "/", secretsapi.Target, "AWS4-HMAC-SHA256 x", `{}`, 400, "InvalidParameterException"},
		{"too big", "POST", "/", secretsapi.Target, "AWS4-HMAC-SHA256 x", `{"SecretId":"` + strings.Repeat("a", 70<<10) + `"}`, 400, "SerializationException"},
		{"wrong path", "POST", "/x", secretsapi.Target, "AWS4-HMAC-SHA256 x", `{"SecretId":"chat/admin"}`, 404, "UnknownOperationException"},
		{"get", "GET", "/", secretsapi.Target, "AWS4-HMAC-SHA256 x", ``, 404, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-ErrorType") != tt.errType {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.status, tt.errType)
			}
		})
	}
	if store.Calls() != 0 {
		t.Errorf("refused requests reached the store %d times", store.Calls())
	}
}

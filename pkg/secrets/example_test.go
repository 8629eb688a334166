package secrets_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// storedSecret stands in for Secrets Manager in the example.
type storedSecret string

func (s storedSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(string(s))}, nil
}

func ExampleSource() {
	api := storedSecret(`{"sdkAppId": "1400000000", "secretKey": "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"}`)
	src, err := secrets.NewSource(api, secrets.Config{SecretID: "prod/chat-admin"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	src.Start(ctx) // during init: the fetch overlaps other work

	creds, err := src.Credentials(ctx) // waits for the prefetch
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds) // the key is redacted
	for range 1000 {
		_, _ = src.Credentials(ctx) // warm: no call to AWS
	}
	fmt.Println("fetches:", src.Fetches())
	// Output:
	// {SDKAppID:1400000000 Admin:administrator Key:[redacted]}
	// fetches: 1
}

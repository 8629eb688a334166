// Package setup builds the parts both functions share from their
// configuration: the AWS SDK configuration, the cached admin secret and the
// Chat client. The functions' main packages wire these into their handlers.
package setup

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// Parts are the shared pieces of a function process.
type Parts struct {
	AWS     aws.Config
	Secrets *secrets.Source
	Chat    *chatapi.Client
}

// New loads the AWS configuration, starts fetching the admin secret in the
// background (so the fetch overlaps the rest of the init) and builds the
// Chat client on it.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Parts, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	src, err := secrets.NewSource(secretsmanager.NewFromConfig(awsCfg), secrets.Config{SecretID: cfg.SecretID, TTL: cfg.SecretTTL, Logger: log})
	if err != nil {
		return nil, err
	}
	src.Start(ctx)
	client, err := chatapi.New(chatapi.Config{Region: cfg.Region, BaseURL: cfg.BaseURL, Credentials: src})
	if err != nil {
		return nil, err
	}
	return &Parts{AWS: awsCfg, Secrets: src, Chat: client}, nil
}

// Fail ends a process whose init failed, with one clear line on stderr,
// which Lambda shows as the init error's log.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "init failed:", err)
	os.Exit(1)
}

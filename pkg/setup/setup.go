// Package setup builds the parts both functions share from their
// configuration: the AWS SDK configuration, the cached admin secret and the
// Chat client. The functions' main packages wire these into their handlers.
package setup

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// Parts are the shared pieces of a function process.
type Parts struct {
	Config  config.Config
	Log     *slog.Logger
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
	return &Parts{Config: cfg, Log: log, AWS: awsCfg, Secrets: src, Chat: client}, nil
}

// FromEnv is a function's init: it reads the configuration from the
// environment, makes slog's default logger the Lambda JSON logger (so
// aws-lambda-go's own lines are JSON too, with the request ID), and builds
// the parts. On any error it ends the process through Fail.
func FromEnv(ctx context.Context) *Parts {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		Fail(err)
	}
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	parts, err := New(ctx, cfg, log)
	if err != nil {
		Fail(err)
	}
	return parts
}

// Fail ends a process whose init failed, with one clear line on stderr,
// which Lambda shows as the init error's log.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "init failed:", err)
	os.Exit(1)
}

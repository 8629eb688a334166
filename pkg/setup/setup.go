// Package setup is where a function is wired: it builds the parts the
// functions share from their configuration (the AWS SDK configuration, the
// cached admin secret, the Chat client) and the handlers on top of them.
// The functions' main packages and chatsync's in-process stack both build
// their handlers here, so what runs locally is what Lambda runs.
package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// Started is when this process began: package initialisation runs first
// thing, before main.
var Started = time.Now()

// Parts are the shared pieces of a function process.
type Parts struct {
	Config  config.Config
	Log     *slog.Logger
	Secrets *secrets.Source // nil when the credentials come from elsewhere
	Chat    *chatapi.Client // nil when built WithoutChat

	// Credentials, when set, is where the credentials come from instead of
	// Secrets (chatsync with a key given locally).
	Credentials chatapi.CredentialsSource

	// Users reads users of the pool for lifecycle events (see
	// pkg/setup/userpool): the import function's, and the delete
	// function's with the username mapping; nil: those events are refused.
	Users handler.Users

	// RetryQueue and DeadLetterQueue take the import function's pending
	// sign-ups (see pkg/setup/queues); nil when their URL is unset.
	RetryQueue, DeadLetterQueue handler.Queue
	// Ledger is the ledger of Chat accounts: in DynamoDB (LEDGER_TABLE),
	// which every function uses, so New makes it; nil without one.
	Ledger Ledger

	// MetricsOut receives the EMF documents of Metered handlers; nil: the
	// process's standard output, where Lambda's log stream takes them.
	MetricsOut io.Writer

	// InitStart is when the process began; zero when the parts do not
	// belong to a fresh process (chatsync), so no init is counted.
	InitStart time.Time

	aws *awsEnv // nil outside Lambda
}

// ServiceConfig is what an AWS service client needs from the function's
// environment: the configuration, and the endpoint settings that each
// service's options take.
type ServiceConfig struct {
	Config    aws.Config
	Endpoint  *string // AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL; nil: the service's own
	FIPS      aws.FIPSEndpointState
	DualStack aws.DualStackEndpointState
}

// Service returns the configuration of a client of service (named as in
// AWS_ENDPOINT_URL_<SERVICE>, such as "COGNITO_IDENTITY_PROVIDER").
func (p *Parts) Service(service string) ServiceConfig {
	e := p.aws
	return ServiceConfig{Config: e.cfg, Endpoint: e.endpoint(service), FIPS: e.fipsState(), DualStack: e.dualStackState()}
}

// Metered returns h with metrics: each invocation records into its own
// recorder and writes one EMF document, with function ("import",
// "delete", "usersig", "sync") as the Function dimension, to MetricsOut.
func (p *Parts) Metered(function string, h metrics.Invoker) *metrics.Handler {
	out := p.MetricsOut
	if out == nil {
		out = os.Stdout
	}
	em, err := metrics.NewEmitter(out, metrics.Config{Namespace: p.Config.MetricsNamespace, Function: function})
	if err != nil {
		Fail(err) // config.Load has checked the namespace: not reached
	}
	return metrics.NewHandler(h, em, p.Log)
}

// ImportHandler wires the import function's handler.
func (p *Parts) ImportHandler() *handler.ImportHandler {
	cfg := p.Config
	hc := handler.ImportConfig{
		Chat:            p.Chat,
		Mapping:         cfg.Mapping(),
		Auth:            cfg.Auth(),
		UserPoolID:      cfg.UserPoolID,
		Users:           p.Users,
		Credentials:     p.credentials(),
		RetryQueue:      p.RetryQueue,
		DeadLetterQueue: p.DeadLetterQueue,
		Ledger:          p.Ledger,
		Logger:          p.Log,
		InitStart:       p.InitStart,
	}
	// A queue URL with no queue is a wiring mistake (the main package left
	// out queues.ForImport): failing the init beats losing sign-ups later.
	var unwired []string
	if cfg.RetryQueueURL != "" && p.RetryQueue == nil {
		unwired = append(unwired, config.EnvRetryQueueURL)
	}
	if cfg.DeadLetterQueueURL != "" && p.DeadLetterQueue == nil {
		unwired = append(unwired, config.EnvDeadLetterQueueURL)
	}
	if len(unwired) > 0 {
		Fail(fmt.Errorf("%s set, but no queue is wired for it (queues.ForImport)", strings.Join(unwired, " and ")))
	}
	return handler.NewImportHandler(hc)
}

// DeleteHandler wires the delete function's handler.
func (p *Parts) DeleteHandler() *handler.DeleteHandler {
	return handler.NewDeleteHandler(handler.DeleteConfig{Chat: p.Chat, Auth: p.Config.Auth(), UserPoolID: p.Config.UserPoolID, Users: p.Users, Credentials: p.credentials(), Ledger: p.Ledger, Logger: p.Log})
}

// Ledger is the ledger as the handlers use it: *ledger.Ledger, or a
// stand-in of the same behaviour (chatsync's in-memory one).
type Ledger interface {
	handler.Ledger
	handler.Tombstones
}

// New builds the parts so that a cold start waits for as little as
// possible. The two slow things a first invocation needs, the connection to
// Chat (DNS, TCP, TLS: two round trips to Chat's region) and the admin
// secret (the AWS SDK's start, then a call to Secrets Manager), begin here
// in the background and proceed side by side, with each other and with the
// rest of the init: first the Chat client is made and warmed (see
// chatapi.Client.Warm), then the AWS environment is read (see awsEnv) and the
// secret fetch started.
//
// With WithoutChat there is no Chat client, and the process opens no
// connection to Chat.
func New(ctx context.Context, cfg config.Config, getenv func(string) string, log *slog.Logger, opts ...Option) (*Parts, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	creds := &lateCredentials{}
	var client *chatapi.Client
	if !o.noChat {
		var err error
		client, err = chatapi.New(chatapi.Config{Region: cfg.Region, BaseURL: cfg.BaseURL, PlainHTTP: cfg.LocalRun, Credentials: creds, RateLimits: chatapi.SharedRateLimits(cfg.RateShare)})
		if err != nil {
			return nil, err
		}
		client.Warm(ctx) // signs nothing: creds need no source yet
	}
	env, err := loadAWSEnv(getenv)
	if err != nil {
		return nil, err
	}
	src, err := secrets.NewSource(env.secretsManager(), secrets.Config{SecretID: cfg.SecretID, TTL: cfg.SecretTTL, Logger: log})
	if err != nil {
		return nil, err
	}
	src.Start(ctx)
	creds.src.Store(src)
	p := &Parts{Config: cfg, Log: log, Secrets: src, Chat: client, InitStart: Started, aws: env}
	if cfg.LedgerTable != "" {
		p.Ledger = ledger.New(env.dynamoDB(), cfg.LedgerTable, nil)
	}
	return p, nil
}

// lateCredentials lets the Chat client be made, and start connecting,
// before the secrets source exists; New sets the source before it returns,
// so no request ever sees it unset.
type lateCredentials struct {
	src atomic.Pointer[secrets.Source]
}

var errNoSource = errors.New("setup: the secret source is not ready")

func (l *lateCredentials) Credentials(ctx context.Context) (chat.Credentials, error) {
	if s := l.src.Load(); s != nil {
		return s.Credentials(ctx)
	}
	return chat.Credentials{}, errNoSource
}

func (l *lateCredentials) Refresh(ctx context.Context) (chat.Credentials, error) {
	if s := l.src.Load(); s != nil {
		return s.Refresh(ctx)
	}
	return chat.Credentials{}, errNoSource
}

// FromEnv is a function's init: it reads the configuration from the
// environment, makes slog's default logger the Lambda JSON logger (so
// aws-lambda-go's own lines are JSON too, with the request ID), and builds
// the parts. On any error it ends the process through Fail.
func FromEnv(ctx context.Context, opts ...Option) *Parts {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	load := config.Load
	if o.noChat {
		load = config.LoadWithoutChat // no Chat call: no Chat region needed
	}
	cfg, err := load(os.Getenv)
	if err != nil {
		Fail(err)
	}
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	parts, err := New(ctx, cfg, os.Getenv, log, opts...)
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

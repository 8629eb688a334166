package bench

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// FetchCount is how many GetSecretValue calls a process made: during its
// first invocation (the cold one) and during the warm ones after it.
type FetchCount struct {
	Warm        int // warm invocations made
	DuringCold  int64
	DuringWarm  int64
	WarmElapsed time.Duration
}

// CountFetches builds the import handler as the function does, on a
// secrets.Source reading secretID through api (Secrets Manager: moto in the
// report) with the default TTL, calls it once cold and then warm times, and
// counts the source's fetches. Chat is the emulator, with the client's rate
// limiter raised so that the run takes seconds.
func CountFetches(ctx context.Context, api secrets.API, secretID string, warm int) (FetchCount, error) {
	fc := FetchCount{Warm: warm}
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: AppID, Key: Key})
	if err != nil {
		return fc, err
	}
	defer emu.Close()
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	src, err := secrets.NewSource(api, secrets.Config{SecretID: secretID, Logger: log})
	if err != nil {
		return fc, err
	}
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: src, RateLimits: RaisedRateLimits()})
	if err != nil {
		return fc, err
	}
	h := handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: log})
	invoke := func() error {
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return checkReply(h.Invoke(lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: "fetches"}), ImportPayload))
	}
	if err := invoke(); err != nil {
		return fc, err
	}
	fc.DuringCold = src.Fetches()
	start := time.Now()
	for range warm {
		if err := invoke(); err != nil {
			return fc, err
		}
	}
	fc.WarmElapsed = time.Since(start)
	fc.DuringWarm = src.Fetches() - fc.DuringCold
	return fc, nil
}

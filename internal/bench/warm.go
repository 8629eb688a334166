package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// Direct-invocation payloads of the warm benchmarks, and the Chat request
// bodies they turn into (the floor posts these bytes).
var (
	ImportPayload = []byte(`{"UserID":"bench-user","Nick":"Bench"}`)
	DeletePayload = []byte(`{"DeleteItem":[{"UserID":"bench-gone"}]}`)

	importBody = []byte(`{"UserID":"bench-user","Nick":"Bench"}`)
	deleteBody = []byte(`{"DeleteItem":[{"UserID":"bench-gone"}]}`)
	kickBody   = []byte(`{"UserID":"bench-gone"}`)
)

// RaisedRateLimits lifts the client's per-command limiter far above what a
// benchmark can reach, so that the warm benchmarks measure the code and not
// Tencent's caps. The limiter still runs.
func RaisedRateLimits() map[string]float64 {
	return map[string]float64{
		chat.CmdImport:      math.MaxInt32,
		chat.CmdMultiImport: math.MaxInt32,
		chat.CmdDelete:      math.MaxInt32,
		chat.CmdCheck:       math.MaxInt32,
		chat.CmdKick:        math.MaxInt32,
	}
}

// StaticSecret is a secrets.API that answers with SecretString and counts
// its calls. Warm invocations never reach it; it stands in for Secrets
// Manager where a benchmark needs no real one.
type StaticSecret struct{ Calls int }

// GetSecretValue returns SecretString.
func (s *StaticSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.Calls++
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(SecretString)}, nil
}

// WarmRig is the warm path in one process: the two handlers as the
// functions build them (Chat client, secrets.Source, Lambda JSON logger),
// and beside them the floor, a bare http.Client making the same Chat
// requests, against one emulator.
type WarmRig struct {
	Emu    *chatemu.Running
	Chat   *chatapi.Client
	Import *handler.ImportHandler
	Delete *handler.DeleteHandler

	ctx       context.Context
	cancel    context.CancelFunc
	floor     *http.Client
	importM   *metrics.Handler // Import and Delete with their metrics, as the functions run them
	deleteM   *metrics.Handler
	importURL string // signed once, up to "&random="
	deleteURL string
	kickURL   string
}

// NewWarmRig starts an emulator (over TLS when useTLS) and builds the
// handlers and the floor client on it, with the client's rate limiter
// raised (RaisedRateLimits). base, when not empty, is the URL to call
// instead of the emulator's own (a Proxy in front of it). The first
// invocation of each handler, and one floor request of each kind, are made
// here, so every later one is warm.
func NewWarmRig(emu *chatemu.Running, base string) (*WarmRig, error) {
	if base == "" {
		base = emu.URL
	}
	src, err := secrets.NewSource(&StaticSecret{}, secrets.Config{SecretID: "bench"})
	if err != nil {
		return nil, err
	}
	var hc *http.Client
	if tc := emu.ClientTLSConfig(); tc != nil {
		hc = &http.Client{Transport: chatapi.NewTransport(tc)}
	}
	client, err := chatapi.New(chatapi.Config{BaseURL: base, Credentials: src, HTTPClient: hc, RateLimits: RaisedRateLimits()})
	if err != nil {
		return nil, err
	}
	// The functions log through lambdacontext's JSON handler on stdout;
	// the same handler options, into io.Discard.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	r := &WarmRig{
		Emu:    emu,
		Chat:   client,
		Import: handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: log}),
		Delete: handler.NewDeleteHandler(handler.DeleteConfig{Chat: client, Logger: log}),
		floor:  emu.Client(),
	}
	// Each invocation's metrics, written as the functions write them (to
	// standard output there, to io.Discard here).
	em, err := metrics.NewEmitter(io.Discard, metrics.Config{Function: "bench"})
	if err != nil {
		return nil, err
	}
	r.importM, r.deleteM = metrics.NewHandler(r.Import, em, log), metrics.NewHandler(r.Delete, em, log)
	// An invocation's context as the Lambda runtime makes it: a deadline
	// and the request's identity. It is made once: the runtime's own cost
	// is not the handlers'.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(24*time.Hour))
	r.cancel = cancel
	r.ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "bench", InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench"})

	sig := usersig.Generate([]byte(Key), AppID, "administrator", time.Now(), 24*time.Hour)
	q := "?sdkappid=" + strconv.Itoa(AppID) + "&identifier=administrator&usersig=" + url.QueryEscape(sig) + "&contenttype=json&random="
	r.importURL = base + chatemu.Prefix + chat.CmdImport + q
	r.deleteURL = base + chatemu.Prefix + chat.CmdDelete + q
	r.kickURL = base + chatemu.Prefix + chat.CmdKick + q
	for _, f := range []func(context.Context) error{r.InvokeImport, r.InvokeDelete, r.FloorImport, r.FloorDelete} {
		if err := f(context.Background()); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Close releases the rig's context and idle connections; the emulator is
// the caller's.
func (r *WarmRig) Close() {
	r.cancel()
	r.floor.CloseIdleConnections()
}

// InvokeImport is one warm direct invocation of the import function:
// account_import of one account.
func (r *WarmRig) InvokeImport(context.Context) error {
	return checkReply(r.importM.Invoke(r.ctx, ImportPayload))
}

// InvokeDelete is one warm direct invocation of the delete function: the
// delete of one (absent) account, which kicks it, then deletes it.
func (r *WarmRig) InvokeDelete(context.Context) error {
	return checkReply(r.deleteM.Invoke(r.ctx, DeletePayload))
}

// FloorImport makes the request InvokeImport makes with a bare
// http.Client: the UserSig signed once, the same body posted, the reply
// decoded.
func (r *WarmRig) FloorImport(ctx context.Context) error {
	return r.floorCall(ctx, r.importURL, importBody)
}

// FloorDelete makes the requests InvokeDelete makes with a bare
// http.Client, in turn: kick (which answers 70107 for the absent account),
// then account_delete.
func (r *WarmRig) FloorDelete(ctx context.Context) error {
	if err := r.floorCall(ctx, r.kickURL, kickBody, chat.CodeAccountNotFound); err != nil {
		return err
	}
	return r.floorCall(ctx, r.deleteURL, deleteBody)
}

// floorCall posts body to the signed URL and decodes the reply, which must
// be OK or carry one of the codes also accepted.
func (r *WarmRig) floorCall(ctx context.Context, signed string, body []byte, also ...int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, signed+strconv.FormatUint(uint64(rand.Uint32()), 10), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.floor.Do(req)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var env chat.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	if env.ActionStatus != chat.StatusOK && !slices.Contains(also, env.ErrorCode) {
		return fmt.Errorf("floor: %s", raw)
	}
	return nil
}

var okStatus = []byte(`"ActionStatus":"OK"`)

// checkReply checks a handler's reply without decoding it, so that the
// check adds next to nothing to the handler's side.
func checkReply(raw []byte, err error) error {
	if err != nil {
		return err
	}
	if !bytes.Contains(raw, okStatus) {
		return fmt.Errorf("reply: %s", raw)
	}
	return nil
}

// FakeChat answers every import and delete at once without a network, so
// that a benchmark measures a handler's own work.
type FakeChat struct{}

// ImportAccount succeeds.
func (FakeChat) ImportAccount(context.Context, chat.Account) (chat.Stats, error) {
	return chat.Stats{Calls: 1, Attempts: 1}, nil
}

// ImportAccounts succeeds for every account.
func (FakeChat) ImportAccounts(_ context.Context, accounts []chat.Account) (chat.ImportResult, error) {
	return chat.ImportResult{Requested: len(accounts), Stats: chat.Stats{Calls: 1, Attempts: 1}}, nil
}

// DeleteAccounts reports every account as already absent (70107), as the
// emulator does for the warm delete benchmark.
func (FakeChat) DeleteAccounts(_ context.Context, ids []string) (chat.DeleteResult, error) {
	items := make([]chat.ResultItem, len(ids))
	for i, id := range ids {
		items[i] = chat.ResultItem{UserID: id, ResultCode: chat.CodeAccountNotFound, ResultInfo: "Err_TLS_PT_Open_Login_Account_Not_Exist"}
	}
	return chat.DeleteResult{Items: items, Stats: chat.Stats{Calls: 1, Attempts: 1}}, nil
}

// Kick succeeds at once.
func (FakeChat) Kick(context.Context, string) (chat.Stats, error) {
	return chat.Stats{Calls: 1, Attempts: 1}, nil
}

// OwnRig is the two handlers on FakeChat, with the functions' logger into
// io.Discard.
type OwnRig struct {
	Import *handler.ImportHandler
	Delete *handler.DeleteHandler
	invocation
}

// NewOwnRig builds an OwnRig.
func NewOwnRig() *OwnRig {
	log := discardLogger()
	return &OwnRig{
		Import:     handler.NewImportHandler(handler.ImportConfig{Chat: FakeChat{}, Logger: log}),
		Delete:     handler.NewDeleteHandler(handler.DeleteConfig{Chat: FakeChat{}, Logger: log}),
		invocation: newInvocation(),
	}
}

// discardLogger is the functions' JSON logger, into io.Discard.
func discardLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
}

// invocation is the context an in-process rig invokes its handlers in: a
// Lambda context with a request ID and a far deadline.
type invocation struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newInvocation() invocation {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(24*time.Hour))
	return invocation{ctx: lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "bench"}), cancel: cancel}
}

// Close releases the rig's context.
func (i invocation) Close() { i.cancel() }

// InvokeImport is InvokeImport of WarmRig without the network.
func (r *OwnRig) InvokeImport(context.Context) error {
	return checkReply(r.Import.Invoke(r.ctx, ImportPayload))
}

// InvokeDelete is InvokeDelete of WarmRig without the network.
func (r *OwnRig) InvokeDelete(context.Context) error {
	return checkReply(r.Delete.Invoke(r.ctx, DeletePayload))
}

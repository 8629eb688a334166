package handler_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// A direct invocation of the import function, as `aws lambda invoke` makes
// it, against the embedded emulator. Refused input gets Tencent's own code
// and costs no Chat call.
func ExampleImportHandler() {
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: 1400000000, Key: "example-key"})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		log.Fatal(err)
	}
	h := handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: slog.New(slog.DiscardHandler)})

	for _, payload := range []string{
		`{"UserID":"alice","Nick":"Alice"}`,
		`{"AccountList":[{"UserID":"bob"},{"UserID":"carol"}]}`,
		`{"UserID":""}`,
	} {
		reply, err := h.Invoke(context.Background(), []byte(payload))
		fmt.Println(string(reply), err)
	}
	fmt.Println("Chat requests:", emu.TotalRequests())
	// Output:
	// {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""} <nil>
	// {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","FailAccounts":[]} <nil>
	// {"ActionStatus":"FAIL","ErrorCode":70402,"ErrorInfo":"invalid input (code 70402): UserID is required"} <nil>
	// Chat requests: 2
}

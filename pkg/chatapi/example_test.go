package chatapi_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// The client against the embedded emulator: a batch is split into calls of
// at most 100, and deleting an account that does not exist is a success
// with Chat's code 70107.
func ExampleClient() {
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: 1400000000, Key: "example-key"})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	accounts := make([]chat.Account, 150)
	for i := range accounts {
		accounts[i] = chat.Account{UserID: fmt.Sprintf("user%d", i)}
	}
	imported, err := client.ImportAccounts(ctx, accounts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("calls:", imported.Calls, "failed:", len(imported.FailAccounts))

	deleted, err := client.DeleteAccounts(ctx, []string{"user0", "nobody"})
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range deleted.Items {
		fmt.Println(it.UserID, it.ResultCode, it.Deleted())
	}

	_, err = client.ImportAccount(ctx, chat.Account{UserID: "a-user-id-that-is-far-too-long-for-chat"})
	fmt.Println(chat.ErrorCode(err), chat.ErrorClass(err))
	// Output:
	// calls: 2 failed: 0
	// user0 0 true
	// nobody 70107 true
	// 70402 caller
}

package chatemu_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

func Example() {
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: 1400000000, Key: "example-key"})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()

	// Sign a request the way a real client does.
	creds := emu.Credentials()
	sig := usersig.Generate([]byte(creds.Key), creds.SDKAppID, creds.Admin, time.Now(), time.Hour)
	url := fmt.Sprintf("%s%s%s?sdkappid=%d&identifier=%s&usersig=%s&random=42&contenttype=json",
		emu.URL, chatemu.Prefix, chat.CmdImport, creds.SDKAppID, creds.Admin, sig)
	importAlice := func() {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"UserID":"alice"}`))
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(os.Stdout, resp.Body)
	}

	importAlice()
	fmt.Println(emu.Has("alice"), emu.Requests(chat.CmdImport))

	// Script a transient failure for the next request.
	emu.Inject(chatemu.Fault{Command: chat.CmdImport, Code: chat.CodeServerError})
	importAlice()
	// Output:
	// {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}
	// true 1
	// {"ActionStatus":"FAIL","ErrorCode":70500,"ErrorInfo":"injected fault"}
}

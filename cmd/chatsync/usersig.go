package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// usersigUsage is the help of chatsync usersig.
var usersigUsage = usage{synopsis: "chatsync usersig [flags] USERID", flags: flagsOf(usersigFlags), backend: true, description: `
Usersig issues a UserSig for USERID through the UserSig function (a direct
invocation), and prints the function's reply on stdout as one JSON line:

  {"SDKAppID":1400000000,"UserID":"...","UserSig":"...","ExpireAt":1767225600}

The app's Chat SDK logs that user in with login(UserID, UserSig) until
ExpireAt (Unix seconds). The lifetime is USER_SIG_TTL from the environment
(a Go duration from 1m to 4320h; default 24h). The app's admin identifier
is refused, as the function refuses it. The UserSig is a credential: it is
printed on stdout only, never logged.

With no key configured it runs on the embedded Chat emulator, whose key is
random and gone at exit: such a UserSig logs in nowhere. With -secret-id or
-sdkappid/-key-file it signs with the real app's key; no Chat call is made.`,
}

type usersigOptions struct {
	backend backendFlags
}

func usersigFlags() (*flag.FlagSet, *usersigOptions) {
	o := &usersigOptions{}
	o.backend.noChat = true // a UserSig is signed here, with no Chat call
	fs := backendFlagSet("usersig", &o.backend)
	return fs, o
}

func (c *cli) usersig(ctx context.Context, args []string) error {
	fs, o, pos, err := parseFlags(args, usersigFlags)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one USERID")
	}
	id := pos[0]
	if err := chat.ValidateUserID(id); err != nil {
		return usagef("USERID %q: %v", id, err)
	}
	remote, err := o.backend.remote(wasSet(fs), c.getenv)
	if err != nil {
		return err
	}
	stack, err := c.startStack(ctx, remote, c.warnLogger(), "")
	if err != nil {
		return err
	}
	defer stack.Close()
	c.noteEmulator(stack, "the emulator's key is random and lives in this process only: this UserSig logs in nowhere else")
	payload, err := json.Marshal(map[string]string{"UserID": id})
	if err != nil {
		return err
	}
	reply, _, err := local.Invoke(ctx, stack.UserSig, "UserSigFunction", local.UserSigTimeout, payload)
	if err != nil {
		return err
	}
	var rep handler.UserSigReply
	if err := json.Unmarshal(reply, &rep); err != nil || rep.UserSig == "" {
		var env chat.Envelope
		if json.Unmarshal(reply, &env) == nil && env.ActionStatus == chat.StatusFail {
			return fmt.Errorf("refused: %s", env.ErrorInfo)
		}
		return errors.New("the function's reply is not a UserSig")
	}
	fmt.Fprintf(c.stdout, "%s\n", reply)
	return nil
}

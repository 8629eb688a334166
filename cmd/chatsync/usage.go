package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chatapi"
)

const overview = `chatsync runs the chat-lambdas functions on this machine, with no AWS
account, no Tencent account and no Docker, and manages Tencent Cloud Chat
accounts for operators.

Usage:
  chatsync demo [-v]
  chatsync local [-addr HOST:PORT] [-auth iam|jwt] [-cors-origins ORIGINS] [-seed IDS] [-q] [backend flags]
  chatsync emulator [-addr HOST:PORT] [-state FILE]
  chatsync invoke [-seed=false] [-timeout D] [-q] [backend flags] import|delete|usersig EVENT.json|-
  chatsync accounts [-f FILE] [-progress] [-v] [backend flags] import|delete|check [USERID...|-]
  chatsync sync -user-pool-id POOL [-dry-run] [-profiles] [-report FILE] [-v] [backend flags]
  chatsync attach -user-pool-id POOL -function-arn ARN [-force] [-dry-run] [-yes]
  chatsync doctor [-stack NAME] [-user-pool-id POOL -function-arn ARN] [-lifecycle] [-dlq URL]... [-ledger-table NAME] [backend flags]
  chatsync usersig [backend flags] USERID
  chatsync token -sub ID [-groups G1,G2] [-username NAME] [-ttl 1h] [-key-file FILE]
  chatsync help [COMMAND]

Commands:
`

const backendHelp = `Backend (local, invoke, accounts, usersig, sync, doctor):
  With no key configured, local, invoke and usersig use an embedded Chat
  emulator: in memory, empty at start, gone at exit. accounts and sync
  refuse to run on it unless given -emulator, so that nobody thinks real
  accounts changed.

  The real Tencent Cloud Chat service is used when a key is configured:
    -secret-id ID   (or env CHAT_SECRET_ID) the Secrets Manager secret the
                    functions read, {"sdkAppId","secretKey","adminIdentifier"};
                    AWS credentials, region and endpoint come from the SDK's
                    usual chain (AWS_PROFILE, AWS_REGION, ...).
    -sdkappid N     a key without Secrets Manager: the app's SDKAppID, with
    -key-file FILE  a file holding the key (or the secret's JSON document),
                    else env CHAT_SECRET_KEY; the key is never a flag value.
    -admin ID       the app admin for -sdkappid (default "administrator").
  and a Chat endpoint:
    -region NAME    (or env CHAT_REGION) one of
                    %s;
    -base-url URL   (or env CHAT_BASE_URL) a base URL instead of a region.
  -emulator uses the emulator even when CHAT_SECRET_ID is set.
  Each command says which backend it uses. None prints the key, a UserSig
  or a signed URL.

Exit status: 0 success, 1 something failed, 2 usage error.
`

// usage prints the overview of every command.
func (c *cli) usage(w io.Writer) {
	io.WriteString(w, overview)
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n\n", "help", "print this help, or a command's")
	io.WriteString(w, "Run 'chatsync help COMMAND' (or 'chatsync COMMAND -h') for a command's flags.\n\n")
	fmt.Fprintf(w, backendHelp, wrapText(strings.Join(chatapi.RegionNames(), ", "), 56, "\n                    "))
}

// commandUsage prints a command's synopsis, description and flags.
func commandUsage(w io.Writer, synopsis, description string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", synopsis, strings.TrimSpace(description))
	if fs != nil {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// wrapText breaks s at spaces into lines of at most width bytes, joined by
// sep.
func wrapText(s string, width int, sep string) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), sep)
}

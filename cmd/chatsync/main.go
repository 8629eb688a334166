// Command chatsync runs the chat-lambdas functions on a developer's machine
// and manages Tencent Cloud Chat accounts from the command line.
//
//	chatsync demo                      the whole flow against an in-process emulator
//	chatsync local                     the HTTP API on 127.0.0.1:3000, like `sam local start-api`
//	chatsync invoke import EVENT.json  one event through a function, like `sam local invoke`
//	chatsync accounts check alice bob  operator commands against the real service
//	chatsync usersig alice             a UserSig for alice's Chat SDK login, as JSON
//
// Run "chatsync help" for the flags. Without a key configured, local and
// invoke use an embedded Chat emulator; with CHAT_SECRET_ID (and AWS
// credentials) or explicit flags they use the real service. The exit status
// is 0 on success, 1 when something failed and 2 for a usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatsync/chat-lambdas/internal/local"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// cli is one run of the command, with its standard streams and environment
// passed in so that tests can run it in-process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	// demoSetup, when set, is called with the demo's stack before its
	// steps: tests inject faults with it.
	demoSetup func(*local.Stack)
}

// command is a subcommand: its name, a one-line summary for the overview,
// and its entry point.
type command struct {
	name    string
	summary string
	run     func(c *cli, ctx context.Context, args []string) error
	usage   usage
}

var commands []*command

func init() {
	commands = []*command{
		{"demo", "run the handlers end to end against an in-process Chat emulator", (*cli).demo, demoUsage},
		{"local", "serve the HTTP API on 127.0.0.1:3000, like `sam local start-api`", (*cli).local, localUsage},
		{"emulator", "serve the Chat emulator and a Secrets Manager stand-in for `sam local`", (*cli).emulator, emulatorUsage},
		{"invoke", "run one event through a function, like `sam local invoke`", (*cli).invoke, invokeUsage},
		{"accounts", "import, delete or check accounts (for operators)", (*cli).accounts, accountsUsage},
		{"doctor", "check a deployed stack: secret, key, sign-up trigger, trail, queues, ledger", (*cli).doctor, doctorUsage},
		{"sync", "bring every user of a Cognito user pool into Chat", (*cli).sync, syncUsage},
		{"attach", "make an existing user pool call the import function on sign-up", (*cli).attach, attachUsage},
		{"usersig", "issue a UserSig for a user's Chat SDK login, as the UserSig function does", (*cli).usersig, usersigUsage},
		{"token", "print a local token for chatsync local in jwt mode (local development only)", (*cli).token, tokenUsage},
	}
}

func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// run runs the command line args (without the program name) and returns
// the exit status.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return c.help(rest)
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "chatsync: unknown command %q\nRun 'chatsync help' for usage.\n", name)
		return exitUsage
	}
	err := cmd.run(c, ctx, rest)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		cmd.usage.print(c.stdout)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "chatsync %s: %s\nRun 'chatsync help %s' for usage.\n", name, ue.msg, name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	default:
		fmt.Fprintf(c.stderr, "chatsync %s: %v\n", name, err)
		return exitFailure
	}
}

// helpUsage is the help of chatsync help itself.
const helpUsage = `Usage:
  chatsync help [COMMAND]

Help prints the overview of every command, or COMMAND's usage and every one
of its flags. "chatsync COMMAND -h" (or -help, --help) prints the same.
`

// help prints the overview, or one command's usage. A help flag among the
// arguments asks for the same thing.
func (c *cli) help(args []string) int {
	var names []string
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			continue
		}
		names = append(names, a)
	}
	switch len(names) {
	case 0:
		c.usage(c.stdout)
		return exitOK
	case 1:
		if names[0] == "help" {
			io.WriteString(c.stdout, helpUsage)
			return exitOK
		}
		if cmd := lookup(names[0]); cmd != nil {
			cmd.usage.print(c.stdout)
			return exitOK
		}
		fmt.Fprintf(c.stderr, "chatsync help: unknown command %q\nRun 'chatsync help' for usage.\n", names[0])
	default:
		fmt.Fprintln(c.stderr, "chatsync help: want at most one command name")
	}
	return exitUsage
}

// errReported is returned by a command that has already said what failed:
// the exit status is 1 and nothing more is printed.
var errReported = errors.New("failed")

// errHelp is returned when a command's flags ask for its usage.
var errHelp = errors.New("help requested")

// usageError is a command line that cannot be run: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

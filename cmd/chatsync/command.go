package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/chatsync/chat-lambdas/internal/local"
)

// usage is a command's help: its synopsis, what it does, and its flags.
type usage struct {
	synopsis    string
	description string
	flags       func() *flag.FlagSet
	backend     bool // it takes the backend flags, which 'chatsync help' describes
}

// print writes the help to w.
func (u usage) print(w io.Writer) {
	commandUsage(w, u.synopsis, u.description, u.flags())
	if u.backend {
		io.WriteString(w, "\nRun 'chatsync help' for the backend flags.\n")
	}
}

// flagsOf adapts a command's flag constructor to usage.flags.
func flagsOf[T any](newFlags func() (*flag.FlagSet, T)) func() *flag.FlagSet {
	return func() *flag.FlagSet {
		fs, _ := newFlags()
		return fs
	}
}

// backendFlagSet returns the flag set of a command named name, with the
// backend flags registered into b.
func backendFlagSet(name string, b *backendFlags) *flag.FlagSet {
	fs := newFlagSet(name)
	b.register(fs)
	return fs
}

// parseNoArgs parses a command's flags and refuses any other argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	return noArgs(pos)
}

// noArgs refuses arguments left over after the flags.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}

// remoteAndSeed reads the backend flags of fs, then a -seed flag's UserIDs,
// which only the emulator takes.
func (c *cli) remoteAndSeed(fs *flag.FlagSet, b *backendFlags, seed string) (*local.Remote, []string, error) {
	remote, err := b.remote(wasSet(fs), c.getenv)
	if err != nil {
		return nil, nil, err
	}
	ids, err := parseSeed(seed, remote)
	if err != nil {
		return nil, nil, err
	}
	return remote, ids, nil
}

// functionLogger returns the logger for the functions' log lines: on
// stderr from LevelInfo, or nowhere when quiet.
func (c *cli) functionLogger(quiet bool) *slog.Logger {
	if quiet {
		return slog.New(slog.DiscardHandler)
	}
	return local.NewLogger(c.stderr, slog.LevelInfo)
}

// requireRemote refuses to run command on the emulator unless -emulator
// asked for it: real accounts would not change.
func requireRemote(command string, remote *local.Remote, emulator bool) error {
	if remote != nil || emulator {
		return nil
	}
	return usagef("no Chat backend configured, and %s does not fall back to the emulator (real accounts would not change):\n"+
		"  give -secret-id ID (or env CHAT_SECRET_ID, with AWS credentials) and -region NAME (or env CHAT_REGION),\n"+
		"  or -sdkappid N with -key-file FILE (or env CHAT_SECRET_KEY) and -region NAME;\n"+
		"  or add -emulator to try it against a throwaway in-process emulator", command)
}

// startStack opens the stack the flags choose (see openStackMode) and says
// on stderr which backend it runs on. The caller closes it.
func (c *cli) startStack(ctx context.Context, remote *local.Remote, log *slog.Logger, authMode string) (*local.Stack, error) {
	stack, err := c.openStackMode(ctx, remote, log, authMode)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.stderr, "backend: %s\n", stack.Backend)
	return stack, nil
}

// noteEmulator prints note on stderr when stack runs on the emulator, and
// reports whether it does.
func (c *cli) noteEmulator(stack *local.Stack, note string) bool {
	if stack.Emulator == nil {
		return false
	}
	fmt.Fprintln(c.stderr, "note: "+note)
	return true
}

// warnLogger is the logger of the commands that print their own outcome:
// only the functions' warnings and errors reach stderr.
func (c *cli) warnLogger() *slog.Logger {
	return local.NewLogger(c.stderr, slog.LevelWarn)
}

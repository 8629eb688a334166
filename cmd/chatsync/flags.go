package main

import (
	"errors"
	"flag"
	"io"
	"strings"
)

// newFlagSet returns a flag set that reports errors to the caller instead
// of printing them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("chatsync "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags builds a command's flag set and options with flags, parses
// args with it (see parseArgs) and returns them with the positional
// arguments.
func parseFlags[O any](args []string, flags func() (*flag.FlagSet, O)) (*flag.FlagSet, O, []string, error) {
	fs, o := flags()
	pos, err := parseArgs(fs, args)
	return fs, o, pos, err
}

// parseArgs parses flags anywhere among the arguments, as in
// "accounts import -f ids.txt", and returns the other arguments in order.
// Everything after "--" is an argument. A lone "-" (stdin) is an argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := refuseKeyFlag(args); err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// keyFlagNames are flag names someone might try to pass the key with.
var keyFlagNames = map[string]bool{"key": true, "secret-key": true, "secretkey": true, "secret_key": true, "secretKey": true}

// refuseKeyFlag refuses the key as a flag value, without echoing it: it
// would be visible in ps and kept in the shell's history.
func refuseKeyFlag(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if keyFlagNames[name] {
			return usagef("the key is never taken as a flag value (it would show in ps and the shell history): use -key-file FILE or env CHAT_SECRET_KEY")
		}
	}
	return nil
}

// wasSet reports which flags of fs the command line set.
func wasSet(fs *flag.FlagSet) map[string]bool {
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

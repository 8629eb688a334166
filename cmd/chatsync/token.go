package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/chatsync/chat-lambdas/internal/local"
)

// tokenUsage is the help of chatsync token.
var tokenUsage = usage{synopsis: "chatsync token -sub ID [-groups G1,G2] [-username NAME] [-ttl 1h] [-key-file FILE]", flags: flagsOf(tokenFlags), description: `
Token prints a local token for ` + "`chatsync local -auth jwt`" + `: a JWT that
stands in for a Cognito ID token, with the claims the functions read in
jwt mode (sub, cognito:username, cognito:groups, token_use "id") and iss
"` + local.TokenIssuer + `". Send it as Authorization: Bearer TOKEN:

  TOKEN=$(chatsync token -sub alice)
  curl -sS localhost:3000/usersig -H "Authorization: Bearer $TOKEN"

The caller's UserID comes from the claims by USER_ID_ATTRIBUTE, as on a
deployed stack (sub by default); members of ADMIN_GROUP (default
chat-admins, see -groups) may act on anyone.

The token is signed with HS256 and a random key that chatsync keeps in
chatsync/local-jwt.key under the user's configuration directory (mode 0600,
made on first use), so that chatsync local verifies what chatsync token
signs; -key-file names another file (chatsync local -jwt-key-file takes the
same). These tokens are for local development only: a deployed stack
verifies Cognito's own tokens with API Gateway's JWT authorizer, and never
this key.`,
}

type tokenOptions struct {
	sub, username, groups, keyFile string
	ttl                            time.Duration
}

func tokenFlags() (*flag.FlagSet, *tokenOptions) {
	o := &tokenOptions{}
	fs := newFlagSet("token")
	fs.StringVar(&o.sub, "sub", "", "the token's sub claim, the user's `ID` (required)")
	fs.StringVar(&o.username, "username", "", "the cognito:username claim, the user's `NAME` (default: the sub)")
	fs.StringVar(&o.groups, "groups", "", "Cognito groups `G1,G2` (comma-separated) for the cognito:groups claim")
	fs.DurationVar(&o.ttl, "ttl", time.Hour, "how long the token is valid")
	fs.StringVar(&o.keyFile, "key-file", "", "`FILE` holding the signing key (default: chatsync/local-jwt.key in the user's configuration directory)")
	return fs, o
}

func (c *cli) token(_ context.Context, args []string) error {
	fs, o := tokenFlags()
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	claims, err := o.claims()
	if err != nil {
		return err
	}
	if o.ttl <= 0 {
		return usagef("-ttl %v: want a positive duration, such as 1h", o.ttl)
	}
	key, err := loadTokenKey(o.keyFile)
	if err != nil {
		return err
	}
	tok, err := key.Issue(claims, time.Now(), o.ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, tok)
	return nil
}

// claims checks the flags' claims.
func (o *tokenOptions) claims() (local.TokenClaims, error) {
	if strings.TrimSpace(o.sub) == "" {
		return local.TokenClaims{}, usagef("-sub is required: the user the token stands for")
	}
	var groups []string
	for g := range strings.SplitSeq(o.groups, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if strings.ContainsFunc(g, unicode.IsSpace) {
			return local.TokenClaims{}, usagef("-groups: %q: a Cognito group name holds no spaces", g)
		}
		groups = append(groups, g)
	}
	return local.TokenClaims{Sub: o.sub, Username: o.username, Groups: groups}, nil
}

// loadTokenKey loads the local token key from file, or from the default
// file when file is empty.
func loadTokenKey(file string) (local.TokenKey, error) {
	if file == "" {
		var err error
		if file, err = local.DefaultTokenKeyFile(); err != nil {
			return local.TokenKey{}, err
		}
	}
	return local.LoadTokenKey(file)
}

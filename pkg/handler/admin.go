package handler

import (
	"context"
	"slices"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
)

// refuseAdmin returns chat.ErrAdminAccount when ids name the admin
// identifier of src (see chat.Credentials.IsAdmin). It reads the same
// cached credentials the Chat call would sign with, so it costs no extra
// fetch; credentials that cannot be read fail the request as the Chat call
// would. A nil src checks nothing (tests of other rules).
func refuseAdmin(ctx context.Context, src chatapi.CredentialsSource, ids ...string) error {
	if src == nil {
		return nil
	}
	creds, err := src.Credentials(ctx)
	if err != nil {
		return credentialsError(err)
	}
	if slices.ContainsFunc(ids, creds.IsAdmin) {
		return chat.ErrAdminAccount
	}
	return nil
}

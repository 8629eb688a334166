package chatapi

import (
	"context"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Kick invalidates the login state of one account with kick: every UserSig
// issued for userID so far stops working, and a UserSig made afterwards
// works. The UserID is validated first: a refused one costs no request.
// Errors are retried by class as for every command.
//
// Chat answers kick for an account that does not exist with ErrorCode 70107.
// Kick reports that as a success: an account that does not exist has no
// login state left to invalidate, which is the outcome a caller of Kick
// wants (the delete path kicks, then deletes). A caller that must know
// whether the account exists asks CheckAccounts.
func (c *Client) Kick(ctx context.Context, userID string) (chat.Stats, error) {
	if err := chat.ValidateUserID(userID); err != nil {
		return chat.Stats{}, err
	}
	_, attempts, err := c.call(ctx, chat.CmdKick, chat.UserItem{UserID: userID})
	stats := chat.Stats{Calls: 1, Attempts: attempts}
	if chat.ErrorCode(err) == chat.CodeAccountNotFound {
		return stats, nil
	}
	return stats, err
}

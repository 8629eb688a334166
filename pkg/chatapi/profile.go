package chatapi

import (
	"context"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// SetPortrait sets profile fields of one existing account with one
// portrait_set call. The UserID and every field are validated first: a
// refused input costs no request. An account that does not exist answers
// 40003.
func (c *Client) SetPortrait(ctx context.Context, userID string, items []chat.ProfileItem) (chat.Stats, error) {
	if err := chat.ValidateUserID(userID); err != nil {
		return chat.Stats{}, err
	}
	if len(items) == 0 || len(items) > chat.MaxProfileItems {
		return chat.Stats{}, chat.Errorf(chat.CodeProfileBadField, "%d profile fields in one request, 1 to %d allowed", len(items), chat.MaxProfileItems)
	}
	for i, it := range items {
		if err := it.Validate(); err != nil {
			return chat.Stats{}, chat.ItemError(err, i)
		}
	}
	_, attempts, err := c.call(ctx, chat.CmdPortraitSet, chat.PortraitSetRequest{FromAccount: userID, ProfileItem: items})
	return chat.Stats{Calls: 1, Attempts: attempts}, err
}

// SetProfile sets every profile field of one existing account that Chat
// takes. Fields that fail the check before any call are refused without
// one; the rest go in one portrait_set call. When Chat refuses a field
// (chat.IsProfileRefusal) and there were several, it cannot say which, so
// they are set one by one and only the refused ones are left out. The
// error is for what no field can get past: an invalid UserID, 40003 (no
// such account), or a call that failed after its retries; the result then
// still says what was set before it.
func (c *Client) SetProfile(ctx context.Context, userID string, items []chat.ProfileItem) (chat.ProfileResult, error) {
	var res chat.ProfileResult
	if err := chat.ValidateUserID(userID); err != nil {
		return res, err
	}
	valid := make([]chat.ProfileItem, 0, len(items))
	for _, it := range items {
		if err := it.Validate(); err != nil {
			res.Refused = append(res.Refused, refusal(it.Tag, err))
			continue
		}
		valid = append(valid, it)
	}
	if len(valid) == 0 {
		return res, nil
	}
	if len(valid) > chat.MaxProfileItems {
		valid = valid[:chat.MaxProfileItems]
	}
	stats, err := c.SetPortrait(ctx, userID, valid)
	res.Stats = stats
	switch {
	case err == nil:
		for _, it := range valid {
			res.Set = append(res.Set, it.Tag)
		}
		return res, nil
	case !chat.IsProfileRefusal(err):
		return res, err
	case len(valid) == 1:
		res.Refused = append(res.Refused, refusal(valid[0].Tag, err))
		return res, nil
	}
	for _, it := range valid {
		stats, err := c.SetPortrait(ctx, userID, []chat.ProfileItem{it})
		res.Stats = res.Stats.Add(stats)
		switch {
		case err == nil:
			res.Set = append(res.Set, it.Tag)
		case chat.IsProfileRefusal(err):
			res.Refused = append(res.Refused, refusal(it.Tag, err))
		default:
			return res, err
		}
	}
	return res, nil
}

func refusal(tag string, err error) chat.ProfileRefusal {
	return chat.ProfileRefusal{Tag: tag, Code: chat.ErrorCode(err), Info: chat.ErrorInfo(err)}
}

// GetProfile reads the given profile tags of up to 100 accounts with
// portrait_get. Each account's entry carries its own ResultCode (40003 for
// an account that does not exist).
func (c *Client) GetProfile(ctx context.Context, ids []string, tags []string) ([]chat.UserProfile, chat.Stats, error) {
	switch {
	case len(ids) == 0 || len(ids) > chat.MaxPerCall:
		return nil, chat.Stats{}, chat.Errorf(chat.CodeBatchCount, "%d accounts in one request, 1 to %d allowed", len(ids), chat.MaxPerCall)
	case len(tags) == 0:
		return nil, chat.Stats{}, chat.Errorf(chat.CodeProfileBadField, "no profile tag to read")
	}
	for i, id := range ids {
		if err := chat.ValidateUserID(id); err != nil {
			return nil, chat.Stats{}, chat.ItemError(err, i)
		}
	}
	env, attempts, err := c.call(ctx, chat.CmdPortraitGet, chat.PortraitGetRequest{ToAccount: ids, TagList: tags})
	stats := chat.Stats{Calls: 1, Attempts: attempts}
	if err != nil {
		return nil, stats, err
	}
	return env.UserProfileItem, stats, nil
}

package chatemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// ResultInfo of an account_delete item whose account does not exist.
const infoNotFound = "account does not exist"

func success() chat.Envelope { return chat.Envelope{ActionStatus: chat.StatusOK} }

// importOne executes account_import.
func (s *Server) importOne(body []byte) chat.Envelope {
	var a chat.Account
	if err := decode(body, &a); err != nil {
		return errorEnvelope(err)
	}
	if err := validate(a); err != nil {
		return errorEnvelope(err)
	}
	if failed := s.store([]chat.Account{a}); len(failed) > 0 {
		return failure(chat.CodeTrialCap, "the app holds its maximum number of accounts")
	}
	return success()
}

// importMany executes multiaccount_import. One invalid account refuses the
// whole request; accounts over the trial cap are listed in FailAccounts.
func (s *Server) importMany(body []byte) chat.Envelope {
	var req chat.MultiImportRequest
	if err := decode(body, &req); err != nil {
		return errorEnvelope(err)
	}
	if err := batchSize(len(req.AccountList)); err != nil {
		return errorEnvelope(err)
	}
	for _, a := range req.AccountList {
		if err := validate(a); err != nil {
			return errorEnvelope(err)
		}
	}
	failed := s.store(req.AccountList)
	env := success()
	if len(failed) == len(req.AccountList) {
		env = failure(chat.CodeTrialCap, "the app holds its maximum number of accounts")
	}
	env.FailAccounts = failed
	return env
}

// store imports accounts up to the trial cap and returns the UserIDs refused
// by it. Importing an existing account updates the profile fields given.
func (s *Server) store(accounts []chat.Account) (failed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range accounts {
		old, exists := s.accounts[a.UserID]
		switch {
		case !exists && s.trialCap > 0 && len(s.accounts) >= s.trialCap:
			failed = append(failed, a.UserID)
			continue
		case exists:
			if a.Nick == "" {
				a.Nick = old.Nick
			}
			if a.FaceURL == "" {
				a.FaceURL = old.FaceURL
			}
		}
		s.accounts[a.UserID] = a
	}
	return failed
}

// delete executes account_delete.
func (s *Server) delete(body []byte) chat.Envelope {
	var req chat.DeleteRequest
	if err := decodeItems(body, &req, &req.DeleteItem); err != nil {
		return errorEnvelope(err)
	}
	env := success()
	env.ResultItem = make([]chat.ResultItem, len(req.DeleteItem))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range req.DeleteItem {
		r := chat.ResultItem{UserID: it.UserID}
		if _, exists := s.accounts[it.UserID]; exists {
			delete(s.accounts, it.UserID)
		} else {
			r.ResultCode, r.ResultInfo = chat.CodeAccountNotFound, infoNotFound
		}
		env.ResultItem[i] = r
	}
	return env
}

// check executes account_check.
func (s *Server) check(body []byte) chat.Envelope {
	var req chat.CheckRequest
	if err := decodeItems(body, &req, &req.CheckItem); err != nil {
		return errorEnvelope(err)
	}
	env := success()
	env.ResultItem = make([]chat.ResultItem, len(req.CheckItem))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range req.CheckItem {
		status := chat.NotImported
		if _, exists := s.accounts[it.UserID]; exists {
			status = chat.Imported
		}
		env.ResultItem[i] = chat.ResultItem{UserID: it.UserID, AccountStatus: status}
	}
	return env
}

// decode parses a request body into v. A body that is not one JSON object
// answers 60003, a UserID that is not a string 60015, any other field of the
// wrong type 70402. Unknown fields are ignored.
func decode(body []byte, v any) *chat.Error {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return chat.Errorf(chat.CodeBadJSON, "request body is not a JSON object")
	}
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && (te.Field == "UserID" || strings.HasSuffix(te.Field, ".UserID")):
		return chat.Errorf(chat.CodeBadAccountType, "UserID must be a string")
	case errors.As(err, &te):
		return chat.Errorf(chat.CodeInvalidParameter, "%s has the wrong type", te.Field)
	default:
		return chat.Errorf(chat.CodeBadJSON, "request body does not parse")
	}
}

// decodeItems parses an account_delete or account_check body into v, whose
// item list is *items, and checks the list: 1 to 100 valid UserIDs.
func decodeItems(body []byte, v any, items *[]chat.UserItem) *chat.Error {
	if err := decode(body, v); err != nil {
		return err
	}
	if err := batchSize(len(*items)); err != nil {
		return err
	}
	for _, it := range *items {
		if err := asError(chat.ValidateAPIUserID(it.UserID)); err != nil {
			return err
		}
	}
	return nil
}

// batchSize checks the number of accounts in one call: 1 to 100.
func batchSize(n int) *chat.Error {
	if n < 1 || n > chat.MaxPerCall {
		return chat.Errorf(chat.CodeBatchCount, "%d accounts in one request, 1 to %d allowed", n, chat.MaxPerCall)
	}
	return nil
}

// validate checks an account as account_import does: the UserID by the
// account API's own rule (Tencent's REST docs give only its length), then
// Nick and FaceUrl.
func validate(a chat.Account) *chat.Error {
	if err := asError(chat.ValidateAPIUserID(a.UserID)); err != nil {
		return err
	}
	return asError(a.ValidateProfile())
}

// asError returns err as the *chat.Error that pkg/chat validation returns.
func asError(err error) *chat.Error {
	if err == nil {
		return nil
	}
	var e *chat.Error
	if errors.As(err, &e) {
		return e
	}
	return chat.Errorf(chat.CodeInvalidParameter, "%v", err)
}

package handler

import (
	"context"
	"errors"
	"net/http"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// httpErrorFor maps a failed operation to its HTTP reply: 403 for the
// app's admin identifier (chat.ErrAdminAccount), 400 for input
// refused (by us before any call, or by Chat as the caller's fault), 504 when
// the deadline ran out, 503 when transient failures outlasted the retries,
// and 502 for any other Chat-side rejection.
func httpErrorFor(err error) *httpError {
	if errors.Is(err, chat.ErrAdminAccount) {
		return &httpError{Status: http.StatusForbidden, Code: "forbidden", Message: chat.ErrAdminAccount.Info, ChatCode: chat.CodeInvalidParameter}
	}
	var e *chat.Error
	if !errors.As(err, &e) {
		return &httpError{Status: http.StatusBadGateway, Code: "chat_error", Message: "internal error"}
	}
	he := &httpError{Message: e.Public(), ChatCode: e.Code}
	switch {
	case e.Command == "":
		he.Status, he.Code = http.StatusBadRequest, "invalid_request"
	case errors.Is(err, context.DeadlineExceeded):
		he.Status, he.Code = http.StatusGatewayTimeout, "deadline_exceeded"
	case e.Class == chat.ClassCaller:
		he.Status, he.Code = http.StatusBadRequest, "chat_refused_input"
	case e.Class == chat.ClassTransient || e.Class == chat.ClassRateLimited:
		he.Status, he.Code = http.StatusServiceUnavailable, "chat_unavailable"
	default:
		he.Status, he.Code = http.StatusBadGateway, "chat_rejected"
	}
	return he
}

// bodyRefused maps a body decodeBody refused to its reply: 400
// invalid_json when it is not the JSON expected, else as httpErrorFor.
func bodyRefused(err error) *httpError {
	switch code := chat.ErrorCode(err); code {
	case chat.CodeBadJSON, chat.CodeBadAccountType:
		return &httpError{Status: http.StatusBadRequest, Code: "invalid_json", Message: chat.ErrorInfo(err), ChatCode: code}
	}
	return httpErrorFor(err)
}

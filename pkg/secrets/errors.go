package secrets

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// Error codes carried by *Error. They are stable: handlers may put them in
// replies and alarms may match them.
const (
	CodeNotFound      = "secret_not_found"      // no such secret (or no AWSCURRENT version)
	CodeAccessDenied  = "access_denied"         // IAM refused the read, or KMS refused to decrypt
	CodeNotString     = "secret_not_string"     // a binary secret: there is no SecretString
	CodeNotJSON       = "secret_not_json"       // SecretString is not a JSON object
	CodeFieldMissing  = "secret_field_missing"  // sdkAppId or secretKey is absent, null or empty
	CodeFieldInvalid  = "secret_field_invalid"  // a field has the wrong type or value
	CodeFetchFailed   = "secret_fetch_failed"   // anything else: network, throttling, timeout
	CodeInvalidConfig = "secret_config_invalid" // NewSource: the configuration is wrong
)

// Error is a failure to obtain the Chat credentials from Secrets Manager.
// Code is one of the Code constants and Message a short explanation for an
// operator; both are safe to log and to return to callers. No part of the
// secret's value ever appears in an Error: parse failures name the field
// and, for bad JSON, the byte offset, never the text.
type Error struct {
	Code     string
	Message  string
	SecretID string // the name or ARN that was read, if known
	Err      error  // the cause from the AWS SDK or the context, if any
}

// Error returns the secret's ID, the message and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("chat secret")
	if e.SecretID != "" {
		fmt.Fprintf(&b, " %q", e.SecretID)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// transient reports whether trying again soon may succeed. Everything but
// CodeFetchFailed needs someone to change the secret or the permissions.
func (e *Error) transient() bool { return e.Code == CodeFetchFailed }

// Temporary reports whether trying again soon may succeed, for callers
// that decide on retries without importing this package.
func (e *Error) Temporary() bool { return e.transient() }

// ErrorCode returns the Code of the *Error in err's chain, or "" when there
// is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// accessDeniedCodes are the AWS error codes that mean the function's
// identity may not read or decrypt the secret.
var accessDeniedCodes = map[string]bool{
	"AccessDeniedException":       true,
	"AccessDenied":                true,
	"DecryptionFailure":           true, // KMS refused to decrypt
	"KMSAccessDeniedException":    true,
	"KMSDisabledException":        true,
	"KMSInvalidStateException":    true,
	"UnrecognizedClientException": true,
	"InvalidClientTokenId":        true,
}

// fetchError classifies an error from GetSecretValue.
func fetchError(id string, err error) *Error {
	wrapped := fmt.Errorf("get secret value: %w", err)
	var (
		notFound *types.ResourceNotFoundException
		decrypt  *types.DecryptionFailure
		api      smithy.APIError
	)
	switch {
	case errors.As(err, &notFound):
		return &Error{Code: CodeNotFound, Message: "the secret does not exist or has no current version (check CHAT_SECRET_ID)", SecretID: id, Err: wrapped}
	case errors.As(err, &decrypt):
		return &Error{Code: CodeAccessDenied, Message: "KMS could not decrypt the secret (check the key policy and the function's kms:Decrypt permission)", SecretID: id, Err: wrapped}
	case errors.As(err, &api) && accessDeniedCodes[api.ErrorCode()]:
		return &Error{Code: CodeAccessDenied, Message: "access denied reading the secret (check the function's role: secretsmanager:GetSecretValue, and kms:Decrypt for a customer managed key)", SecretID: id, Err: wrapped}
	default:
		return &Error{Code: CodeFetchFailed, Message: "could not read the secret", SecretID: id, Err: wrapped}
	}
}

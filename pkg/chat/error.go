package chat

import (
	"errors"
	"fmt"
)

// Class says what a client does about a Chat error code.
type Class int

// The classes of Chat error codes.
const (
	ClassNone          Class = iota // success
	ClassTransient                  // retry with exponential backoff and jitter
	ClassRateLimited                // retry with a longer backoff
	ClassSignature                  // make a new UserSig, retry once
	ClassCredentials                // re-read the secret, retry once
	ClassCaller                     // the caller's input is wrong: never retried
	ClassConfiguration              // the deployment is wrong: never retried
)

var classNames = [...]string{"none", "transient", "rate-limited", "signature", "credentials", "caller", "configuration"}

// String returns the class's name as it appears in logs.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// Chat error codes with a meaning of their own in this project.
const (
	CodeOK                    = 0
	CodeAccountNotFound       = 70107 // account_delete: the account does not exist
	CodeInvalidParameter      = 70402 // a field is missing or breaks the protocol
	CodeProfileTooLong        = 40601 // Nick or FaceUrl over 500 bytes
	CodeProfileRefused        = 40005 // a profile field Chat will not take
	CodeBatchCount            = 70206 // batch size out of range
	CodeBadJSON               = 60003 // request body is not valid JSON
	CodeBadAccountType        = 60015 // request body carries a UserID that is not a string
	CodeSigExpired            = 70001 // UserSig expired: make a new one
	CodeSigInvalidated        = 70052 // UserSig no longer valid: make a new one
	CodeSigInvalid            = 70003 // UserSig cannot be parsed
	CodeSigDecodeFailed       = 70005 // UserSig could not be decoded
	CodeSigKeyMismatch        = 70009 // UserSig verification failed: signed with another key
	CodeSigIdentifierMismatch = 70013 // identifier in the request differs from the UserSig's
	CodeSDKAppIDMismatch      = 70014 // sdkappid in the request differs from the UserSig's
	CodeTrialCap              = 70398 // trial edition: at most 100 accounts
	CodeNotAdmin              = 70403 // identifier is not an app admin
	CodeDeleteDisabled        = 71000 // paid editions: account deletion is disabled in the console
	CodeServerTimeout         = 70169 // server internal timeout
	CodeServerError           = 70500 // server internal error
	CodeRateLimited           = 60007 // REST API call frequency exceeded
	CodeBadRequestURL         = 60002 // HTTP parse error
	CodeMalformedRequest      = 60008 // service timeout or malformed request
	CodeSDKAppIDInvalid       = 60006 // SDKAppID invalid
	CodeRequestNeedsAdmin     = 60010 // request needs app admin rights
	CodeBadAccountOrSig       = 60004 // identifier or usersig missing or wrong in the request URL
	CodeBadResource           = 60009 // request resource error: no such service or command
	CodeSDKAppIDRequired      = 60012 // the request URL carries no sdkappid
)

var classOf = map[int]Class{
	70169: ClassTransient, 70202: ClassTransient, 70500: ClassTransient, 60013: ClassTransient,
	60014: ClassTransient, 30006: ClassTransient, 30007: ClassTransient, 30008: ClassTransient,
	40006: ClassTransient, 60008: ClassTransient,

	60007: ClassRateLimited, 60011: ClassRateLimited, 60018: ClassRateLimited, 60019: ClassRateLimited,

	70001: ClassSignature, 70052: ClassSignature,

	70003: ClassCredentials, 70005: ClassCredentials, 70009: ClassCredentials,

	70402: ClassCaller, 40601: ClassCaller, 40005: ClassCaller, 70206: ClassCaller,
	60003: ClassCaller, 60015: ClassCaller,
	// portrait_set: a wrong tag or type, no such account, a Location over
	// 16 bytes.
	40001: ClassCaller, 40003: ClassCaller, 40605: ClassCaller,
	// Every other code is ClassConfiguration, whether Tencent documents it
	// as a configuration error (60002, 60004, 70013, 70398, ...) or not at
	// all: see Classify.
}

// Classify returns the class of a Chat error code. Codes not listed above
// are configuration errors: nothing is retried blindly.
func Classify(code int) Class {
	if code == 0 {
		return ClassNone
	}
	if c, ok := classOf[code]; ok {
		return c
	}
	return ClassConfiguration
}

// MaxRetries60008 bounds the retries of code 60008, which can also mean a
// malformed request.
const MaxRetries60008 = 2

// Error is a failed Chat operation: a Chat error code, a transport failure
// or a refused input. Its message is safe to log and to return to callers:
// it never carries the key, a UserSig or a signed URL.
type Error struct {
	Command  string // Chat command, such as "account_import"; empty for input refused before any call
	Code     int    // Chat ErrorCode; for a transport failure the transient code the client stands in with
	Info     string // Chat's ErrorInfo, or what went wrong
	Class    Class
	Status   int   // HTTP status when it was not 200, else 0
	Attempts int   // requests made, 0 when refused before any call
	Err      error // the cause (already redacted), if any

	// Internal marks a cause that is for operators only: it names AWS
	// resources (an ARN, an account ID) or repeats an AWS error. Public
	// leaves it out; Error, for logs, keeps it.
	Internal bool
}

// Errorf returns a caller-class error with code and a formatted message, for
// input refused before any Chat call.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Info: fmt.Sprintf(format, args...), Class: Classify(code)}
}

// Error returns a message naming the command, the code and the class.
func (e *Error) Error() string { return e.format(e.detail(true)) }

// Public returns the message a caller may see: Error's, without an internal
// cause.
func (e *Error) Public() string { return e.format(e.Detail()) }

// Detail returns what went wrong without the command and the code: Info,
// and the cause unless it is internal.
func (e *Error) Detail() string { return e.detail(!e.Internal) }

func (e *Error) detail(withCause bool) string {
	msg := e.Info
	switch {
	case e.Err == nil || !withCause:
	case msg == "":
		msg = e.Err.Error()
	default:
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) format(msg string) string {
	if e.Command == "" {
		return fmt.Sprintf("invalid input (code %d): %s", e.Code, msg)
	}
	if e.Status != 0 {
		return fmt.Sprintf("chat %s: HTTP %d (code %d, %s): %s", e.Command, e.Status, e.Code, e.Class, msg)
	}
	return fmt.Sprintf("chat %s: code %d (%s): %s", e.Command, e.Code, e.Class, msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the Chat code carried by err, or 0 when err is not an
// *Error.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// ErrorInfo returns the Info of the *Error in err's chain, or "" when there
// is none.
func ErrorInfo(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Info
	}
	return ""
}

// ErrorClass returns the class of err: the class of an *Error, ClassNone for
// nil, and ClassConfiguration for anything else.
func ErrorClass(err error) Class {
	if err == nil {
		return ClassNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassConfiguration
}

// ItemError names the position of a refused item in a batch: an *Error gets
// "item i: " before its Info; any other error is returned as it is.
func ItemError(err error, i int) error {
	var e *Error
	if errors.As(err, &e) {
		ce := *e
		ce.Info = fmt.Sprintf("item %d: %s", i, ce.Info)
		return &ce
	}
	return err
}

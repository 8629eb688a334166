package local

import (
	"context"
	"crypto/rand"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Function is a Lambda function on raw payloads, as aws-lambda-go's
// lambda.Handler: *handler.ImportHandler and *handler.DeleteHandler are
// Functions.
type Function interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// The functions' timeouts in template.yaml.
const (
	ImportTimeout  = 60 * time.Second
	DeleteTimeout  = 30 * time.Second
	UserSigTimeout = 10 * time.Second
)

// LocalAccountID is the AWS account ID of everything this package makes up:
// function ARNs, the API, the IAM caller.
const LocalAccountID = "000000000000"

// FunctionError is a function's error as Lambda reports it to the caller.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// Error returns the message.
func (e *FunctionError) Error() string { return e.Message }

// Invoke runs payload through fn as Lambda does: under a context carrying a
// fresh request ID and the function's ARN, with a deadline timeout from now
// (no deadline when timeout is 0). The function's own error, or a panic,
// comes back as a *FunctionError; the request ID is returned either way.
func Invoke(ctx context.Context, fn Function, name string, timeout time.Duration, payload []byte) (reply []byte, requestID string, err error) {
	requestID = NewRequestID()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:local:%s:function:%s", LocalAccountID, name),
	})
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, &FunctionError{Message: fmt.Sprint(v), Type: "Runtime.Panic"}
		}
	}()
	reply, err = fn.Invoke(ctx, payload)
	if err != nil {
		return nil, requestID, &FunctionError{Message: err.Error(), Type: errorType(err)}
	}
	return reply, requestID, nil
}

// errorType names err's type as aws-lambda-go does in errorType.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// NewRequestID returns a random version 4 UUID, the form of Lambda request
// IDs.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

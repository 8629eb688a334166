// Command hello is the benchmark's baseline: the smallest aws-lambda-go
// function, which answers every invocation with its own payload. Its cold
// start is what any Go function on the provided runtime pays before doing
// anything of its own.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return in, nil
	})
}

// Package local runs the two Lambda functions on a developer's machine,
// without AWS, Tencent or Docker: the pieces of the chatsync command that are
// not about its command line.
//
// A Stack is what a deployed function process holds (a credentials source,
// one Chat client, the import and delete handlers), backed either by an
// in-process Chat emulator with an in-memory stand-in for Secrets Manager
// (StartEmulator) or by the real service (Connect).
//
// A Gateway plays the part of API Gateway's HTTP API, as `sam local
// start-api` does: it turns real HTTP requests into payload 2.0 events for
// the handlers and their replies back into HTTP responses. Invoke plays the
// part of `sam local invoke`: one event through one handler, under a Lambda
// context with a request ID and a deadline.
package local

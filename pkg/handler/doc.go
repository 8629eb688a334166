// Package handler turns the functions' Lambda events into Chat
// account operations: Cognito post-confirmation triggers, API Gateway
// requests (HTTP API payload 2.0 and REST API payload 1.0), direct
// invocations with Tencent's own request bodies, and retry-queue messages;
// and, for the UserSig function, into UserSigs for app users' Chat SDK
// logins, made without any Chat call.
//
// The handlers implement aws-lambda-go's lambda.Handler interface on raw
// bytes, so that the Cognito reply is the trigger's own input and a payload
// that is no known event is refused before anything else happens. Every
// input is validated before any Chat call; handlers never return a raw Go
// error to API Gateway, they map it to a status code and a JSON error body.
package handler

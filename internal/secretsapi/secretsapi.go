// Package secretsapi serves a stand-in for AWS Secrets Manager's
// GetSecretValue over HTTP, in the service's own wire protocol (AWS JSON
// 1.1: POST / with X-Amz-Target: secretsmanager.GetSecretValue), so that the
// real AWS SDK, pointed at it through AWS_ENDPOINT_URL_SECRETS_MANAGER,
// reads a secret from it as it would from AWS. chatsync emulator serves it
// beside the Chat emulator for `sam local invoke`.
//
// It answers GetSecretValue only, for the secrets its Store holds; every
// other operation is refused with UnknownOperationException. It requires a
// SigV4 Authorization header, as AWS does, but does not verify the
// signature: it is a local development tool, meant to be reached only from
// the machine it runs on.
package secretsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Store answers GetSecretValue (internal/local.SecretStore does).
type Store interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Target is the X-Amz-Target of the one operation served.
const Target = "secretsmanager.GetSecretValue"

// maxBody bounds a request body: a GetSecretValue request is a few hundred
// bytes.
const maxBody = 64 << 10

// Handler serves GetSecretValue from Store.
type Handler struct {
	Store Store
	// ARN returns the ARN to report for a secret name; nil reports none.
	ARN func(name string) string
}

// IsRequest reports whether r is addressed to the stand-in: a POST to / with
// an X-Amz-Target header, so a server can share its port with other
// handlers.
func IsRequest(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/" && r.Header.Get("X-Amz-Target") != ""
}

type request struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId,omitempty"`
	VersionStage string `json:"VersionStage,omitempty"`
}

type reply struct {
	ARN           string   `json:"ARN,omitempty"`
	Name          string   `json:"Name"`
	SecretString  string   `json:"SecretString"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"`
}

// versionID is the one version every secret has.
const versionID = "00000000-0000-4000-8000-000000000001"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != Target {
		fail(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		fail(w, http.StatusBadRequest, "SerializationException", "request body too large or unreadable")
		return
	}
	var in request
	if err := json.Unmarshal(body, &in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", "request body is not a JSON object")
		return
	}
	if in.SecretID == "" {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	if (in.VersionID != "" && in.VersionID != versionID) || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId or VersionStage.")
		return
	}
	out, err := h.Store.GetSecretValue(r.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(in.SecretID)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	case err != nil:
		fail(w, http.StatusInternalServerError, "InternalServiceError", "the secret could not be read")
		return
	}
	rep := reply{
		Name:          aws.ToString(out.Name),
		SecretString:  aws.ToString(out.SecretString),
		VersionID:     versionID,
		VersionStages: []string{"AWSCURRENT"},
		CreatedDate:   float64(time.Now().Unix()),
	}
	if h.ARN != nil {
		rep.ARN = h.ARN(rep.Name)
	}
	write(w, http.StatusOK, rep)
}

func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	body := map[string]string{"__type": typ}
	if msg != "" {
		body["message"] = msg
	}
	write(w, status, body)
}

func write(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	w.Write(b)
}

package local

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretStore is an in-memory stand-in for AWS Secrets Manager: it answers
// GetSecretValue for the secrets put into it, so a secrets.Source reads the
// Chat key locally exactly as it reads it in a deployment. It is safe for
// concurrent use.
type SecretStore struct {
	mu     sync.Mutex
	values map[string]string
	calls  int
}

// NewSecretStore returns an empty store.
func NewSecretStore() *SecretStore {
	return &SecretStore{values: make(map[string]string)}
}

// Put stores value (the SecretString) under id, replacing any earlier value.
func (s *SecretStore) Put(id, value string) {
	s.mu.Lock()
	s.values[id] = value
	s.mu.Unlock()
}

// Calls returns the number of GetSecretValue calls answered so far.
func (s *SecretStore) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// GetSecretValue returns the secret named by in.SecretId, or a
// ResourceNotFoundException as Secrets Manager would.
func (s *SecretStore) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	id := aws.ToString(in.SecretId)
	v, ok := s.values[id]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return &secretsmanager.GetSecretValueOutput{Name: aws.String(id), SecretString: aws.String(v)}, nil
}

package setup

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/chatsync/chat-lambdas/pkg/config"
)

// awsEnv is the AWS SDK configuration a function takes from the
// environment Lambda gives it: the region, the execution role's
// credentials, and the SDK's standard variables for endpoints, FIPS,
// dual-stack and retries.
//
// It stands in for config.LoadDefaultConfig on purpose. In Lambda there are
// no shared config files, profiles or SSO sessions to resolve, and linking
// the config package (with the SSO, SSO OIDC, STS and sign-in clients it
// pulls in) costs every cold start their package initialisation before the
// secret fetch can even begin (BENCHMARKS.md). The operator tool, which
// does need profiles and SSO, uses LoadDefaultConfig (see internal/local).
type awsEnv struct {
	cfg       aws.Config
	getenv    func(string) string
	fips      bool
	dualStack bool
}

// Environment variables awsEnv reads, besides AWS_ENDPOINT_URL_<SERVICE>.
const (
	envRegion       = "AWS_REGION"
	envKeyID        = "AWS_ACCESS_KEY_ID"
	envSecretKey    = "AWS_SECRET_ACCESS_KEY"
	envSessionToken = "AWS_SESSION_TOKEN"
)

func loadAWSEnv(getenv func(string) string) (*awsEnv, error) {
	region := getenv(envRegion)
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	id, secret := getenv(envKeyID), getenv(envSecretKey)
	var missing []string
	if region == "" {
		missing = append(missing, envRegion)
	}
	if id == "" || secret == "" {
		missing = append(missing, envKeyID+" and "+envSecretKey)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("AWS environment: %s not set (Lambda sets them for every function)", strings.Join(missing, ", "))
	}
	e := &awsEnv{
		cfg: aws.Config{
			Region:      region,
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv(envSessionToken))),
		},
		getenv: getenv,
	}
	var err error
	if e.fips, err = boolEnv(getenv, "AWS_USE_FIPS_ENDPOINT"); err != nil {
		return nil, err
	}
	if e.dualStack, err = boolEnv(getenv, "AWS_USE_DUALSTACK_ENDPOINT"); err != nil {
		return nil, err
	}
	if err := checkEndpoints(getenv); err != nil {
		return nil, err
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("AWS_MAX_ATTEMPTS %q: want a positive integer", v)
		}
		e.cfg.RetryMaxAttempts = n
	}
	return e, nil
}

// endpointServices are the services the functions call, as named in
// AWS_ENDPOINT_URL_<SERVICE>.
var endpointServices = []string{"SECRETS_MANAGER", "SQS", "COGNITO_IDENTITY_PROVIDER", "DYNAMODB"}

// checkEndpoints holds the endpoint URLs set for those services (and
// AWS_ENDPOINT_URL) to the rule the Chat base URL follows: https, or plain
// http only to loopback or, in a local run, a private address
// (config.PlainHTTPAllowed). An empty variable is unset, as for the SDK.
func checkEndpoints(getenv func(string) string) error {
	if ignore, _ := strconv.ParseBool(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); ignore {
		return nil
	}
	local := config.LocalRun(getenv)
	var errs []string
	for _, s := range append([]string{""}, endpointServices...) {
		k := "AWS_ENDPOINT_URL"
		if s != "" {
			k += "_" + s
		}
		if v := getenv(k); v != "" {
			if err := config.CheckEndpointURL(k, v, local); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("AWS environment: " + strings.Join(errs, "; "))
	}
	return nil
}

func boolEnv(getenv func(string) string, k string) (bool, error) {
	v := getenv(k)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New(k + ": want true or false")
	}
	return b, nil
}

// endpoint returns the endpoint URL the SDK's conventions give a service
// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL), or nil for the
// service's own.
func (e *awsEnv) endpoint(service string) *string {
	if ignore, _ := strconv.ParseBool(e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); ignore {
		return nil
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_" + service, "AWS_ENDPOINT_URL"} {
		if v := e.getenv(k); v != "" {
			return aws.String(v)
		}
	}
	return nil
}

func (e *awsEnv) fipsState() aws.FIPSEndpointState {
	if e.fips {
		return aws.FIPSEndpointStateEnabled
	}
	return aws.FIPSEndpointStateUnset
}

func (e *awsEnv) dualStackState() aws.DualStackEndpointState {
	if e.dualStack {
		return aws.DualStackEndpointStateEnabled
	}
	return aws.DualStackEndpointStateUnset
}

// dynamoDB returns a DynamoDB client for the environment
// (AWS_ENDPOINT_URL_DYNAMODB for tests).
func (e *awsEnv) dynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(e.cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = e.endpoint("DYNAMODB")
		o.EndpointOptions.UseFIPSEndpoint = e.fipsState()
		o.EndpointOptions.UseDualStackEndpoint = e.dualStackState()
	})
}

// secretsManager returns a Secrets Manager client for the environment.
func (e *awsEnv) secretsManager() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(e.cfg, func(o *secretsmanager.Options) {
		o.BaseEndpoint = e.endpoint("SECRETS_MANAGER")
		o.EndpointOptions.UseFIPSEndpoint = e.fipsState()
		o.EndpointOptions.UseDualStackEndpoint = e.dualStackState()
	})
}

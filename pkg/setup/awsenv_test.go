package setup

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestLoadAWSEnv(t *testing.T) {
	base := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIexample", "AWS_SESSION_TOKEN": "TOKEN"}
	with := func(kv ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	e, err := loadAWSEnv(with())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := e.cfg.Credentials.Retrieve(t.Context())
	if err != nil || creds.AccessKeyID != "AKID" || creds.SessionToken != "TOKEN" || e.cfg.Region != "eu-west-1" {
		t.Errorf("config %+v, credentials %v %v", e.cfg, creds.AccessKeyID, err)
	}
	if e.endpoint("SQS") != nil || e.fipsState() != aws.FIPSEndpointStateUnset {
		t.Error("endpoint or FIPS set without being asked")
	}

	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL", "http://all", "AWS_ENDPOINT_URL_SQS", "http://sqs", "AWS_USE_FIPS_ENDPOINT", "true", "AWS_MAX_ATTEMPTS", "5", "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-west-2"))
	if got := aws.ToString(e.endpoint("SQS")); got != "http://sqs" {
		t.Errorf("SQS endpoint %q", got)
	}
	if got := aws.ToString(e.endpoint("SECRETS_MANAGER")); got != "http://all" {
		t.Errorf("Secrets Manager endpoint %q", got)
	}
	if e.fipsState() != aws.FIPSEndpointStateEnabled || e.cfg.RetryMaxAttempts != 5 || e.cfg.Region != "us-west-2" {
		t.Errorf("fips %v, attempts %d, region %s", e.fipsState(), e.cfg.RetryMaxAttempts, e.cfg.Region)
	}
	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL", "http://all", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"))
	if e.endpoint("SQS") != nil {
		t.Error("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ignored")
	}
	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm", "AWS_USE_DUALSTACK_ENDPOINT", "true"))
	if o := e.secretsManager().Options(); aws.ToString(o.BaseEndpoint) != "http://sm" || o.EndpointOptions.UseDualStackEndpoint != aws.DualStackEndpointStateEnabled || o.Region != "eu-west-1" {
		t.Errorf("Secrets Manager client: endpoint %q, dual-stack %v, region %q", aws.ToString(o.BaseEndpoint), o.EndpointOptions.UseDualStackEndpoint, o.Region)
	}

	for _, bad := range [][]string{
		{"AWS_REGION", ""},
		{"AWS_ACCESS_KEY_ID", ""},
		{"AWS_USE_DUALSTACK_ENDPOINT", "maybe"},
		{"AWS_MAX_ATTEMPTS", "0"},
	} {
		_, err := loadAWSEnv(with(bad...))
		if err == nil {
			t.Errorf("%s=%q accepted", bad[0], bad[1])
			continue
		}
		if strings.Contains(err.Error(), "wJalrXUtnFEMIexample") {
			t.Errorf("error leaks the secret access key: %v", err)
		}
	}
}

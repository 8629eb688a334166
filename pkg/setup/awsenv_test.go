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

	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL", "https://all.example", "AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566", "AWS_USE_FIPS_ENDPOINT", "true", "AWS_MAX_ATTEMPTS", "5", "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-west-2"))
	if got := aws.ToString(e.endpoint("SQS")); got != "http://127.0.0.1:4566" {
		t.Errorf("SQS endpoint %q", got)
	}
	if got := aws.ToString(e.endpoint("SECRETS_MANAGER")); got != "https://all.example" {
		t.Errorf("Secrets Manager endpoint %q", got)
	}
	if e.fipsState() != aws.FIPSEndpointStateEnabled || e.cfg.RetryMaxAttempts != 5 || e.cfg.Region != "us-west-2" {
		t.Errorf("fips %v, attempts %d, region %s", e.fipsState(), e.cfg.RetryMaxAttempts, e.cfg.Region)
	}
	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL", "https://all.example", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"))
	if e.endpoint("SQS") != nil {
		t.Error("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ignored")
	}
	e, _ = loadAWSEnv(with("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://localhost:4566", "AWS_USE_DUALSTACK_ENDPOINT", "true"))
	if o := e.secretsManager().Options(); aws.ToString(o.BaseEndpoint) != "http://localhost:4566" || o.EndpointOptions.UseDualStackEndpoint != aws.DualStackEndpointStateEnabled || o.Region != "eu-west-1" {
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

func TestEndpointsFollowThePlainHTTPRule(t *testing.T) {
	base := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
	tests := []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"empty is unset", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "", "AWS_ENDPOINT_URL_SQS": ""}, true},
		{"loopback", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:8400"}, true},
		{"bridge, deployed", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://198.18.0.1:8400"}, false},
		{"bridge, sam local", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://198.18.0.1:8400", "AWS_SAM_LOCAL": "true"}, true},
		{"public host, sam local", map[string]string{"AWS_ENDPOINT_URL_SQS": "http://sqs.example.com", "AWS_SAM_LOCAL": "true"}, false},
		{"global endpoint", map[string]string{"AWS_ENDPOINT_URL": "http://10.1.2.3"}, false},
		{"cognito, sam local", map[string]string{"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "http://198.18.0.1:8401", "AWS_SAM_LOCAL": "true"}, true},
		{"ignored endpoints", map[string]string{"AWS_ENDPOINT_URL": "http://10.1.2.3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range tt.env {
				m[k] = v
			}
			e, err := loadAWSEnv(func(k string) string { return m[k] })
			if (err == nil) != tt.ok {
				t.Fatalf("loadAWSEnv: %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "AWS_ENDPOINT_URL") {
				t.Errorf("error %q does not name the variable", err)
			}
			if err == nil && tt.name == "empty is unset" && (e.endpoint("SECRETS_MANAGER") != nil || e.endpoint("SQS") != nil) {
				t.Error("an empty endpoint variable was used")
			}
		})
	}
}

package deploy

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// lifecycleEventFiles are the Cognito API calls delivered by CloudTrail, in
// events/. pkg/lifecycle's tests check what each says.
var lifecycleEventFiles = []string{
	"cloudtrail-admin-delete-user.json",
	"cloudtrail-delete-user.json",
	"cloudtrail-admin-create-user.json",
	"cloudtrail-admin-create-user-wrapped.json",
	"cloudtrail-admin-update-user-attributes.json",
	"cloudtrail-update-user-attributes.json",
	"cloudtrail-admin-delete-user-hidden.json",
}

// TestLifecycleEvents: each file is an EventBridge event as aws-lambda-go
// decodes it (or the stack's wrapper around one), carries only the
// documentation account and pool, and no access token in clear.
func TestLifecycleEvents(t *testing.T) {
	accountID := regexp.MustCompile(`\b\d{12}\b`)
	for _, name := range lifecycleEventFiles {
		t.Run(name, func(t *testing.T) {
			var wrapper struct {
				UserPoolID string          `json:"userPoolId"`
				Event      json.RawMessage `json:"event"`
			}
			b := decodeEvent(t, name, &wrapper)
			if wrapper.Event != nil {
				if wrapper.UserPoolID != "us-east-1_EXAMPLE" {
					t.Errorf("wrapper userPoolId = %q", wrapper.UserPoolID)
				}
				b = wrapper.Event
			}
			var ev events.CloudWatchEvent
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatalf("not an EventBridge event: %v", err)
			}
			if ev.DetailType != "AWS API Call via CloudTrail" || ev.Source != "aws.cognito-idp" || ev.AccountID != "123456789012" || ev.ID == "" {
				t.Errorf("envelope: %+v", ev)
			}
			var d struct {
				EventSource       string         `json:"eventSource"`
				EventName         string         `json:"eventName"`
				RequestParameters map[string]any `json:"requestParameters"`
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				t.Fatalf("detail: %v", err)
			}
			if d.EventSource != "cognito-idp.amazonaws.com" || d.EventName == "" {
				t.Errorf("detail: %+v", d)
			}
			if pool, ok := d.RequestParameters["userPoolId"]; ok && pool != "us-east-1_EXAMPLE" {
				t.Errorf("userPoolId = %v, want the documentation pool", pool)
			}
			if tok, ok := d.RequestParameters["accessToken"]; ok && tok != "HIDDEN_DUE_TO_SECURITY_REASONS" {
				t.Errorf("accessToken in clear: %v", tok)
			}
			for _, id := range accountID.FindAllString(string(b), -1) {
				if id != "123456789012" && !strings.Contains(string(b), "-"+id) {
					t.Errorf("account-like number %s: use 123456789012", id)
				}
			}
		})
	}
}

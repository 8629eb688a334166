package deploy

import (
	"crypto/md5"
	"encoding/hex"
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

// sqsLifecycleEventFiles are lifecycle events as the functions receive them
// from their queues: an SQS batch whose record's body is what the stack's
// rule sent (the wrapper around the CloudTrail event), with the sample
// CloudTrail event it was made from.
var sqsLifecycleEventFiles = map[string]string{
	"sqs-lifecycle-delete.json": "cloudtrail-admin-delete-user.json",
	"sqs-lifecycle-import.json": "cloudtrail-admin-create-user.json",
}

// TestSQSLifecycleEvents: each file decodes as aws-lambda-go's SQS event,
// its record is as SQS sends it (md5 of the body, the queue's ARN in the
// documentation account), and its body round-trips to the stack's wrapper
// around the sample CloudTrail event, unchanged.
func TestSQSLifecycleEvents(t *testing.T) {
	for name, inner := range sqsLifecycleEventFiles {
		t.Run(name, func(t *testing.T) {
			var ev events.SQSEvent
			decodeEvent(t, name, &ev)
			if len(ev.Records) != 1 {
				t.Fatalf("%d records, want 1", len(ev.Records))
			}
			rec := ev.Records[0]
			if rec.EventSource != "aws:sqs" || rec.MessageId == "" || rec.ReceiptHandle == "" || !strings.HasPrefix(rec.EventSourceARN, "arn:aws:sqs:us-east-1:123456789012:") {
				t.Errorf("record incomplete: %+v", rec)
			}
			sum := md5.Sum([]byte(rec.Body))
			if rec.Md5OfBody != hex.EncodeToString(sum[:]) {
				t.Errorf("md5OfBody %s does not match the body", rec.Md5OfBody)
			}
			var wrapper struct {
				UserPoolID string          `json:"userPoolId"`
				Event      json.RawMessage `json:"event"`
			}
			dec := json.NewDecoder(strings.NewReader(rec.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&wrapper); err != nil {
				t.Fatalf("body is not the stack's wrapper: %v", err)
			}
			if wrapper.UserPoolID != "us-east-1_EXAMPLE" {
				t.Errorf("wrapper userPoolId = %q", wrapper.UserPoolID)
			}
			var got, want any
			if err := json.Unmarshal(wrapper.Event, &got); err != nil {
				t.Fatal(err)
			}
			decodeEvent(t, inner, &want)
			if !same(got, want) {
				t.Errorf("the body's event differs from events/%s", inner)
			}
			again, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back events.SQSEvent
			if err := json.Unmarshal(again, &back); err != nil || back.Records[0].Body != rec.Body {
				t.Errorf("the event does not round-trip through aws-lambda-go: %v", err)
			}
		})
	}
}

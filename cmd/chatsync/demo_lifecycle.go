package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// demoDeleteUser is what EventBridge hands the delete function when the
// signed-up user deletes their own app account (Cognito DeleteUser, with
// their access token, recorded by CloudTrail), in the stack's wrapper that
// names the pool. Its shape is events/cloudtrail-delete-user.json's.
const demoDeleteUser = `{
  "userPoolId": "us-east-1_EXAMPLE",
  "event": {
    "version": "0",
    "id": "5a6b7c8d-0000-4000-8000-000000000001",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.cognito-idp",
    "account": "123456789012",
    "time": "2026-11-30T12:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
      "eventVersion": "1.08",
      "userIdentity": {"type": "Unknown", "principalId": "Anonymous"},
      "eventTime": "2026-11-30T12:00:00Z",
      "eventSource": "cognito-idp.amazonaws.com",
      "eventName": "DeleteUser",
      "awsRegion": "us-east-1",
      "requestParameters": {"accessToken": "HIDDEN_DUE_TO_SECURITY_REASONS"},
      "responseElements": null,
      "additionalEventData": {"sub": "` + demoSub + `"},
      "eventID": "5a6b7c8d-0000-4000-8000-000000000002",
      "eventType": "AwsApiCall",
      "managementEvent": true,
      "eventCategory": "Management"
    }
  }
}`

// userDeleted sends the DeleteUser event to the delete function: the
// account is kicked, so the UserSig issued earlier no longer logs in, and
// deleted.
func (d *demo) userDeleted(ctx context.Context) ([]string, error) {
	sig := d.userSig
	reply, requestID, err := local.Invoke(ctx, d.stack.Delete, "DeleteFunction", local.DeleteTimeout, []byte(demoDeleteUser))
	if err != nil {
		return nil, fmt.Errorf("function error: %v", err)
	}
	lines := []string{
		fmt.Sprintf("> DeleteUser by %s (sub %s), via CloudTrail and EventBridge (request %s)", demoUserID, demoSub, requestID),
		fmt.Sprintf("< %s", reply),
	}
	var r struct{ Verdict, UserID string }
	if err := json.Unmarshal(reply, &r); err != nil || r.Verdict != "done" || r.UserID != demoUserID {
		return lines, fmt.Errorf("reply %s, want verdict done for %s", reply, demoUserID)
	}
	if d.stack.Emulator.Has(demoUserID) {
		return lines, fmt.Errorf("account %s is still in the emulator", demoUserID)
	}
	at, kicked := d.stack.Emulator.KickedAt(demoUserID)
	if !kicked {
		return lines, fmt.Errorf("account %s was not kicked", demoUserID)
	}
	lines = append(lines, fmt.Sprintf("account %s kicked at %s and deleted", demoUserID, at.UTC().Format(time.RFC3339)))
	if sig == "" {
		return lines, fmt.Errorf("no UserSig from the earlier step to log in with")
	}
	err = d.stack.Emulator.Login(demoUserID, sig)
	if chat.ErrorCode(err) != chat.CodeSigInvalidated {
		return lines, fmt.Errorf("login with the UserSig issued before: %v, want %d (invalidated)", err, chat.CodeSigInvalidated)
	}
	lines = append(lines, fmt.Sprintf("login(%q, the UserSig issued before) refused: code %d", demoUserID, chat.ErrorCode(err)))
	return lines, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// userSigCall posts body to /usersig and returns the transcript lines, the
// status, the headers and the body. The transcript never shows a UserSig:
// it says how long it is instead.
func (d *demo) userSigCall(ctx context.Context, body string) ([]string, *http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.api+handler.UserSigPath, strings.NewReader(body))
	if err != nil {
		return nil, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, nil, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, nil, err
	}
	shown := strings.TrimSpace(withoutUserSig(got))
	lines := []string{"> POST " + handler.UserSigPath + " " + body, fmt.Sprintf("< %d %s", resp.StatusCode, shown)}
	return lines, resp, got, nil
}

// withoutUserSig returns a reply with its UserSig replaced by its length.
func withoutUserSig(body []byte) string {
	var rep handler.UserSigReply
	if json.Unmarshal(body, &rep) != nil || rep.UserSig == "" {
		return string(body)
	}
	n := len(rep.UserSig)
	rep.UserSig = ""
	b, _ := json.Marshal(rep)
	return strings.Replace(string(b), `"UserSig":""`, fmt.Sprintf(`"UserSig":<%d bytes, not shown>`, n), 1)
}

// userSigLogin asks the UserSig function for the signed-up user's UserSig,
// as the app's backend would in iam mode, and logs in with it as the Chat
// SDK does: the emulator's login check must accept it. No Chat call.
func (d *demo) userSigLogin(ctx context.Context) ([]string, error) {
	before := d.stack.Emulator.TotalRequests()
	lines, resp, got, err := d.userSigCall(ctx, `{"UserID":"`+demoUserID+`"}`)
	if err != nil {
		return lines, err
	}
	if resp.StatusCode != http.StatusOK {
		return lines, fmt.Errorf("status %d, want 200", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		return lines, fmt.Errorf("Cache-Control %q, want no-store", cc)
	}
	var rep handler.UserSigReply
	if err := json.Unmarshal(got, &rep); err != nil || rep.UserSig == "" || rep.UserID != demoUserID || rep.SDKAppID != local.EmulatorSDKAppID {
		return lines, fmt.Errorf("the body is not a UserSig for %s", demoUserID)
	}
	if err := d.stack.Emulator.Login(rep.UserID, rep.UserSig); err != nil {
		return lines, fmt.Errorf("the emulator's login check refuses it: %v", err)
	}
	d.userSig = rep.UserSig
	lines = append(lines, fmt.Sprintf("login(%q, UserSig) accepted by the emulator's login check; valid until %s",
		rep.UserID, time.Unix(rep.ExpireAt, 0).UTC().Format(time.RFC3339)))
	if n := d.stack.Emulator.TotalRequests() - before; n != 0 {
		return lines, fmt.Errorf("%d Chat requests, want none", n)
	}
	return lines, nil
}

// userSigAdminRefused asks for the app admin's UserSig: 403, whoever asks.
func (d *demo) userSigAdminRefused(ctx context.Context) ([]string, error) {
	lines, resp, got, err := d.userSigCall(ctx, `{"UserID":"`+local.EmulatorAdmin+`"}`)
	if err != nil {
		return lines, err
	}
	if resp.StatusCode != http.StatusForbidden {
		return lines, fmt.Errorf("status %d, want 403", resp.StatusCode)
	}
	if strings.Contains(string(got), `"UserSig"`) {
		return lines, fmt.Errorf("the refusal carries a UserSig")
	}
	lines = append(lines, "a UserSig for the admin identifier would sign REST API calls with admin rights")
	return lines, nil
}

// userSigLockedOut asks for a fresh UserSig for the user deleted in the
// step before: the ledger's tombstone refuses it (403), so the Chat SDK's
// login cannot register the account again; the old UserSig was already
// refused by Chat (the kick).
func (d *demo) userSigLockedOut(ctx context.Context) ([]string, error) {
	lines, resp, got, err := d.userSigCall(ctx, `{"UserID":"`+demoUserID+`"}`)
	if err != nil {
		return lines, err
	}
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(got), "account deleted") {
		return lines, fmt.Errorf("status %d, want 403 account deleted", resp.StatusCode)
	}
	if strings.Contains(string(got), `"UserSig"`) {
		return lines, fmt.Errorf("the refusal carries a UserSig")
	}
	r, ok := d.ledger.Get(demoUserID)
	if !ok || r.Live() {
		return lines, fmt.Errorf("the ledger holds no tombstone for %s", demoUserID)
	}
	lines = append(lines, fmt.Sprintf("ledger: %s (source %s, sub %s) deleted at %s: no UserSig, so the SDK login cannot register it again",
		demoUserID, r.Source, r.Sub, r.DeletedAt.Format(time.RFC3339)))
	return lines, nil
}

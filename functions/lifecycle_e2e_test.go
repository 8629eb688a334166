package functions_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// lifecycleEvent is a sample CloudTrail event from events/, made to name
// pool and a user of it, wrapped as the stack's EventBridge rules wrap it.
func lifecycleEvent(t *testing.T, file, pool string, u cognito.User) []byte {
	t.Helper()
	raw := string(readEvent(t, file))
	for _, sub := range []string{"0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7e", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "5d2e8b7c-1f4a-4e6d-a3b9-c8f0e1d2a3b4"} {
		raw = strings.ReplaceAll(raw, sub, u.Attributes["sub"])
	}
	for _, name := range []string{`"alice"`, `"carol"`} {
		raw = strings.ReplaceAll(raw, name, `"`+u.Username+`"`)
	}
	raw = strings.ReplaceAll(raw, "us-east-1_EXAMPLE", pool)
	b, _ := json.Marshal(map[string]any{"userPoolId": pool, "event": json.RawMessage(raw)})
	return b
}

// unwrap takes an event out of the stack's wrapper.
func unwrap(t *testing.T, wrapped []byte) []byte {
	t.Helper()
	var w map[string]json.RawMessage
	if err := json.Unmarshal(wrapped, &w); err != nil {
		t.Fatal(err)
	}
	return w["event"]
}

func lifecycleVerdict(t *testing.T, r interface{ Failed() bool }, payload []byte) string {
	t.Helper()
	var reply struct{ Verdict, Reason string }
	if err := json.Unmarshal(payload, &reply); err != nil {
		t.Fatalf("reply %s: %v", payload, err)
	}
	return reply.Verdict
}

// TestLifecycleBootstraps follows a user's life in Cognito (moto) through
// the compiled import and delete functions: created by an admin, renamed,
// deleted. Events for another pool, or naming no one, change nothing; with
// Chat down the functions fail, so that the event is retried.
func TestLifecycleBootstraps(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	api := cip.NewFromConfig(w.moto.Config())
	pool := cognitotest.NewPool(t, api, moto.UniqueName(t, "pool"))
	u := pool.Add(t, []cognitotest.NewUser{{Username: "erin", Status: cognito.StatusForceChangePassword, Attributes: map[string]string{"nickname": "Erin"}}})[0]
	id := chat.SubUserID(u.Attributes["sub"])
	imp := start(t, build(t, "import"), w.env)
	del := start(t, build(t, "delete"), append(w.env, "USER_POOL_ID="+pool.ID))

	// AdminCreateUser: the admin-created user is imported with their Nick.
	r := call(t, imp, lifecycleEvent(t, "cloudtrail-admin-create-user.json", pool.ID, u), 10*time.Second)
	if r.Failed() || lifecycleVerdict(t, r, r.Payload) != "done" {
		t.Fatalf("create: %s %s\n%s", r.Payload, r.Error, imp.Stdout)
	}
	if a, ok := w.emu.Account(id); !ok || a.Nick != "Erin" {
		t.Fatalf("after create: %+v %v", a, ok)
	}

	// AdminUpdateUserAttributes: the new nickname reaches Chat.
	if _, err := api.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String(u.Username),
		UserAttributes: []types.AttributeType{{Name: aws.String("nickname"), Value: aws.String("Erin Ng")}},
	}); err != nil {
		t.Fatal(err)
	}
	r = call(t, imp, lifecycleEvent(t, "cloudtrail-admin-update-user-attributes.json", pool.ID, u), 10*time.Second)
	if r.Failed() || lifecycleVerdict(t, r, r.Payload) != "done" {
		t.Fatalf("update: %s %s\n%s", r.Payload, r.Error, imp.Stdout)
	}
	if a, _ := w.emu.Account(id); a.Nick != "Erin Ng" {
		t.Fatalf("after update: Nick %q", a.Nick)
	}

	// Another pool's events, and one that names no one, change nothing.
	before := w.emu.TotalRequests()
	for _, tc := range []struct {
		payload []byte
		why     string
	}{
		// The stack's rule would not pass another pool's event; sent
		// anyway, bare, the function checks the pool against USER_POOL_ID.
		{unwrap(t, lifecycleEvent(t, "cloudtrail-admin-delete-user.json", "us-east-1_OTHERPOOL", u)), "not this stack's"},
		{lifecycleEvent(t, "cloudtrail-admin-delete-user-hidden.json", pool.ID, cognito.User{Username: "HIDDEN_DUE_TO_SECURITY_REASONS", Attributes: map[string]string{"sub": "not-a-uuid"}}), "not a UUID"},
	} {
		r := call(t, del, tc.payload, 10*time.Second)
		if r.Failed() {
			t.Fatalf("%s: function error %s", tc.why, r.Error)
		}
		waitForLog(t, del, tc.why) // the log says why nothing changed
	}
	if w.emu.TotalRequests() != before || !w.emu.Has(id) {
		t.Fatalf("events to ignore made %d Chat requests; account exists %v", w.emu.TotalRequests()-before, w.emu.Has(id))
	}

	// Chat down: a function error, so that the event is retried.
	w.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	deleted := lifecycleEvent(t, "cloudtrail-admin-delete-user.json", pool.ID, u)
	if r := call(t, del, deleted, 10*time.Second); !r.Failed() {
		t.Fatalf("delete with Chat down answered %s, want a function error", r.Payload)
	}
	if !w.emu.Has(id) {
		t.Fatal("the account went while Chat was down")
	}
	w.emu.ClearFaults()

	// AdminDeleteUser, delivered again: the account is kicked and deleted.
	if _, err := api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(pool.ID), Username: aws.String(u.Username)}); err != nil {
		t.Fatal(err)
	}
	r = call(t, del, deleted, 10*time.Second)
	if r.Failed() || lifecycleVerdict(t, r, r.Payload) != "done" {
		t.Fatalf("delete: %s %s\n%s", r.Payload, r.Error, del.Stdout)
	}
	if w.emu.Has(id) {
		t.Error("the deleted user's account is still in Chat")
	}
	if _, kicked := w.emu.KickedAt(id); !kicked {
		t.Error("the deleted user's account was not kicked")
	}
	assertNoSecrets(t, imp.Stdout.String()+del.Stdout.String())
}

package handler_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// profileMapping is PROFILE_ATTRIBUTES with every kind of tag, and a
// custom field (Role) that the tests' app has not set up.
func profileMapping(t *testing.T) chat.Mapping {
	t.Helper()
	f, err := chat.ParseProfileFields("gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,custom:bio=Tag_Profile_IM_SelfSignature,locale=Tag_Profile_IM_Location,custom:tier=Tag_Profile_Custom_Tier,custom:role=Tag_Profile_Custom_Role")
	if err != nil {
		t.Fatal(err)
	}
	return chat.Mapping{Profile: f}
}

const profileAttrs = subAttrs + `,"gender":"female","birthdate":"1990-05-17","custom:bio":"hello","locale":"` + "0123456789abcdefg" + `","custom:tier":"gold","custom:role":"admin"`

// wantProfile is what reaches Chat of profileAttrs: the Location over 16
// bytes is dropped before any call, the Role Chat refuses.
var wantProfile = map[string]any{
	chat.TagGender: chat.GenderFemale, chat.TagBirthDay: uint32(19900517),
	chat.TagSelfSignature: "hello", "Tag_Profile_Custom_Tier": "gold",
}

func TestCognitoSignUpCarriesProfile(t *testing.T) {
	e := newEnv(t, envOpts{mapping: profileMapping(t)})
	e.emu.SetUpCustomFields("Tier")
	in := signUp("PostConfirmation_ConfirmSignUp", profileAttrs)
	out, err := invoke(t, e.imp, in)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("reply %s, %v; want the event", out, err)
	}
	a, ok := e.emu.Account(wantSub)
	if !ok || a.Nick != "JD" {
		t.Fatalf("account %+v, exists %v", a, ok)
	}
	if p, _ := e.emu.Profile(wantSub); !reflect.DeepEqual(p, wantProfile) {
		t.Errorf("profile %v, want %v", p, wantProfile)
	}
	if line := e.logs.has(t, "profile field refused"); line == nil || !strings.Contains(asJSON(line["fields"]), "Tag_Profile_Custom_Role (code 40001)") {
		t.Errorf("no warning naming the refused field:\n%s", e.logs.String())
	}
	if line := e.logs.has(t, "profile field dropped"); line == nil || !strings.Contains(asJSON(line["fields"]), chat.TagLocation) {
		t.Errorf("no warning naming the dropped Location:\n%s", e.logs.String())
	}
	if e.logs.has(t, "import done") == nil || e.retry.len() != 0 || e.dlq.len() != 0 {
		t.Errorf("queued %d, parked %d; want an import done", e.retry.len(), e.dlq.len())
	}
}

// TestCognitoWithoutProfileSetting holds a sign-up without
// PROFILE_ATTRIBUTES to the account call alone.
func TestCognitoWithoutProfileSetting(t *testing.T) {
	e := newEnv(t, envOpts{})
	if _, err := invoke(t, e.imp, signUp("PostConfirmation_ConfirmSignUp", profileAttrs)); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Requests(chat.CmdPortraitSet); n != 0 || e.emu.TotalRequests() != 1 {
		t.Errorf("%d portrait_set of %d requests, want one request (account_import)", n, e.emu.TotalRequests())
	}
}

// TestCognitoProfileOutOfTime: the account is created, the profile could
// not be set within the budget, so the sign-up goes to the retry queue with
// its fields, which the queue's consumer then sets.
func TestCognitoProfileOutOfTime(t *testing.T) {
	for _, fault := range []chatemu.Fault{
		{Command: chat.CmdPortraitSet, Delay: 10 * time.Second, Times: 1000},
		{Command: chat.CmdPortraitSet, Code: chat.CodeServerError, Times: 1000},
	} {
		e := newEnv(t, envOpts{mapping: profileMapping(t), cognitoBudget: 600 * time.Millisecond, queueMargin: 150 * time.Millisecond})
		e.emu.SetUpCustomFields("Tier")
		e.emu.Inject(fault)
		ctx, cancel := invocation(time.Minute)
		in := signUp("PostConfirmation_ConfirmSignUp", profileAttrs)
		start := time.Now()
		out, err := e.imp.Invoke(ctx, in)
		cancel()
		if elapsed := time.Since(start); elapsed > 600*time.Millisecond {
			t.Errorf("answered after %v, past the budget", elapsed)
		}
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("reply %s, %v; want the event", out, err)
		}
		if !e.emu.Has(wantSub) {
			t.Fatal("the account was not imported")
		}
		if e.retry.len() != 1 || e.logs.has(t, "profile queued") == nil {
			t.Fatalf("queued %d; want the sign-up queued for its profile:\n%s", e.retry.len(), e.logs.String())
		}
		p := e.retry.msgs[0]
		if p.Account.UserID != wantSub || len(p.Profile) != 5 || !strings.Contains(p.Reason, "profile") {
			t.Errorf("queued message %+v", p)
		}
		// The consumer of the retry queue sets the fields once Chat answers.
		e.emu.ClearFaults()
		body, _ := json.Marshal(p)
		raw, err := invoke(t, e.imp, sqsEvent("m1", string(body)))
		if f := batchFailures(t, raw); err != nil || len(f) != 0 {
			t.Fatalf("retry: failures %v, %v", f, err)
		}
		if got, _ := e.emu.Profile(wantSub); !reflect.DeepEqual(got, wantProfile) {
			t.Errorf("profile after the retry %v, want %v", got, wantProfile)
		}
	}
}

// TestCognitoProfileNoQueue: without a retry queue, fields that could not
// be set are logged; the sign-up still succeeds, its account exists.
func TestCognitoProfileNoQueue(t *testing.T) {
	e := newEnv(t, envOpts{mapping: profileMapping(t), noQueues: true, cognitoBudget: 600 * time.Millisecond, queueMargin: 150 * time.Millisecond})
	e.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Code: chat.CodeServerError, Times: 1000})
	in := signUp("PostConfirmation_ConfirmSignUp", profileAttrs)
	out, err := invoke(t, e.imp, in)
	if err != nil || !bytes.Equal(out, in) || !e.emu.Has(wantSub) {
		t.Fatalf("reply %s, %v, account %v", out, err, e.emu.Has(wantSub))
	}
	if line := e.logs.has(t, "profile not set"); line == nil || line["level"] != "WARN" || e.logs.has(t, "lost import") != nil {
		t.Errorf("want a \"profile not set\" line and no lost import:\n%s", e.logs.String())
	}
}

// TestCognitoImportQueuedWithProfile: a sign-up whose account could not be
// created in time is queued with its profile fields.
func TestCognitoImportQueuedWithProfile(t *testing.T) {
	e := newEnv(t, envOpts{mapping: profileMapping(t), cognitoBudget: 600 * time.Millisecond, queueMargin: 150 * time.Millisecond})
	e.emu.Inject(chatemu.Fault{Command: chat.CmdImport, Code: chat.CodeServerError, Times: 1000})
	if _, err := invoke(t, e.imp, signUp("PostConfirmation_ConfirmSignUp", profileAttrs)); err != nil {
		t.Fatal(err)
	}
	if e.retry.len() != 1 || len(e.retry.msgs[0].Profile) != 5 || e.emu.Requests(chat.CmdPortraitSet) != 0 {
		t.Fatalf("queued %+v, %d portrait_set; want the import queued with its profile", e.retry.msgs, e.emu.Requests(chat.CmdPortraitSet))
	}
}

func sqsEvent(id, body string) []byte {
	return []byte(`{"Records":[{"messageId":"` + id + `","receiptHandle":"r","body":` + quote(body) + `,"attributes":{"ApproximateReceiveCount":"1"},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:retry"}]}`)
}

func TestSQSRetryProfile(t *testing.T) {
	msg := `{"version":1,"account":{"UserID":"dave"},"userName":"dave","reason":"r","firstFailedAt":"2026-11-23T10:00:00Z",` +
		`"profile":[{"Tag":"Tag_Profile_IM_BirthDay","Value":19900517},{"Tag":"Tag_Profile_Custom_Role","Value":"x"},{"Tag":"Tag_Profile_IM_Location","Value":"` + strings.Repeat("l", 17) + `"}]}`
	e := newEnv(t, envOpts{})
	// Chat down: the message is retried, though the account was created.
	e.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Code: chat.CodeServerError, Times: 1000})
	raw, err := invoke(t, e.imp, sqsEvent("m1", msg))
	if f := batchFailures(t, raw); err != nil || !f["m1"] || !e.emu.Has("dave") {
		t.Fatalf("failures %v, %v; want m1 retried", f, err)
	}
	// Chat back: the birthday is set; the Role Chat refuses and the
	// Location over 16 bytes are logged and skipped, and the message done.
	e.emu.ClearFaults()
	raw, err = invoke(t, e.imp, sqsEvent("m1", msg))
	if f := batchFailures(t, raw); err != nil || len(f) != 0 {
		t.Fatalf("failures %v, %v", f, err)
	}
	if p, _ := e.emu.Profile("dave"); !reflect.DeepEqual(p, map[string]any{chat.TagBirthDay: uint32(19900517)}) {
		t.Errorf("profile %v", p)
	}
	if line := e.logs.last(t, "profile field refused"); line == nil || !strings.Contains(asJSON(line["fields"]), "Tag_Profile_Custom_Role") || !strings.Contains(asJSON(line["fields"]), "40605") {
		t.Errorf("no warning naming the refused fields:\n%s", e.logs.String())
	}
}

func TestLifecycleUpdateCarriesProfile(t *testing.T) {
	e := newEnv(t, envOpts{})
	alice := chat.SubUserID(aliceSub)
	e.emu.Seed(alice)
	users := &pool{users: map[string]handler.User{
		aliceSub: {Username: "alice", Status: "CONFIRMED", Attributes: map[string]string{"sub": aliceSub, "nickname": "Alice", "gender": "female", "birthdate": "1990-05-17"}},
	}}
	h := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Users: users, Logger: e.log, Mapping: profileMapping(t)})
	ev := wrap(t, fixture(t, "cloudtrail-admin-update-user-attributes.json", ""), "us-east-1_EXAMPLE")
	e.emu.Inject(chatemu.Fault{Command: chat.CmdPortraitSet, Status: 502, Times: 1 << 20})
	if _, err := invoke(t, h, ev); err == nil {
		t.Error("portrait_set down: no function error, the update would be lost")
	}
	e.emu.ClearFaults()
	raw, err := invoke(t, h, ev)
	r := lifecycleReply(t, raw, err)
	if r["verdict"] != "done" {
		t.Fatalf("reply %v\n%s", r, e.logs.String())
	}
	want := map[string]any{chat.TagGender: chat.GenderFemale, chat.TagBirthDay: uint32(19900517)}
	if p, _ := e.emu.Profile(alice); !reflect.DeepEqual(p, want) {
		t.Errorf("profile %v, want %v", p, want)
	}
}

// last returns the last log line with message msg, or nil.
func (l *logBuffer) last(t *testing.T, msg string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, m := range l.lines(t) {
		if m["msg"] == msg {
			found = m
		}
	}
	return found
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

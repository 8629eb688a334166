package functions_test

import (
	"bytes"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// TestBadProfileAttributesFailsInit: a PROFILE_ATTRIBUTES the functions
// cannot read ends the init of each function that takes it, with one line
// naming it and a non-zero exit, before the process asks for an event.
func TestBadProfileAttributesFailsInit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	for _, name := range []string{"import", "sync"} {
		env := append(w.env, "SYNC_QUEUE_URL="+w.retryURL, "USER_POOL_ID=us-east-1_EXAMPLE")
		// The same environment with a good value starts: the bad value
		// alone ends the init.
		start(t, build(t, name), append(env, "PROFILE_ATTRIBUTES=gender=Tag_Profile_IM_Gender,custom:tier=Tag_Profile_Custom_Tier"))
		for _, bad := range []string{"gender", "gender=Tag_Profile_IM_Mood", "tier=Tag_Profile_Custom_ti-er"} {
			p := startExiting(t, name, append(env[:len(env):len(env)], "PROFILE_ATTRIBUTES="+bad))
			out := strings.TrimSpace(p.Stdout.String())
			if strings.Count(out, "\n") != 0 || !strings.Contains(out, "PROFILE_ATTRIBUTES") {
				t.Errorf("%s, PROFILE_ATTRIBUTES=%q: init output %q, want one line naming the setting", name, bad, out)
			}
		}
	}
	if n := w.emu.TotalRequests(); n != 0 {
		t.Errorf("%d Chat requests from processes that failed their init", n)
	}
}

// TestSignUpCarriesProfile follows a sign-up through the compiled import
// function with PROFILE_ATTRIBUTES set: the account is created, then its
// gender, birthday and custom tier are set with portrait_set; a custom
// field not set up in Chat is refused, logged and skipped.
func TestSignUpCarriesProfile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	w.emu.SetUpCustomFields("Tier")
	imp := start(t, build(t, "import"), append(w.env,
		"PROFILE_ATTRIBUTES=gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,custom:tier=Tag_Profile_Custom_Tier,custom:role=Tag_Profile_Custom_Role"))
	signUp := bytes.Replace(readEvent(t, "cognito-signup.json"), []byte(`"nickname": "Alice",`),
		[]byte(`"nickname": "Alice", "gender": "female", "birthdate": "1990-05-17", "custom:tier": "gold", "custom:role": "admin",`), 1)
	if bytes.Equal(signUp, readEvent(t, "cognito-signup.json")) {
		t.Fatal("the sample event changed: the attributes were not added")
	}
	r := call(t, imp, signUp, 60*time.Second)
	if r.Failed() || !bytes.Equal(r.Payload, signUp) {
		t.Fatalf("reply %s, error %s: want the event back", r.Payload, r.Error)
	}
	const id = "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b"
	if a, ok := w.emu.Account(id); !ok || a.Nick != "Alice" {
		t.Fatalf("account %+v, exists %v", a, ok)
	}
	want := map[string]any{chat.TagGender: chat.GenderFemale, chat.TagBirthDay: uint32(19900517), "Tag_Profile_Custom_Tier": "gold"}
	if p, _ := w.emu.Profile(id); !reflect.DeepEqual(p, want) {
		t.Errorf("profile %v, want %v", p, want)
	}
	waitForLog(t, imp, `"message":"profile field refused"`)
	if out := imp.Stdout.String(); !strings.Contains(out, "Tag_Profile_Custom_Role (code 40001)") {
		t.Errorf("the refused field is not named in the logs:\n%s", out)
	}
	assertNoSecrets(t, imp.Stdout.String())
}

// startExiting runs a function's bootstrap that must fail its init: it
// waits for the process to exit and fails the test if the exit status is
// zero or the process asked for an event first.
func startExiting(t *testing.T, name string, env []string) *lambdatest.Process {
	t.Helper()
	p, err := lambdatest.Start(build(t, name), env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	select {
	case err := <-p.Exited():
		if err == nil {
			t.Errorf("%s: exit status 0 after a failed init", name)
		}
	case <-p.Ready():
		t.Fatalf("%s: asked for an event despite a bad setting:\n%s", name, p.Stdout)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: the process did not exit", name)
	}
	select {
	case <-p.Ready():
		t.Errorf("%s: asked for an event before exiting", name)
	default:
	}
	return p
}

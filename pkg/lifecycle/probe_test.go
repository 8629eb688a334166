package lifecycle_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
)

// TestIsOtherEvents: none of the other events the functions accept
// (Cognito trigger, API Gateway, SQS, direct bodies) is taken for a
// lifecycle event.
func TestIsOtherEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "cloudtrail-") || name == "env.json" {
			continue
		}
		n++
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if lifecycle.Is(b) {
			t.Errorf("Is(events/%s) = true", name)
		}
		if _, err := lifecycle.Parse(b); !errors.Is(err, lifecycle.ErrNotLifecycle) {
			t.Errorf("Parse(events/%s) = %v, want ErrNotLifecycle", name, err)
		}
	}
	if n < 5 {
		t.Fatalf("only %d other events found: the test proves little", n)
	}
}

// FuzzParse: any payload gets an event or an error, never a panic, and an
// error message stays short.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"userPoolId":"p","event":{"detail-type":"AWS API Call via CloudTrail","source":"aws.cognito-idp","detail":"HIDDEN_DUE_TO_SECURITY_REASONS"}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		is := lifecycle.Is(payload)
		ev, err := lifecycle.Parse(payload)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if !is {
			t.Errorf("Parse accepted what Is refused: %q", payload)
		}
		if _, ok := lifecycle.ActionOf(ev.Name); !ok || ev.Action == 0 {
			t.Errorf("accepted event with name %q, action %v", ev.Name, ev.Action)
		}
		d := lifecycle.Decide(ev, "us-east-1_EXAMPLE", "sub")
		if d.Verdict == lifecycle.Act && d.UserID == "" && d.Lookup == (lifecycle.Lookup{}) {
			t.Errorf("Act on no one: %+v", ev)
		}
	})
}

func BenchmarkIs(b *testing.B) {
	bench := func(name, file string) {
		payload, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				lifecycle.Is(payload)
			}
		})
	}
	bench("lifecycle", "cloudtrail-admin-delete-user.json")
	bench("cognito-trigger", "cognito-signup.json")
	bench("http", "http-import.json")
}

func BenchmarkParse(b *testing.B) {
	for _, file := range []string{"cloudtrail-admin-delete-user.json", "cloudtrail-admin-create-user-wrapped.json"} {
		payload, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(file, ".json"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				ev, err := lifecycle.Parse(payload)
				if err != nil {
					b.Fatal(err)
				}
				lifecycle.Decide(ev, "us-east-1_EXAMPLE", "sub")
			}
		})
	}
}

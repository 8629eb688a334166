package functions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// TestBootstrapWritesEMF: a compiled function writes one EMF document per
// invocation on its standard output (Lambda's log stream), recording what
// the invocation did.
func TestBootstrapWritesEMF(t *testing.T) {
	w := newWorld(t)
	p := start(t, build(t, "import"), append(w.env, "METRICS_NAMESPACE=ChatAccountsTest"))
	r := call(t, p, readEvent(t, "cognito-signup.json"), 10*time.Second)
	if r.Failed() {
		t.Fatalf("sign-up: %s", r.Error)
	}
	waitForLog(t, p, `"_aws"`)
	var doc string
	for _, line := range strings.Split(p.Stdout.String(), "\n") {
		if strings.Contains(line, `"_aws"`) {
			doc = line
		}
	}
	var sum metrics.Summary
	if ok, err := sum.ParseLine([]byte(doc)); !ok || err != nil {
		t.Fatalf("not an EMF document (%v): %s", err, doc)
	}
	for name, want := range map[metrics.Name]int64{metrics.Imported: 1, metrics.SecretFetches: 1, metrics.ChatCalls: 1, metrics.Queued: 0, metrics.Lost: 0} {
		if got := sum.Count(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if !strings.Contains(doc, `"Namespace":"ChatAccountsTest"`) || !strings.Contains(doc, `"Function":"import"`) {
		t.Errorf("namespace or dimension: %s", doc)
	}
	t.Logf("EMF document: %s", doc)
	assertNoSecrets(t, p.Stdout.String())
}

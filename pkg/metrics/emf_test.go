package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var stamp = time.UnixMilli(1764518400123)

// checkDocument checks one line against the rules of the embedded metric
// format that this package relies on, and returns the root object.
func checkDocument(t *testing.T, line []byte, cfg Config) map[string]any {
	t.Helper()
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("a document is one line ending in a newline: %q", line)
	}
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	for k := range aws {
		if k != "Timestamp" && k != "CloudWatchMetrics" {
			t.Errorf("_aws has a member the format does not define: %q", k)
		}
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if !ok || ts.String() != fmt.Sprint(stamp.UnixMilli()) {
		t.Errorf("Timestamp = %v, want the number %d (ms)", aws["Timestamp"], stamp.UnixMilli())
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) != 1 {
		t.Fatalf("CloudWatchMetrics = %v, want one directive", aws["CloudWatchMetrics"])
	}
	dir := dirs[0].(map[string]any)
	if dir["Namespace"] != cfg.Namespace {
		t.Errorf("Namespace = %v, want %q", dir["Namespace"], cfg.Namespace)
	}
	if got := fmt.Sprint(dir["Dimensions"]); got != "[[Function]]" {
		t.Errorf("Dimensions = %s, want [[Function]]", got)
	}
	if root["Function"] != cfg.Function {
		t.Errorf("root Function = %v, want the string %q", root["Function"], cfg.Function)
	}
	defs := dir["Metrics"].([]any)
	if len(defs) == 0 || len(defs) > 100 {
		t.Errorf("%d metric definitions, want 1 to 100", len(defs))
	}
	seen := map[string]bool{}
	for _, d := range defs {
		def := d.(map[string]any)
		name, _ := def["Name"].(string)
		n, ok := ParseName(name)
		if !ok || seen[name] {
			t.Errorf("metric name %q unknown or repeated", name)
			continue
		}
		seen[name] = true
		if def["Unit"] != n.Unit() {
			t.Errorf("%s: Unit = %v, want %s", name, def["Unit"], n.Unit())
		}
		switch v := root[name].(type) {
		case json.Number:
		case []any:
			if len(v) == 0 || len(v) > MaxValues {
				t.Errorf("%s: %d values, want 1 to %d", name, len(v), MaxValues)
			}
			for _, x := range v {
				if _, ok := x.(json.Number); !ok {
					t.Errorf("%s: value %v is not a number", name, x)
				}
			}
		default:
			t.Errorf("%s: root value %v (%T) is not a number or a list of numbers", name, root[name], root[name])
		}
	}
	return root
}

func emit(t *testing.T, r *Recorder, cfg Config, id string) [][]byte {
	t.Helper()
	var out bytes.Buffer
	em, err := NewEmitter(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Emit(r, stamp, id); err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(out.Bytes(), []byte("\n"))[:bytes.Count(out.Bytes(), []byte("\n"))]
}

func TestEmitDocuments(t *testing.T) {
	cfg := Config{Namespace: DefaultNamespace, Function: "stack-ImportFunction-x1"}
	tests := []struct {
		name      string
		record    func(r *Recorder)
		docs      int     // documents written
		latencies []int   // latency values per document
		counts    []int64 // by Name, in the first document; nil: all 0
	}{
		{name: "nothing recorded: every count is 0, no latency", record: func(*Recorder) {}, docs: 1, latencies: []int{0}},
		{
			name: "one call", docs: 1, latencies: []int{1},
			record: func(r *Recorder) {
				r.Add(Imported, 1)
				r.Add(ChatCalls, 1)
				r.ObserveLatency(1500 * time.Microsecond)
			},
			counts: []int64{Imported: 1, ChatCalls: 1},
		},
		{
			name: "every count", docs: 1, latencies: []int{2},
			record: func(r *Recorder) {
				for _, n := range Names() {
					r.Add(n, int64(n)+1)
				}
				r.ObserveLatency(time.Millisecond)
				r.ObserveLatency(2 * time.Millisecond)
			},
			counts: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 11, 12},
		},
		{
			name: "250 requests: three documents", docs: 3, latencies: []int{100, 100, 50},
			record: func(r *Recorder) {
				for range 250 {
					r.ObserveLatency(time.Millisecond)
				}
				r.Add(ChatCalls, 250)
			},
			counts: []int64{ChatCalls: 250},
		},
		{
			name: "more requests than kept", docs: MaxLatencies / MaxValues, latencies: []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100},
			record: func(r *Recorder) {
				for range MaxLatencies + 7 {
					r.ObserveLatency(time.Millisecond)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			tt.record(r)
			lines := emit(t, r, cfg, "req-1")
			if len(lines) != tt.docs {
				t.Fatalf("%d documents, want %d:\n%s", len(lines), tt.docs, bytes.Join(lines, nil))
			}
			for i, line := range lines {
				root := checkDocument(t, line, cfg)
				var got int
				switch v := root["ChatLatency"].(type) {
				case nil:
				case []any:
					got = len(v)
				default:
					got = 1
				}
				if got != tt.latencies[i] {
					t.Errorf("document %d: %d latency values, want %d", i, got, tt.latencies[i])
				}
				if i > 0 {
					if len(root) != 3 {
						t.Errorf("document %d: members %v, want only _aws, Function and ChatLatency", i, keys(root))
					}
					continue
				}
				if root["requestId"] != "req-1" {
					t.Errorf("requestId = %v", root["requestId"])
				}
				for _, n := range Names() {
					if n == ChatLatency {
						continue
					}
					var want int64
					if int(n) < len(tt.counts) {
						want = tt.counts[n]
					}
					if got := fmt.Sprint(root[n.String()]); got != fmt.Sprint(want) {
						t.Errorf("%s = %s, want %d", n, got, want)
					}
				}
			}
		})
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEmitLatencyValues(t *testing.T) {
	r := NewRecorder()
	r.ObserveLatency(1234567 * time.Nanosecond) // 1.234 ms: kept to the microsecond
	r.ObserveLatency(3 * time.Millisecond)
	lines := emit(t, r, Config{Function: "f"}, "")
	if !bytes.Contains(lines[0], []byte(`"ChatLatency":[1.234,3]`)) {
		t.Errorf("latencies not written as milliseconds: %s", lines[0])
	}
	if bytes.Contains(lines[0], []byte("requestId")) {
		t.Errorf("an empty request ID is written: %s", lines[0])
	}
}

func TestEmitEscapesNames(t *testing.T) {
	cfg := Config{Namespace: "Team/Chat Accounts#1", Function: `odd "name" \ é <x>`}
	lines := emit(t, NewRecorder(), cfg, "id\"1")
	checkDocument(t, lines[0], cfg)
}

func TestNewEmitterRefusesBadConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Namespace: "ok"}, "no function name"},
		{Config{Namespace: "ok", Function: "   "}, "no function name"},
		{Config{Namespace: "  ", Function: "f"}, "namespace (METRICS_NAMESPACE) is empty"},
		{Config{Namespace: "AWS/Lambda", Function: "f"}, "may not begin with AWS/"},
		{Config{Namespace: "chat,accounts", Function: "f"}, `character ','`},
		{Config{Namespace: "chät", Function: "f"}, `character 'ä'`},
		{Config{Namespace: strings.Repeat("n", 256), Function: "f"}, "256 characters, at most 255"},
		{Config{Namespace: "ok", Function: strings.Repeat("f", 1025)}, "1025 bytes, at most 1024"},
		{Config{Namespace: "ok", Function: "\xff"}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := NewEmitter(&bytes.Buffer{}, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewEmitter(%+v) = %v, want an error with %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := NewEmitter(&bytes.Buffer{}, Config{Function: "f"}); err != nil {
		t.Errorf("the default namespace is refused: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "stack-DeleteFunction-9", "METRICS_NAMESPACE": "Custom"}
	if got := ConfigFromEnv(func(k string) string { return env[k] }, "delete"); got != (Config{Namespace: "Custom", Function: "delete"}) {
		t.Errorf("ConfigFromEnv = %+v", got)
	}
	if got := ConfigFromEnv(func(string) string { return "" }, "delete"); got != (Config{Function: "delete"}) {
		t.Errorf("ConfigFromEnv without METRICS_NAMESPACE = %+v", got)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestEmitReportsWriteError(t *testing.T) {
	em, err := NewEmitter(failWriter{}, Config{Function: "f"})
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Emit(NewRecorder(), stamp, ""); err == nil || err.Error() != "metrics: write: disk full" {
		t.Errorf("Emit = %v", err)
	}
}

// lineWriter records each Write call separately.
type lineWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestEmitOneWritePerLine(t *testing.T) {
	w := &lineWriter{}
	em, err := NewEmitter(w, Config{Function: "f"})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder()
	for range 150 {
		r.ObserveLatency(time.Millisecond)
	}
	if err := em.Emit(r, stamp, ""); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 2 {
		t.Fatalf("%d writes, want 2", len(w.writes))
	}
	for _, p := range w.writes {
		if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
			t.Errorf("a write is not exactly one line: %q", p)
		}
	}
}

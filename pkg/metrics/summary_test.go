package metrics

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func newTestLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func TestSummaryParseLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		isEMF   bool
		wantErr bool
		counts  map[Name]int64
		lat     int
	}{
		{name: "a log line", line: `{"time":"x","level":"INFO","msg":"imported"}`},
		{name: "text", line: `START RequestId: 1`},
		{name: "mentions _aws but is not JSON", line: `{"_aws": oops`},
		{name: "empty", line: ``},
		{
			name: "document", isEMF: true, lat: 2,
			line:   `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Function"]],"Metrics":[{"Name":"Imported","Unit":"Count"},{"Name":"ChatLatency","Unit":"Milliseconds"},{"Name":"Other"}]}]},"Function":"f","Imported":2,"ChatLatency":[1.5,2],"Other":9}`,
			counts: map[Name]int64{Imported: 2, ChatLatency: 2},
		},
		{
			name: "a value that is not a number", isEMF: true, wantErr: true,
			line: `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Function"]],"Metrics":[{"Name":"Lost"}]}]},"Function":"f","Lost":"1"}`,
		},
		{
			name: "a defined metric without a value", isEMF: true, wantErr: true,
			line: `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Function"]],"Metrics":[{"Name":"Lost"}]}]},"Function":"f"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Summary
			ok, err := s.ParseLine([]byte(tt.line))
			if ok != tt.isEMF || (err != nil) != tt.wantErr {
				t.Fatalf("ParseLine = %v, %v; want %v, error %v", ok, err, tt.isEMF, tt.wantErr)
			}
			for _, n := range Names() {
				if s.Count(n) != tt.counts[n] {
					t.Errorf("%s = %d, want %d", n, s.Count(n), tt.counts[n])
				}
			}
			if len(s.Latencies) != tt.lat {
				t.Errorf("%d latencies, want %d", len(s.Latencies), tt.lat)
			}
			if err != nil && strings.Contains(err.Error(), "float64") {
				t.Errorf("error names a Go type: %v", err)
			}
		})
	}
}

// TestCollectorRoundTrip writes the documents of several invocations, with
// other log lines between them and in pieces, and reads back the totals
// the recorders hold.
func TestCollectorRoundTrip(t *testing.T) {
	var direct Summary
	var passed bytes.Buffer
	c := &Collector{Next: &passed}
	em, err := NewEmitter(c, Config{Function: "import"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r := NewRecorder()
		r.Add(Imported, int64(i))
		r.Add(Failed, 1)
		r.Add(ChatCalls, int64(i+1))
		for range 60 * i { // 240 values in the last: three documents
			r.ObserveLatency(time.Duration(i) * time.Millisecond)
		}
		direct.AddRecorder(r)
		fmt.Fprintf(c, `{"level":"INFO","msg":"import ok","i":%d}`+"\n", i)
		if err := em.Emit(r, stamp, "req"); err != nil {
			t.Fatal(err)
		}
	}
	// A document split over writes is read once whole.
	line := []byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Function"]],"Metrics":[{"Name":"Lost","Unit":"Count"}]}]},"Function":"f","Lost":1}` + "\n")
	c.Write(line[:20])
	c.Write(line[20:])
	direct.Counts[Lost]++

	got, bad := c.Summary()
	if bad != 0 {
		t.Errorf("%d documents unread", bad)
	}
	if got.Counts != direct.Counts || len(got.Latencies) != len(direct.Latencies) {
		t.Errorf("collected %v (%d latencies), want %v (%d)", got.Counts, len(got.Latencies), direct.Counts, len(direct.Latencies))
	}
	if got.Count(Imported) != 10 || got.Count(Failed) != 5 || got.Count(ChatLatency) != 600 {
		t.Errorf("totals: %v", got.Counts)
	}
	if !bytes.Contains(passed.Bytes(), []byte(`"msg":"import ok"`)) || bytes.Count(passed.Bytes(), []byte("\n")) != 5+1+1+2+2+3+1 { // log lines, documents, the split one
		t.Errorf("Next got %d lines, want 15", bytes.Count(passed.Bytes(), []byte("\n")))
	}
}

func TestSummaryString(t *testing.T) {
	var s Summary
	if !strings.Contains(s.String(), "ChatLatency     no requests\n") {
		t.Errorf("String:\n%s", s.String())
	}
	r := NewRecorder()
	r.Add(Imported, 3)
	for _, ms := range []int{4, 1, 2} {
		r.ObserveLatency(time.Duration(ms) * time.Millisecond)
	}
	s.AddRecorder(r)
	out := s.String()
	for _, want := range []string{"Imported        3\n", "Lost            0\n", "ChatLatency     3 requests, median 2.0 ms, max 4.0 ms\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("String lacks %q:\n%s", want, out)
		}
	}
}

// Example shows an invocation's metrics as a function writes them.
func Example() {
	em, err := NewEmitter(os.Stdout, Config{Namespace: "ChatAccounts", Function: "import"})
	if err != nil {
		panic(err)
	}
	rec := NewRecorder()
	rec.Add(Imported, 1)
	rec.Add(ChatCalls, 1)
	rec.ObserveLatency(42 * time.Millisecond)
	em.Emit(rec, time.UnixMilli(1764518400000), "")
	// Output:
	// {"_aws":{"Timestamp":1764518400000,"CloudWatchMetrics":[{"Namespace":"ChatAccounts","Dimensions":[["Function"]],"Metrics":[{"Name":"Imported","Unit":"Count"},{"Name":"Deleted","Unit":"Count"},{"Name":"Queued","Unit":"Count"},{"Name":"Parked","Unit":"Count"},{"Name":"Lost","Unit":"Count"},{"Name":"Failed","Unit":"Count"},{"Name":"ChatCalls","Unit":"Count"},{"Name":"ChatErrors","Unit":"Count"},{"Name":"Retries","Unit":"Count"},{"Name":"ChatLatency","Unit":"Milliseconds"},{"Name":"SecretFetches","Unit":"Count"},{"Name":"UserSigsIssued","Unit":"Count"}]}]},"Function":"import","Imported":1,"Deleted":0,"Queued":0,"Parked":0,"Lost":0,"Failed":0,"ChatCalls":1,"ChatErrors":0,"Retries":0,"ChatLatency":42,"SecretFetches":0,"UserSigsIssued":0}
}

// ExampleCollector totals the documents of a local run.
func ExampleCollector() {
	c := &Collector{}
	em, _ := NewEmitter(c, Config{Function: "import"})
	for range 2 {
		rec := NewRecorder()
		rec.Add(Imported, 1)
		em.Emit(rec, time.Now(), "")
	}
	s, _ := c.Summary()
	fmt.Println("imported:", s.Count(Imported))
	// Output: imported: 2
}

package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Summary totals metrics over many invocations, for a local run's closing
// report. Counts are summed; latencies are kept to report their spread.
// The zero value is ready.
type Summary struct {
	Counts    [numNames]int64 // Counts[ChatLatency] is the number of latency values
	Latencies []float64       // milliseconds
	Documents int             // EMF documents read by ParseLine
}

// AddRecorder adds r's counts and latencies.
func (s *Summary) AddRecorder(r *Recorder) {
	if r == nil {
		return
	}
	for _, n := range Names() {
		if n != ChatLatency {
			s.Counts[n] += r.Count(n)
		}
	}
	lat := r.Latencies()
	s.Counts[ChatLatency] += int64(len(lat))
	s.Latencies = append(s.Latencies, lat...)
}

// emfLine is what ParseLine reads of a document.
type emfLine struct {
	AWS *struct {
		CloudWatchMetrics []struct {
			Metrics []struct{ Name string }
		}
	} `json:"_aws"`
}

// ParseLine adds the metrics of one log line when it is an EMF document,
// and reports whether it was. Lines that are not JSON objects with an _aws
// member, such as the functions' other log lines, are skipped without an
// error; a document whose values are not numbers is an error.
func (s *Summary) ParseLine(line []byte) (bool, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' || !bytes.Contains(line, []byte(`"_aws"`)) {
		return false, nil
	}
	var doc emfLine
	if err := json.Unmarshal(line, &doc); err != nil || doc.AWS == nil {
		return false, nil
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return false, nil
	}
	var (
		add  [numNames]int64
		lats []float64
	)
	for _, d := range doc.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			n, ok := ParseName(m.Name)
			if !ok {
				continue
			}
			vals, err := numbers(root[m.Name])
			if err != nil {
				return true, fmt.Errorf("metrics: %s: %w", m.Name, err)
			}
			if n == ChatLatency {
				lats = append(lats, vals...)
				add[n] += int64(len(vals))
				continue
			}
			for _, v := range vals {
				add[n] += int64(v)
			}
		}
	}
	for i := range add {
		s.Counts[i] += add[i]
	}
	s.Latencies = append(s.Latencies, lats...)
	s.Documents++
	return true, nil
}

// numbers decodes a metric value: a number or an array of numbers.
func numbers(raw json.RawMessage) ([]float64, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("no value")
	}
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil {
		return []float64{one}, nil
	}
	var many []float64
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("the value is not a number or a list of numbers")
	}
	return many, nil
}

// Count returns the total of name.
func (s *Summary) Count(name Name) int64 {
	if name >= numNames {
		return 0
	}
	return s.Counts[name]
}

// String formats the summary as lines of "name value", the latencies as
// their count, median and maximum.
func (s *Summary) String() string {
	var b strings.Builder
	for _, n := range Names() {
		if n == ChatLatency {
			fmt.Fprintf(&b, "%-15s %s\n", n, latencyText(s.Latencies))
			continue
		}
		fmt.Fprintf(&b, "%-15s %d\n", n, s.Counts[n])
	}
	return b.String()
}

func latencyText(lat []float64) string {
	if len(lat) == 0 {
		return "no requests"
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " ms" }
	return fmt.Sprintf("%d requests, median %s, max %s", len(sorted), ms(sorted[len(sorted)/2]), ms(sorted[len(sorted)-1]))
}

// Collector is an io.Writer that totals the EMF documents written to it,
// line by line, into a Summary, and passes every byte on to Next when Next
// is not nil. Give it to an Emitter (or put it where a function's standard
// output goes) in a local run to print the totals at the end. It is safe
// for concurrent use.
type Collector struct {
	Next io.Writer

	mu      sync.Mutex
	partial []byte
	sum     Summary
	errs    int
}

// maxLine bounds a line the Collector buffers; longer ones are skipped.
const maxLine = 1 << 20

// Write totals the complete lines in p and passes p on.
func (c *Collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	data := p
	if len(c.partial) > 0 {
		data = append(c.partial, p...)
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		if _, err := c.sum.ParseLine(data[:i]); err != nil {
			c.errs++
		}
		data = data[i+1:]
	}
	if len(data) > maxLine {
		data = nil
	}
	c.partial = append(c.partial[:0], data...)
	c.mu.Unlock()
	if c.Next != nil {
		return c.Next.Write(p)
	}
	return len(p), nil
}

// Summary returns a copy of the totals so far, and the number of EMF
// documents that could not be read.
func (c *Collector) Summary() (Summary, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sum
	s.Latencies = slices.Clone(c.sum.Latencies)
	return s, c.errs
}

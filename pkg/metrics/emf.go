package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultNamespace is the CloudWatch namespace when METRICS_NAMESPACE is
// not set.
const DefaultNamespace = "ChatAccounts"

// Dimension is the one dimension every metric has; its value names the
// function.
const Dimension = "Function"

// Config names where a function's metrics go.
type Config struct {
	Namespace string // CloudWatch namespace; default DefaultNamespace
	Function  string // value of the Function dimension; required
}

// ConfigFromEnv reads METRICS_NAMESPACE; function is the Function
// dimension's value: the function's role ("import", "delete", "usersig",
// "sync"), not its generated Lambda name, so that the template's dashboard
// and alarms can name it. Stacks that share an account tell their metrics
// apart by namespace.
func ConfigFromEnv(getenv func(string) string, function string) Config {
	return Config{Namespace: getenv("METRICS_NAMESPACE"), Function: function}
}

// Limits of CloudWatch names.
const (
	maxNamespace      = 255
	maxDimensionValue = 1024
)

// Validate checks cfg against CloudWatch's rules for a namespace (1 to 255
// ASCII letters, digits and . - _ / # : or spaces, not only spaces, not
// beginning with "AWS/") and a dimension value (1 to 1024 characters of
// valid UTF-8, not only spaces).
func (cfg Config) Validate() error {
	ns := cfg.Namespace
	switch {
	case ns == "" || strings.TrimSpace(ns) == "":
		return errors.New("metrics: the namespace (METRICS_NAMESPACE) is empty")
	case len(ns) > maxNamespace:
		return fmt.Errorf("metrics: the namespace (METRICS_NAMESPACE) is %d characters, at most %d allowed", len(ns), maxNamespace)
	case strings.HasPrefix(ns, "AWS/"):
		return errors.New("metrics: the namespace (METRICS_NAMESPACE) may not begin with AWS/, which AWS reserves")
	}
	for _, c := range ns {
		if !nsChar(c) {
			return fmt.Errorf("metrics: the namespace (METRICS_NAMESPACE) has the character %q: use letters, digits, spaces and . - _ / # :", c)
		}
	}
	fn := cfg.Function
	switch {
	case strings.TrimSpace(fn) == "":
		return errors.New("metrics: no function name for the Function dimension")
	case len(fn) > maxDimensionValue:
		return fmt.Errorf("metrics: the function name is %d bytes, at most %d allowed", len(fn), maxDimensionValue)
	case !utf8.ValidString(fn):
		return errors.New("metrics: the function name is not valid UTF-8")
	}
	return nil
}

func nsChar(c rune) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune(".-_/#: ", c)
}

// Emitter writes recorders as EMF documents, one line each, with one Write
// per line, so that a line never interleaves with other writers of the same
// stream that also write whole lines (slog's handlers do). It is safe for
// concurrent use.
type Emitter struct {
	w io.Writer

	// Every document starts with head, then the timestamp; then full (all
	// metrics), counts (all but ChatLatency) or latency (ChatLatency only),
	// which close _aws and hold the dimension's value; then the values.
	full, counts, latency []byte

	mu  sync.Mutex
	buf []byte
}

const head = `{"_aws":{"Timestamp":`

// NewEmitter returns an Emitter that writes to w (a function's standard
// output) for cfg.
func NewEmitter(w io.Writer, cfg Config) (*Emitter, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("metrics: no writer")
	}
	all := Names()
	counts := make([]Name, 0, len(all))
	for _, n := range all {
		if n != ChatLatency {
			counts = append(counts, n)
		}
	}
	return &Emitter{
		w:       w,
		full:    directive(cfg, all),
		counts:  directive(cfg, counts),
		latency: directive(cfg, []Name{ChatLatency}),
		buf:     make([]byte, 0, 2048),
	}, nil
}

// directive returns the part of a document after the timestamp up to the
// first metric value: the metric directive for names and the dimension.
func directive(cfg Config, names []Name) []byte {
	b := []byte(`,"CloudWatchMetrics":[{"Namespace":`)
	b = appendString(b, cfg.Namespace)
	b = append(b, `,"Dimensions":[["`+Dimension+`"]],"Metrics":[`...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Name":"`...)
		b = append(b, n.String()...)
		b = append(b, `","Unit":"`...)
		b = append(b, n.Unit()...)
		b = append(b, `"}`...)
	}
	b = append(b, `]}]},"`+Dimension+`":`...)
	return appendString(b, cfg.Function)
}

// Emit writes r as EMF, stamped now: one document with every count and up
// to MaxValues latencies, then a document of ChatLatency alone for each
// further MaxValues latencies. ChatLatency is left out of a document when
// no request to Chat was made (a 0 would count as a request). requestID,
// when not empty, is written as a property of the first document, so that
// a search of the logs finds the invocation's other lines.
func (e *Emitter) Emit(r *Recorder, now time.Time, requestID string) error {
	if r == nil {
		r = &Recorder{}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r.mu.Lock()
	lat := r.latencies
	r.mu.Unlock()
	// Values appended later by a straggler are past len(lat): not read.

	first := lat[:min(len(lat), MaxValues)]
	b := append(e.buf[:0], head...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	if len(first) > 0 {
		b = append(b, e.full...)
	} else {
		b = append(b, e.counts...)
	}
	for i := range numNames {
		if i == ChatLatency {
			if len(first) > 0 {
				b = appendValues(b, first)
			}
			continue
		}
		b = append(b, ',', '"')
		b = append(b, names[i]...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, r.counts[i].Load(), 10)
	}
	if requestID != "" {
		b = append(b, `,"requestId":`...)
		b = appendString(b, requestID)
	}
	b = append(b, '}', '\n')
	_, err := e.w.Write(b)
	for rest := lat[len(first):]; len(rest) > 0 && err == nil; {
		vals := rest[:min(len(rest), MaxValues)]
		rest = rest[len(vals):]
		b = append(b[:0], head...)
		b = strconv.AppendInt(b, now.UnixMilli(), 10)
		b = append(b, e.latency...)
		b = appendValues(b, vals)
		b = append(b, '}', '\n')
		_, err = e.w.Write(b)
	}
	e.buf = b[:0]
	if err != nil {
		return fmt.Errorf("metrics: write: %w", err)
	}
	return nil
}

// appendValues appends `,"ChatLatency":` and vals: a number when there is
// one, else an array.
func appendValues(b []byte, vals []float64) []byte {
	b = append(b, `,"ChatLatency":`...)
	if len(vals) == 1 {
		return strconv.AppendFloat(b, vals[0], 'f', -1, 64)
	}
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

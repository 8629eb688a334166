package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressThreshold is the list length from which accounts shows a
// progress bar on a terminal.
const progressThreshold = 200

// progress is a one-line progress bar, redrawn in place with a carriage
// return. A nil *progress draws nothing.
type progress struct {
	w     io.Writer
	label string
	total int
	done  int
	start time.Time
}

const barWidth = 30

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	p.draw()
	return p
}

// add records n more items done and redraws the bar.
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.done = min(p.done+n, p.total)
	p.draw()
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	fmt.Fprintln(p.w)
}

func (p *progress) draw() {
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	full := int(frac * barWidth)
	bar := strings.Repeat("#", full) + strings.Repeat("-", barWidth-full)
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d %3.0f%% %s", p.label, bar, p.done, p.total, frac*100, time.Since(p.start).Round(100*time.Millisecond))
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

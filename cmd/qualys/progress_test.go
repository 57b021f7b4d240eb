package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// On a terminal the bar is drawn in place and cleared before anything
// else is written, so output never lands on the bar's line.
func TestProgressBarIsClearedBeforeOutput(t *testing.T) {
	var term bytes.Buffer
	f := &factory{env: &env{stderr: &term, stderrTerminal: true}, globals: globals{progress: "auto"}}
	p, err := f.newProgress()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.start, p.last = now, now
	now = now.Add(time.Second)
	p.update(5, 10, "posture: 5/10 hosts")
	if !strings.Contains(term.String(), "[##########..........] posture: 5/10 hosts") {
		t.Fatalf("bar %q", term.String())
	}
	out := p.writer(&term)
	out.Write([]byte("HOST  STATUS\n"))
	if !strings.HasSuffix(term.String(), "\r\033[KHOST  STATUS\n") {
		t.Errorf("the bar was not cleared before the output: %q", term.String())
	}
	term.Reset()
	out.Write([]byte("next\n"))
	if term.String() != "next\n" {
		t.Errorf("cleared twice: %q", term.String())
	}
}

// Off a terminal, progress is a line every few seconds, never a bar.
func TestProgressLines(t *testing.T) {
	var log bytes.Buffer
	f := &factory{env: &env{stderr: &log}, globals: globals{progress: "auto"}}
	p, _ := f.newProgress()
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.start, p.last = now, now
	for i := range 20 {
		now = now.Add(time.Second)
		p.update(i, 20, "working")
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 4 || strings.Contains(log.String(), "\r") || !strings.HasPrefix(lines[0], "qualys: working (5s)") {
		t.Errorf("lines %q, want one every %s", lines, lineInterval)
	}
}

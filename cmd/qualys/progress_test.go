package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
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

// A run's progress is what the SDK's hook reports after each poll: the
// job first, then the counts, and a wait on the rate limit said as such.
func TestRunProgressShowsEachPoll(t *testing.T) {
	var log bytes.Buffer
	f := &factory{env: &env{stderr: &log}, globals: globals{progress: "always"}}
	p, err := f.newProgress()
	if err != nil {
		t.Fatal(err)
	}
	show := runProgress(p, 7)
	job := wire.NewID(29466)
	show(qualys.RunProgress{Expected: 3, NextPoll: 2 * time.Second})
	show(qualys.RunProgress{JobID: job, Running: 3, Expected: 3, NextPoll: 2 * time.Second})
	show(qualys.RunProgress{JobID: job, Done: 1, Running: 2, Expected: 3, NextPoll: 4*time.Minute + 400*time.Millisecond, RateLimited: true})
	show(qualys.RunProgress{RateLimited: true, NextPoll: 90 * time.Second})
	show(qualys.RunProgress{JobID: job, Done: 3, Expected: 3})
	want := []string{
		"qualys: script 7: waiting for CAR to create the job (0s)",
		"qualys: script 7: 0 done, 3 running (0s)",
		"qualys: script 7: 1 done, 2 running; waiting 4m0s on the CAR rate limit (0s)",
		"qualys: script 7: waiting for CAR to create the job; waiting 1m30s on the CAR rate limit (0s)",
		"qualys: script 7: 3 done, 0 running (0s)",
	}
	if got := strings.Split(strings.TrimSpace(log.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// On a terminal the bar counts the assets done of those named, or of
	// those seen running when tags name more.
	var term bytes.Buffer
	f = &factory{env: &env{stderr: &term, stderrTerminal: true}, globals: globals{progress: "always"}}
	p, _ = f.newProgress()
	p.last = time.Time{} // a terminal redraws every 100ms: draw now
	runProgress(p, 7)(qualys.RunProgress{JobID: job, Done: 1, Running: 3, Expected: 2, NextPoll: time.Second})
	if !strings.Contains(term.String(), "[#####...............] script 7: 1 done, 3 running") {
		t.Errorf("bar %q", term.String())
	}
}

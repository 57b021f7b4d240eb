package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// noticeHandler turns the SDK's debug log into the few lines a person
// needs without --verbose: a retry after a failure or a timeout, and a
// wait on the rate limit, so that no wait is silent. Everything else is
// dropped. The SDK never logs credentials.
//
// It also hands the polls of a script run to the command's progress
// display, and with --verbose passes every record on to the full log.
type noticeHandler struct {
	mu      *sync.Mutex
	w       io.Writer
	verbose slog.Handler // --verbose: every record, as text
	onPoll  func(runPoll)
}

// runPoll is a poll of a script run, as RunScript logs it.
type runPoll struct {
	job                     string
	done, running, expected int
	wait                    time.Duration
	rateLimited             bool
}

func newNoticeHandler(w io.Writer, verbose bool) *noticeHandler {
	h := &noticeHandler{mu: &sync.Mutex{}, w: w}
	if verbose {
		h.verbose = slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return h
}

func (h *noticeHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *noticeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *noticeHandler) WithGroup(string) slog.Handler { return h }

// pollHook sets what each poll of a run calls.
func (h *noticeHandler) pollHook(f func(runPoll)) {
	h.mu.Lock()
	h.onPoll = f
	h.mu.Unlock()
}

func (h *noticeHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "qualys run poll" {
		h.poll(r)
	}
	if h.verbose != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.verbose.Handle(ctx, r)
	}
	a := map[string]string{}
	r.Attrs(func(at slog.Attr) bool {
		a[at.Key] = at.Value.String()
		return true
	})
	var line string
	switch r.Message {
	case "qualys retry":
		line = fmt.Sprintf("%s %s: %s; trying again", a["method"], a["path"], a["reason"])
		if w := a["wait"]; w != "" {
			line = fmt.Sprintf("%s %s: %s; trying again in %s", a["method"], a["path"], a["reason"], roundText(w))
		}
	case "qualys throttled":
		line = fmt.Sprintf("%s %s: waiting %s on the rate limit", a["method"], a["path"], roundText(a["wait"]))
	default:
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "qualys: %s\n", line)
	return err
}

// roundText shows a logged duration to the tenth of a second.
func roundText(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return d.Round(100 * time.Millisecond).String()
}

func (h *noticeHandler) poll(r slog.Record) {
	h.mu.Lock()
	f := h.onPoll
	h.mu.Unlock()
	if f == nil {
		return
	}
	var p runPoll
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "job":
			p.job = a.Value.String()
		case "done":
			p.done = int(a.Value.Int64())
		case "running":
			p.running = int(a.Value.Int64())
		case "expected":
			p.expected = int(a.Value.Int64())
		case "wait":
			p.wait = a.Value.Duration()
		case "rate_limited":
			p.rateLimited = a.Value.Bool()
		}
		return true
	})
	f(p)
}

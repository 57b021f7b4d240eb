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
type noticeHandler struct {
	mu *sync.Mutex
	w  io.Writer
}

func newNoticeHandler(w io.Writer) *noticeHandler { return &noticeHandler{mu: &sync.Mutex{}, w: w} }

func (h *noticeHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *noticeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *noticeHandler) WithGroup(string) slog.Handler { return h }

func (h *noticeHandler) Handle(_ context.Context, r slog.Record) error {
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

package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// notices is where the SDK's news goes on stderr: without --verbose, a
// line for each retry after a failure or a timeout and for each wait on
// the rate limit, so that no wait is silent; with --verbose, its whole
// debug log instead. While a progress display is shown, lines go through
// it, so that the bar is cleared first. The SDK never tells credentials.
type notices struct {
	mu sync.Mutex
	w  io.Writer
}

// noticeSink returns the command's notices, written to stderr until a
// progress display takes them.
func (f *factory) noticeSink() *notices {
	if f.notices == nil {
		f.notices = &notices{w: f.stderr}
	}
	return f.notices
}

// through sends the lines to w from now on.
func (n *notices) through(w io.Writer) {
	n.mu.Lock()
	n.w = w
	n.mu.Unlock()
}

// Write writes one line, whole: the SDK may report from several
// goroutines at once.
func (n *notices) Write(b []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.w.Write(b)
}

// retry says that a request is sent again, and after what wait.
func (n *notices) retry(r qualys.Retry) {
	wait := r.Wait.Round(100 * time.Millisecond)
	line := fmt.Sprintf("%s: %s; trying again", r.Operation, r.Reason)
	switch {
	case r.Throttled:
		line = fmt.Sprintf("%s: waiting %s on the rate limit", r.Operation, wait)
	case r.Wait > 0:
		line = fmt.Sprintf("%s: %s; trying again in %s", r.Operation, r.Reason, wait)
	}
	fmt.Fprintf(n, "qualys: %s\n", line)
}

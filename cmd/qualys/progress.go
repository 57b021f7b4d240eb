package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressModes are the values of --progress.
var progressModes = []string{"auto", "always", "never"}

// progress reports long work on stderr: a bar redrawn in place on a
// terminal, otherwise a line every few seconds, so logs and CI show that
// the command is alive. With "auto", a command that ends within the first
// interval prints nothing.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	every    time.Duration
	start    time.Time
	last     time.Time
	drawn    bool
	off      bool
	now      func() time.Time
	// the latest state, repeated by keepAlive
	text         string
	doneN, total int
}

// lineInterval is how often progress lines come when stderr is not a
// terminal.
const lineInterval = 5 * time.Second

func (f *factory) newProgress() (*progress, error) {
	p := &progress{w: f.stderr, terminal: f.stderrTerminal, every: lineInterval, now: time.Now}
	switch f.globals.progress {
	case "auto":
	case "always":
		p.every = 0
	case "never":
		p.off = true
	default:
		return nil, usagef("--progress %q: want one of %s", f.globals.progress, strings.Join(progressModes, ", "))
	}
	if p.terminal {
		p.every = 100 * time.Millisecond
	}
	p.start = p.now()
	p.last = p.start
	if p.every == 0 {
		p.last = time.Time{}
	}
	f.noticeSink().through(p.writer(f.stderr))
	return p, nil
}

// update reports the state; done and total draw a bar on a terminal when
// total is known (> 0).
func (p *progress) update(done, total int, text string) {
	if p == nil || p.off {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.text, p.doneN, p.total = text, done, total
	now := p.now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Round(time.Second)
	if !p.terminal {
		fmt.Fprintf(p.w, "qualys: %s (%s)\n", text, elapsed)
		return
	}
	bar := ""
	if total > 0 {
		const size = 20
		n := min(size*done/total, size)
		bar = "[" + strings.Repeat("#", n) + strings.Repeat(".", size-n) + "] "
	}
	fmt.Fprintf(p.w, "\r\033[K%s%s (%s)", bar, text, elapsed)
	p.drawn = true
}

// done clears the bar, leaving the terminal as it was.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// set reports a state with no count, e.g. before the first batch.
func (p *progress) set(text string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.text, p.doneN, p.total = text, 0, 0
	p.mu.Unlock()
	p.update(0, 0, text)
}

// keepAlive repeats the latest state every interval while work goes on
// without news (a long batch, a wait on the rate limit), until stop. stop
// clears the bar and may be called more than once.
func (p *progress) keepAlive(ctx context.Context) (stop func()) {
	if p == nil || p.off {
		return func() {}
	}
	tick := p.every
	if tick <= 0 {
		tick = lineInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.mu.Lock()
				done, total, text := p.doneN, p.total, p.text
				p.mu.Unlock()
				if text != "" {
					p.update(done, total, text)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-finished
		p.done()
	}
}

// writer guards the output a command prints while progress is shown: the
// bar is cleared before each write, and never drawn in the middle of one.
func (p *progress) writer(w io.Writer) io.Writer {
	if p == nil || p.off {
		return w
	}
	return &guardedWriter{p: p, w: w}
}

type guardedWriter struct {
	p *progress
	w io.Writer
}

func (g *guardedWriter) Write(b []byte) (int, error) {
	g.p.mu.Lock()
	defer g.p.mu.Unlock()
	if g.p.drawn {
		fmt.Fprint(g.p.w, "\r\033[K")
		g.p.drawn = false
	}
	return g.w.Write(b)
}

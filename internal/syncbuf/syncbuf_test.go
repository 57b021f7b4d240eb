package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrentWrites: every write of many goroutines lands whole,
// while another goroutine reads (the race detector checks the locking).
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("line\n"))
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			_ = b.String()
		}
	})
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 800 || len(b.String()) != 800*len("line\n") {
		t.Errorf("%d whole lines in %d bytes, want 800", n, len(b.String()))
	}
}

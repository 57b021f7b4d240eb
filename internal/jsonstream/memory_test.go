package jsonstream

import (
	"bytes"
	"compress/gzip"
	"io"
	"runtime"
	"testing"

	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// TestMemoryDoesNotGrowWithBody decodes a 20 MB posture array, produced as
// it is read so that the body itself takes no memory, and checks that the
// live heap stays a small fraction of the body: one record plus buffers.
// Reading the whole body first, as the generated client does, would need
// more than the body's size.
func TestMemoryDoesNotGrowWithBody(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 20 MB")
	}
	const (
		bodySize = 20 << 20
		// Generous: the measured growth is under 0.5 MB (the read and gzip
		// buffers and one record); the bound is still a fifth of the body.
		bound = 4 << 20
	)
	for _, form := range []string{"plain", "gzip"} {
		gen := posturegen.NewReader(bodySize)
		var body io.Reader = gen
		if form == "gzip" {
			// Compressed up front (a small fraction of the body): the
			// compressor's own memory must not count against the decoder.
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			if _, err := io.Copy(zw, gen); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(gz.Bytes())
		}

		base := liveHeap()
		var peak uint64
		n := 0
		for _, err := range Elements[posturegen.Record](body) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n%500 == 0 {
				peak = max(peak, liveHeap())
			}
		}
		peak = max(peak, liveHeap())
		if n != gen.Records() || n < 5000 {
			t.Fatalf("%s: decoded %d records, generated %d", form, n, gen.Records())
		}
		growth := int64(peak) - int64(base)
		t.Logf("%s: %d records, %d MB body, live heap growth %d KB", form, n, bodySize>>20, growth>>10)
		if growth > bound {
			t.Errorf("%s: live heap grew by %d KB decoding a %d MB body; bound %d KB",
				form, growth>>10, bodySize>>20, bound>>10)
		}
	}
}

// liveHeap returns the heap in use after a collection: what is reachable.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

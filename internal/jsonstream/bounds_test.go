package jsonstream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// endless yields prefix, then fill repeated up to 64 MiB: a body without
// end as far as any bound is concerned, produced as it is read so that it
// costs no memory of its own. (It does end, so that a decoder without a
// bound fails the heap check instead of hanging.)
type endless struct {
	prefix []byte
	fill   []byte
	pos    int
	read   atomic.Int64
}

const endlessSize = 64 << 20

func (e *endless) Read(p []byte) (int, error) {
	if e.read.Load() >= endlessSize {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		if len(e.prefix) > 0 {
			c := copy(p[n:], e.prefix)
			e.prefix = e.prefix[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.fill[e.pos:])
		e.pos = (e.pos + c) % len(e.fill)
		n += c
	}
	e.read.Add(int64(n))
	return n, nil
}

// gzipOf compresses size bytes of prefix then fill: a small body that
// expands enormously.
func gzipOf(t *testing.T, prefix, fill string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	src := &endless{prefix: []byte(prefix), fill: []byte(fill)}
	if _, err := io.CopyN(zw, src, int64(min(size, endlessSize))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// peakLiveHeap runs f while sampling the live heap (after a collection),
// and returns how far its peak rose above the heap before f.
func peakLiveHeap(t *testing.T, f func()) int64 {
	t.Helper()
	base := liveHeap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// Live memory only: garbage awaiting collection says
				// nothing about what the decoder holds.
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	return int64(peak.Load()) - int64(base)
}

// TestElementBound: an endless string, an endless run of white space (plain
// and gzip, where a few hundred KiB on the wire expand without end), and an
// element bigger than the bound all end in ErrTooLarge after reading about
// the bound, with a heap that grows by the order of the bound, not of the
// body.
func TestElementBound(t *testing.T) {
	const bound = 4 << 20
	cases := []struct {
		name  string
		body  func(t *testing.T) io.Reader
		index int
		want  error
	}{
		// Not an array: refused on its first bytes.
		{"top-level endless string", func(*testing.T) io.Reader {
			return &endless{prefix: []byte(`"`), fill: []byte("abcdefgh")}
		}, 0, ErrNotArray},
		{"endless string inside the third record", func(*testing.T) io.Reader {
			return &endless{prefix: []byte(`[{"id":1},{"id":2},{"id":3,"policyTitle":"`), fill: []byte("abcdefgh")}
		}, 2, nil},
		{"endless white space before the first element", func(*testing.T) io.Reader {
			return &endless{prefix: []byte(`[`), fill: []byte(" \t\r\n")}
		}, 0, nil},
		{"endless white space between elements", func(*testing.T) io.Reader {
			return &endless{prefix: []byte(`[{"id":1},`), fill: []byte("    ")}
		}, 1, nil},
		{"endless white space after the array", func(*testing.T) io.Reader {
			return &endless{prefix: []byte(`[{"id":1}]`), fill: []byte("\n")}
		}, 1, nil},
		{"gzip of endless white space", func(t *testing.T) io.Reader {
			return bytes.NewReader(gzipOf(t, `[{"id":1},`, " ", 64<<20))
		}, 1, nil},
		{"gzip of an endless string", func(t *testing.T) io.Reader {
			return bytes.NewReader(gzipOf(t, `[{"id":1,"policyTitle":"`, "x", 64<<20))
		}, 0, nil},
		// Refused by the decoder's depth limit before the bound.
		{"gzip of a deep array", func(t *testing.T) io.Reader {
			return bytes.NewReader(gzipOf(t, `[`, "[", 64<<20))
		}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body(t)
			var err error
			n := 0
			growth := peakLiveHeap(t, func() {
				for _, e := range Elements[jsontext.Value](body, MaxElementSize(bound)) {
					if e != nil {
						err = e
						break
					}
					n++
				}
			})
			want := tc.want
			if want == nil && tc.name != "gzip of a deep array" {
				want = ErrTooLarge
			}
			var se *Error
			switch {
			case !errors.As(err, &se):
				t.Fatalf("after %d elements: %v, want an *Error", n, err)
			case want != nil && !errors.Is(err, want):
				t.Fatalf("after %d elements: %v, want %v", n, err, want)
			case se.Index != tc.index || n != tc.index:
				t.Errorf("error %v after %d elements, want index %d", err, n, tc.index)
			case want == ErrTooLarge && !strings.Contains(err.Error(), "4194304"):
				t.Errorf("error %q does not name the bound", err)
			}
			if e, ok := body.(*endless); ok && e.read.Load() > 2*bound {
				t.Errorf("read %d bytes for a bound of %d", e.read.Load(), bound)
			}
			t.Logf("heap growth %d KiB", growth>>10)
			if growth > 4*bound {
				t.Errorf("heap grew by %d MiB for a bound of %d MiB", growth>>20, bound>>20)
			}
		})
	}
}

// TestElementBoundIsNotTooEager: elements up to the bound, each after
// white space, decode whatever their number; the bound is per element, not
// per body.
func TestElementBoundIsNotTooEager(t *testing.T) {
	const bound = 1 << 10
	elem := `{"policyTitle":"` + strings.Repeat("x", bound-200) + `"}`
	var body bytes.Buffer
	body.WriteString("[")
	for i := range 500 {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString(strings.Repeat(" ", 150))
		body.WriteString(elem)
	}
	body.WriteString("]")
	n := 0
	for _, err := range Elements[jsontext.Value](&body, MaxElementSize(bound), BufferSize(64)) {
		if err != nil {
			t.Fatalf("after %d elements: %v", n, err)
		}
		n++
	}
	if n != 500 {
		t.Fatalf("%d elements, want 500", n)
	}
	// One byte more than the bound fails.
	big := `[` + `{"policyTitle":"` + strings.Repeat("x", bound) + `"}]`
	for _, err := range Elements[jsontext.Value](strings.NewReader(big), MaxElementSize(bound)) {
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("element over the bound: %v, want ErrTooLarge", err)
		}
	}
}

// TestCheckObject: a lone object is shown to the check before it is
// decoded; the check's error replaces the element; arrays are not checked.
func TestCheckObject(t *testing.T) {
	sentinel := errors.New("an error envelope")
	check := func(raw []byte) error {
		if bytes.Contains(raw, []byte(`"message"`)) {
			return sentinel
		}
		return nil
	}
	type rec struct{ ID int64 }
	var got []rec
	var err error
	for r, e := range Elements[rec](strings.NewReader(`{"message":"Internal server error"}`), CheckObject(check)) {
		if e != nil {
			err = e
			break
		}
		got = append(got, r)
	}
	if !errors.Is(err, sentinel) || len(got) != 0 {
		t.Fatalf("envelope: %v records, %v; want the check's error", got, err)
	}
	got = nil
	for r, e := range Elements[rec](strings.NewReader(` {"id":7} `), CheckObject(check)) {
		if e != nil {
			t.Fatal(e)
		}
		got = append(got, r)
	}
	if len(got) != 1 || got[0].ID != 7 {
		t.Fatalf("record: %v", got)
	}
	n := 0
	for _, e := range Elements[rec](strings.NewReader(`[{"message":"x"}]`), CheckObject(check)) {
		if e != nil {
			t.Fatal(e)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("array: %d elements", n)
	}
}

package jsonstream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// TestGzipPipelineMatchesElements decodes gzip bodies, whole and damaged,
// through ElementsCloser (inflating on a second goroutine) and through
// Elements (inflating inline): same records, same error.
func TestGzipPipelineMatchesElements(t *testing.T) {
	body, n := posturegen.Generate(1 << 20) // several pipeline chunks
	gz := gzipped(t, body)
	badSum := bytes.Clone(gz)
	badSum[len(badSum)-8] ^= 0xff
	errNetwork := errors.New("connection reset by peer")
	cases := map[string]func() io.Reader{
		"whole":        func() io.Reader { return bytes.NewReader(gz) },
		"cut":          func() io.Reader { return bytes.NewReader(gz[:len(gz)/2]) },
		"bad checksum": func() io.Reader { return bytes.NewReader(badSum) },
		"read error":   func() io.Reader { return io.MultiReader(bytes.NewReader(gz[:len(gz)/3]), iotestErrReader{errNetwork}) },
		"bad data": func() io.Reader {
			return bytes.NewReader(append(bytes.Clone(gz[:40]), bytes.Repeat([]byte{0xff}, 64)...))
		},
		"empty payload": func() io.Reader { return bytes.NewReader(gzipped(t, nil)) },
	}
	for name, body := range cases {
		inline := collect[posturegen.Record](t, Elements[posturegen.Record](body()))
		piped := collect[posturegen.Record](t, ElementsCloser[posturegen.Record](io.NopCloser(body())))
		if len(inline.values) != len(piped.values) || (inline.err == nil) != (piped.err == nil) ||
			inline.err != nil && inline.err.Error() != piped.err.Error() {
			t.Errorf("%s: inline %d records, %v; piped %d records, %v", name, len(inline.values), inline.err, len(piped.values), piped.err)
		}
		if name == "whole" && (piped.err != nil || len(piped.values) != n) {
			t.Errorf("whole: %d of %d records, %v", len(piped.values), n, piped.err)
		}
	}
	// The standard library's sentinels still match.
	got := collect[posturegen.Record](t, ElementsCloser[posturegen.Record](io.NopCloser(bytes.NewReader(badSum))))
	if !errors.Is(got.err, gzip.ErrChecksum) {
		t.Errorf("bad checksum: %v, want gzip.ErrChecksum", got.err)
	}
	got = collect[posturegen.Record](t, ElementsCloser[posturegen.Record](io.NopCloser(bytes.NewReader(gz[:len(gz)/2]))))
	if !errors.Is(got.err, io.ErrUnexpectedEOF) {
		t.Errorf("cut: %v, want io.ErrUnexpectedEOF", got.err)
	}
}

// stallingBody serves data, then blocks every read until it is closed, as
// a stalled connection does.
type stallingBody struct {
	r      io.Reader
	once   sync.Once
	closed chan struct{}
}

func (s *stallingBody) Read(p []byte) (int, error) {
	if n, err := s.r.Read(p); err == nil || n > 0 {
		return n, nil
	}
	<-s.closed
	return 0, errors.New("read on closed body")
}

func (s *stallingBody) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// TestGzipPipelineStopsOnBreak breaks out of the loop while the inflating
// goroutine is blocked reading a stalled body: the iteration must close
// the body, end that goroutine (goleak checks the package) and return.
func TestGzipPipelineStopsOnBreak(t *testing.T) {
	body, _ := posturegen.Generate(1 << 20)
	gz := gzipped(t, body)
	for _, stopAfter := range []int{1, 50} {
		rc := &stallingBody{r: bytes.NewReader(gz[:len(gz)/2]), closed: make(chan struct{})}
		returned := make(chan int)
		go func() {
			n := 0
			for _, err := range ElementsCloser[posturegen.Record](rc) {
				if err != nil {
					break
				}
				if n++; n == stopAfter {
					break
				}
			}
			returned <- n
		}()
		select {
		case n := <-returned:
			if n != stopAfter {
				t.Errorf("stopped after %d records, want %d", n, stopAfter)
			}
		case <-time.After(time.Minute): // a hang, not a speed check
			t.Fatal("the iteration did not return after break")
		}
		select {
		case <-rc.closed:
		default:
			t.Error("body not closed")
		}
	}
}

// TestGzipPipelineStalledBodyError: a body that stalls and is then closed
// by someone else (a cancelled request) ends the iteration with an error.
func TestGzipPipelineStalledBodyError(t *testing.T) {
	body, _ := posturegen.Generate(1 << 20)
	gz := gzipped(t, body)
	rc := &stallingBody{r: bytes.NewReader(gz[:len(gz)/2]), closed: make(chan struct{})}
	n := 0
	var got error
	for _, err := range ElementsCloser[posturegen.Record](rc) {
		if err != nil {
			got = err
			break
		}
		if n++; n == 10 {
			rc.Close()
		}
	}
	if got == nil || n < 10 {
		t.Fatalf("%d records, error %v", n, got)
	}
}

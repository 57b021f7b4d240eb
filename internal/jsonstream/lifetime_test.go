package jsonstream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// countingReader counts what is read from it and fails the test if it is
// read after being marked done.
type countingReader struct {
	t      *testing.T
	r      io.Reader
	n      atomic.Int64
	done   atomic.Bool
	closed atomic.Int32
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.done.Load() {
		c.t.Error("read after the iteration ended")
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error {
	c.closed.Add(1)
	return nil
}

func TestBreakStopsReading(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, form := range []string{"plain", "gzip"} {
		gen := posturegen.NewReader(1 << 30) // 1 GiB, made as it is read
		var src io.Reader = gen
		stop := func() {}
		if form == "gzip" {
			pr, pw := io.Pipe()
			go func() {
				zw := gzip.NewWriter(pw)
				_, err := io.Copy(zw, gen)
				if err == nil {
					err = zw.Close()
				}
				pw.CloseWithError(err)
			}()
			src = pr
			stop = func() { pr.Close() } // ends the compressing goroutine
		}
		body := &countingReader{t: t, r: src}
		n := 0
		for _, err := range Elements[posturegen.Record](body) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
		body.done.Store(true)
		stop()
		// Three records of about 4 KB sit in the first buffer fill.
		if got := body.n.Load(); got > 2*defaultBufferSize {
			t.Errorf("%s: read %d bytes for 3 records", form, got)
		}
	}
	waitForGoroutines(t, before)
}

// waitForGoroutines fails unless the goroutine count falls back to want
// (test goroutines such as the gzip pipe above take a moment to finish).
func waitForGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestElementsCloser(t *testing.T) {
	body := `[{"id":1},{"id":2},{"id":3}]`
	cases := map[string]struct {
		body string
		stop int // break after this many elements; 0 = range to the end
	}{
		"to the end":  {body, 0},
		"break":       {body, 1},
		"error":       {`[{"id":1},{"id":"x"}]`, 0},
		"not JSON":    {`<html>`, 0},
		"empty array": {`[]`, 0},
	}
	for name, c := range cases {
		rc := &countingReader{t: t, r: strings.NewReader(c.body)}
		n := 0
		for _, err := range ElementsCloser[struct{ ID int64 }](rc) {
			if err != nil {
				break
			}
			if n++; n == c.stop {
				break
			}
		}
		if got := rc.closed.Load(); got != 1 {
			t.Errorf("%s: closed %d times", name, got)
		}
	}

	// A panic in the loop body still closes the body.
	rc := &countingReader{t: t, r: strings.NewReader(body)}
	func() {
		defer func() { _ = recover() }()
		for range ElementsCloser[struct{ ID int64 }](rc) {
			panic("caller bug")
		}
	}()
	if rc.closed.Load() != 1 {
		t.Error("not closed after a panic in the loop")
	}
}

func TestSequenceIsSingleUse(t *testing.T) {
	rc := &countingReader{t: t, r: strings.NewReader(`[{"id":1},{"id":2}]`)}
	seq := ElementsCloser[struct{ ID int64 }](rc)
	first := collect[struct{ ID int64 }](t, seq)
	second := collect[struct{ ID int64 }](t, seq)
	if first.err != nil || len(first.values) != 2 {
		t.Fatalf("first range: %v, %v", first.values, first.err)
	}
	if second.err == nil || len(second.values) != 0 || !strings.Contains(second.err.Error(), "already used") {
		t.Fatalf("second range: %v, %v", second.values, second.err)
	}
	if rc.closed.Load() != 1 {
		t.Fatalf("closed %d times", rc.closed.Load())
	}
}

// TestOverHTTP serves posture bodies on loopback the ways a server can send
// them and decodes the raw response body, as the posture stream does.
func TestOverHTTP(t *testing.T) {
	body, n := posturegen.Generate(256 << 10)
	gz := gzipped(t, body)
	mux := http.NewServeMux()
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		writeChunked(w, body)
	})
	mux.HandleFunc("/gzip-no-header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json") // what PCRS does with compressionRequired=1
		writeChunked(w, gz)
	})
	mux.HandleFunc("/gzip-content-encoding", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		writeChunked(w, gz)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/plain", "/gzip-no-header", "/gzip-content-encoding"} {
		for _, transportGunzips := range []bool{true, false} {
			client := &http.Client{Transport: &http.Transport{DisableCompression: !transportGunzips}}
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			got := collect[posturegen.Record](t, ElementsCloser[posturegen.Record](resp.Body))
			if got.err != nil || len(got.values) != n {
				t.Errorf("%s (transport gunzips: %v): %d of %d records, %v", path, transportGunzips, len(got.values), n, got.err)
			}
			client.CloseIdleConnections()
		}
	}
}

func writeChunked(w http.ResponseWriter, b []byte) {
	for len(b) > 0 {
		k := min(len(b), 7000)
		if _, err := w.Write(b[:k]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		b = b[k:]
	}
}

// TestConnectionCutMidStream sends part of a chunked body and drops the
// connection, as a failing PCRS stream does: the records sent arrive,
// then an error matching io.ErrUnexpectedEOF.
func TestConnectionCutMidStream(t *testing.T) {
	body, n := posturegen.Generate(256 << 10)
	for name, payload := range map[string][]byte{"plain": body, "gzip": gzipped(t, body)} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = http.ReadRequest(bufio.NewReader(conn))
			w := bufio.NewWriter(conn)
			fmt.Fprint(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
			half := payload[:len(payload)/2]
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(half), half)
			w.Flush()
		}()
		resp, err := http.Get("http://" + ln.Addr().String() + "/pcrs/5.0/posture/postureInfo")
		if err != nil {
			t.Fatal(err)
		}
		got := collect[posturegen.Record](t, ElementsCloser[posturegen.Record](resp.Body))
		ln.Close()
		if !errors.Is(got.err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: error %v, want io.ErrUnexpectedEOF", name, got.err)
		}
		if len(got.values) == 0 || len(got.values) >= n {
			t.Errorf("%s: %d of %d records before the cut", name, len(got.values), n)
		}
	}
}

// TestReadErrorIsReported passes a reader error through, after the records
// read before it.
func TestReadErrorIsReported(t *testing.T) {
	errNetwork := errors.New("connection reset by peer")
	body, _ := posturegen.Generate(64 << 10)
	r := io.MultiReader(bytes.NewReader(body[:len(body)/2]), iotestErrReader{errNetwork})
	got := collect[posturegen.Record](t, Elements[posturegen.Record](r))
	if !errors.Is(got.err, errNetwork) || len(got.values) == 0 {
		t.Fatalf("%d records, error %v", len(got.values), got.err)
	}
	got = collect[posturegen.Record](t, Elements[posturegen.Record](iotestErrReader{errNetwork}))
	if !errors.Is(got.err, errNetwork) {
		t.Fatalf("error %v", got.err)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// Command streamfile decodes a posture-info JSON file (plain or gzip) in a
// fresh process and prints the record count, the decoding speed and the
// peak resident memory, for figures that a benchmark loop cannot give (cold
// caches, a fresh heap, the whole process's memory).
//
//	streamfile -gen posture.json -size 50        # write the generated data set
//	streamfile -gen posture.json.gz -size 50 -gzip
//	streamfile posture.json                      # stream as PostureStream does
//	streamfile -baseline posture.json            # io.ReadAll + encoding/json.Unmarshal
//
// It prints one line, e.g.
//
//	mode=stream file=posture.json records=16542 bytes=52429243 seconds=0.210 MB/s=249.7 peak_rss_MiB=14.2
//
// where bytes and MB/s count uncompressed JSON (MB = 10^6 bytes).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
	"github.com/qualyskit/qualys-go/internal/posturedecode"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

func main() {
	var (
		baseline = flag.Bool("baseline", false, "decode with the generated client's parser (io.ReadAll + encoding/json.Unmarshal)")
		gen      = flag.String("gen", "", "write the generated posture data set to this file and exit")
		sizeMB   = flag.Int("size", 50, "with -gen: minimum size of the JSON in MiB")
		gz       = flag.Bool("gzip", false, "with -gen: gzip the file, as PCRS does with compressionRequired=1")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: streamfile [-baseline] FILE | streamfile -gen FILE [-size MiB] [-gzip]\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	var err error
	switch {
	case *gen != "":
		err = generate(*gen, int64(*sizeMB)<<20, *gz)
	case flag.NArg() == 1:
		err = decode(flag.Arg(0), *baseline)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamfile:", err)
		os.Exit(1)
	}
}

func generate(path string, size int64, compress bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	r := posturegen.NewReader(size)
	n, err := io.Copy(w, r)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d records, %d bytes of JSON\n", path, r.Records(), n)
	return nil
}

func decode(path string, baseline bool) error {
	size, err := jsonSize(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	start := time.Now()
	var records int
	if baseline {
		records, err = decodeBaseline(f)
	} else {
		records, err = decodeStream(f)
	}
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	mode := "stream"
	if baseline {
		mode = "baseline"
	}
	fmt.Printf("mode=%s file=%s records=%d bytes=%d seconds=%.3f MB/s=%.1f peak_rss_MiB=%.1f\n",
		mode, path, records, size, elapsed.Seconds(), float64(size)/1e6/elapsed.Seconds(), peakRSS()/(1<<20))
	return nil
}

// decodeStream decodes as PostureStream does an HTTP body: the file is
// closed when the iteration ends (the deferred Close then has nothing to
// do), and a gzip file is inflated on a second goroutine.
func decodeStream(f *os.File) (int, error) {
	n := 0
	for _, err := range jsonstream.ElementsCloser[pcrs.PostureRecord](f, jsonstream.WithElementDecoder(posturedecode.NewElementDecoder)) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// decodeBaseline is the generated client's path: the response handed to
// the generated parser, which reads the whole body into memory and
// unmarshals it into a slice. A gzip file is decompressed first, as a
// caller of the generated client would have to.
func decodeBaseline(r io.Reader) (int, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, err
		}
		r = zr
	} else {
		r = br
	}
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(r)}
	parsed, err := pcrs.ParseGetPostureInfoV5Response(resp)
	if err != nil {
		return 0, err
	}
	if parsed.JSON200 == nil {
		return 0, fmt.Errorf("the generated parser decoded nothing")
	}
	return len(*parsed.JSON200), nil
}

// jsonSize returns the uncompressed size of the JSON in path: the file's
// size, or for gzip the size recorded in its trailer (modulo 4 GiB).
func jsonSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	magic := make([]byte, 2)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return st.Size(), nil
	}
	trailer := make([]byte, 4)
	if _, err := f.ReadAt(trailer, st.Size()-4); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(trailer)), nil
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes.
func peakRSS() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

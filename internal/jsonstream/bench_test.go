package jsonstream

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"sync"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// benchSize is the size of the generated posture array the benchmarks
// decode: at least 50 MB, like a large postureInfo answer.
const benchSize = 50 << 20

// benchData is generated once per test binary and shared by the benchmarks.
var benchData = sync.OnceValue(func() (d struct {
	plain, gz []byte
	records   int
}) {
	d.plain, d.records = posturegen.Generate(benchSize)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(d.plain); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	d.gz = buf.Bytes()
	return d
})

// BenchmarkBaselineReadAllUnmarshal is what a generated ClientWithResponses
// does: read the whole body, then encoding/json.Unmarshal into a slice.
func BenchmarkBaselineReadAllUnmarshal(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		body, err := io.ReadAll(bytes.NewReader(d.plain))
		if err != nil {
			b.Fatal(err)
		}
		var records []posturegen.Record
		if err := json.Unmarshal(body, &records); err != nil {
			b.Fatal(err)
		}
		if len(records) != d.records {
			b.Fatalf("decoded %d records, want %d", len(records), d.records)
		}
	}
}

// BenchmarkElementsPlain streams the plain body.
func BenchmarkElementsPlain(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		benchElements(b, d.plain, d.records)
	}
}

// BenchmarkElementsGzip streams the gzip body; bytes are counted
// uncompressed, so MB/s compares directly with the plain figures.
func BenchmarkElementsGzip(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		benchElements(b, d.gz, d.records)
	}
}

func benchElements(b *testing.B, body []byte, want int) {
	n := 0
	for _, err := range Elements[posturegen.Record](bytes.NewReader(body)) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != want {
		b.Fatalf("decoded %d records, want %d", n, want)
	}
}

// BenchmarkInflate compares the two gzip readers on the posture data
// alone: inflating the 50 MB body to io.Discard. Bytes count uncompressed
// JSON.
func BenchmarkInflate(b *testing.B) {
	d := benchData()
	readers := map[string]func(io.Reader) (io.Reader, error){
		"stdlib":    func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"klauspost": func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) },
	}
	for _, name := range []string{"stdlib", "klauspost"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(d.plain)))
			for b.Loop() {
				zr, err := readers[name](bytes.NewReader(d.gz))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, zr); err != nil || n != int64(len(d.plain)) {
					b.Fatalf("inflated %d bytes, %v", n, err)
				}
			}
		})
	}
}

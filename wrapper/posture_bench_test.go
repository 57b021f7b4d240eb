package qualys

import (
	"bytes"
	"compress/gzip"
	"context"
	"sync"
	"testing"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// benchPostureSize is the size of the posture array every benchmark
// decodes: a large postureInfo answer, at least 50 MiB.
const benchPostureSize = 50 << 20

var benchPosture = sync.OnceValue(func() (d struct {
	plain, gz []byte
	records   int
}) {
	d.plain, d.records = posturegen.Generate(benchPostureSize)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(d.plain)
	zw.Close()
	d.gz = buf.Bytes()
	return d
})

var benchRequest = postureRequest("4980343")

// BenchmarkPostureGenerated is the generated ClientWithResponses path:
// the whole body read, then decoded into a slice of records.
func BenchmarkPostureGenerated(b *testing.B) {
	d := benchPosture()
	c := benchClient(b, d.plain)
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		zero := pcrs.Toggle(0)
		resp, err := c.PCRS.GetPostureInfoV5WithResponse(context.Background(),
			&pcrs.GetPostureInfoV5Params{CompressionRequired: &zero}, benchRequest.Policies)
		if err != nil {
			b.Fatal(err)
		}
		if resp.JSON200 == nil || len(*resp.JSON200) != d.records {
			b.Fatalf("decoded %v records, want %d", resp.JSON200 != nil, d.records)
		}
	}
}

// BenchmarkPostureStreamPlain is PostureStream over the same plain body.
func BenchmarkPostureStreamPlain(b *testing.B) {
	d := benchPosture()
	benchStream(b, benchClient(b, d.plain), d.records, len(d.plain))
}

// BenchmarkPostureStreamGzip is PostureStream over the gzip body
// (compressionRequired=1). Bytes count uncompressed JSON, so MB/s compares
// directly with the plain figures.
func BenchmarkPostureStreamGzip(b *testing.B) {
	d := benchPosture()
	benchStream(b, benchClient(b, d.gz), d.records, len(d.plain))
}

func benchStream(b *testing.B, c *Client, want, size int) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range c.PostureStream(context.Background(), benchRequest) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != want {
			b.Fatalf("decoded %d records, want %d", n, want)
		}
	}
}

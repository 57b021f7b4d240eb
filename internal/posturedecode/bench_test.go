package posturedecode

import (
	"testing"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// BenchmarkDecodeElement measures the binding alone: records already split
// out of the array, as the tokenizer hands them over.
func BenchmarkDecodeElement(b *testing.B) {
	body, _ := posturegen.Generate(8 << 20)
	raws := elements(b, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	d := New()
	for b.Loop() {
		for _, raw := range raws {
			var r pcrs.PostureRecord
			if !d.DecodeElement(raw, &r) {
				b.Fatal("left the fast path")
			}
		}
	}
}

package qualys

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/qualyskit/qualys-go/gen/pcrs"
)

// The two peers below bracket PostureStream on the same bytes: the bare
// tokenizer is the ceiling any decoder built on jsontext can reach (it
// binds nothing), and the hand-written encoding/json stream is what a
// careful user would write without this SDK.

// BenchmarkPostureTokenScan walks the posture array with jsontext and
// skips each element: tokenizing and validating only.
func BenchmarkPostureTokenScan(b *testing.B) {
	d := benchPosture()
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		dec := jsontext.NewDecoder(bytes.NewReader(d.plain))
		if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
			b.Fatalf("want an array, got %v, %v", tok, err)
		}
		n := 0
		for dec.PeekKind() != ']' {
			if err := dec.SkipValue(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != d.records {
			b.Fatalf("scanned %d records, want %d", n, d.records)
		}
	}
}

// BenchmarkPostureEncodingJSONStream decodes the array one element at a
// time with encoding/json (Token, More, Decode) into the generated record.
func BenchmarkPostureEncodingJSONStream(b *testing.B) {
	d := benchPosture()
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(d.plain))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			b.Fatalf("want an array, got %v, %v", tok, err)
		}
		n := 0
		for dec.More() {
			var r pcrs.PostureRecord
			if err := dec.Decode(&r); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != d.records {
			b.Fatalf("decoded %d records, want %d", n, d.records)
		}
	}
}

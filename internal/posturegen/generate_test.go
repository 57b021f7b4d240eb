package posturegen

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

func TestGenerateIsValidAndDeterministic(t *testing.T) {
	data, n := Generate(1 << 20)
	if len(data) < 1<<20 || n == 0 {
		t.Fatalf("got %d bytes, %d records", len(data), n)
	}
	again, _ := Generate(1 << 20)
	if !bytes.Equal(data, again) {
		t.Fatal("two runs gave different bytes")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // every generated member has a Record field
	var records []Record
	if err := dec.Decode(&records); err != nil {
		t.Fatal(err)
	}
	if len(records) != n {
		t.Fatalf("decoded %d records, generator says %d", len(records), n)
	}
	r := records[len(records)-1]
	if r.CustomerID.String() != "1337821" || !r.CustomerID.Quoted() || r.CurrentDataSizeKB.String() == "" ||
		r.Evidence == nil || r.Technology == nil || r.Criticality == nil {
		t.Fatalf("record lacks sample fields: %+v", r)
	}
}

func TestReaderStreamsTheSameBytes(t *testing.T) {
	data, n := Generate(300 << 10)
	r := NewReader(300 << 10)
	var streamed bytes.Buffer
	buf := make([]byte, 777) // odd size: reads split records anywhere
	if _, err := io.CopyBuffer(&streamed, struct{ io.Reader }{r}, buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(streamed.Bytes(), data) || r.Records() != n {
		t.Fatalf("streamed %d bytes/%d records, generated %d/%d", streamed.Len(), r.Records(), len(data), n)
	}
}

func BenchmarkGenerate50MB(b *testing.B) {
	for b.Loop() {
		data, _ := Generate(50 << 20)
		b.SetBytes(int64(len(data)))
	}
}

package jsonstream

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// FuzzElements feeds arbitrary bodies to Elements. It must never panic,
// and it must agree with encoding/json about the payload (the body, or
// what its gzip stream holds):
//
//   - a valid array yields exactly its elements and no error;
//   - a valid object yields one element and no error;
//   - anything else (invalid JSON, scalars, trailing data, a damaged gzip
//     stream) ends in an error: never a silent result.
//
// Posture records are decoded too, for the struct, pointer and wire-type
// paths; they may fail on types, but not panic, and not yield more
// elements than the array holds.
func FuzzElements(f *testing.F) {
	sample := []byte("[" + sampleRecord + "]")
	generated, _ := posturegen.Generate(8 << 10)
	seeds := [][]byte{
		[]byte(`[]`),
		[]byte(` [ ] `),
		[]byte(`[{"id":1},{"id":2,"customerId":"7","currentDataSizeKB":"2.98"}]`),
		[]byte(`[1,"two",null,true,[3],{"four":4}]`),
		[]byte(`[[[[{"a":[[{}]]}]]]]`),
		[]byte(`{"id":5772988,"policyId":2641}`),
		sample,
		sample[:len(sample)/2],
		generated,
		gzipped(f, sample),
		gzipped(f, []byte(`[]`)),
		gzipped(f, generated)[:300],
		append(gzipped(f, []byte(`[{"id":1}]`)), gzipped(f, []byte(`[{"id":2}]`))...),
		[]byte("<!DOCTYPE html><html><body>503 Service Unavailable</body></html>"),
		[]byte(`<?xml version="1.0"?><SIMPLE_RETURN/>`),
		[]byte(`[{"id":1}] trailing`),
		[]byte("[{\"policyTitle\":\"\xff\xfe\",\"id\":1,\"ID\":2,\"id\":3}]"),
		[]byte(`null`),
		[]byte{0x1f},
		[]byte{0x1f, 0x8b},
		{},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, gzipOK := body, true
		if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
			payload, gzipOK = gunzipAll(body)
			if len(payload) > maxFuzzPayload {
				t.Skip("expands too far to be worth decoding here")
			}
		} else if len(body) == 1 && body[0] == 0x1f {
			gzipOK = false
		}

		raw := collect[jsontext.Value](t, Elements[jsontext.Value](bytes.NewReader(body)))
		want, wantOK := expectedElements(payload)
		switch {
		case !gzipOK || !wantOK:
			if raw.err == nil {
				t.Fatalf("invalid body %q accepted as %d elements", body, len(raw.values))
			}
		case raw.err != nil:
			t.Fatalf("valid body %q failed: %v", body, raw.err)
		case len(raw.values) != want:
			t.Fatalf("body %q: %d elements, want %d", body, len(raw.values), want)
		}
		if gzipOK && wantOK {
			compareValues(t, payload, body)
		}

		records := collect[*posturegen.Record](t, Elements[*posturegen.Record](bytes.NewReader(body)))
		if gzipOK && wantOK && len(records.values) > want {
			t.Fatalf("body %q: %d records from %d elements", body, len(records.values), want)
		}
	})
}

// compareValues checks that each element decodes to what encoding/json
// makes of it: as generic values, and as posture records when encoding/json
// accepts them.
func compareValues(t *testing.T, payload, body []byte) {
	t.Helper()
	// Generic values are compared for strict JSON (RFC 7493: no duplicate
	// names, valid UTF-8). With duplicate names, v2 merges the second
	// value into the first where encoding/json replaces it; that matters
	// for `any` only, never for the generated records compared below.
	if jsontext.Value(payload).IsValid() {
		wantAny := elementsOf[any](payload)
		gotAny := collect[any](t, Elements[any](bytes.NewReader(body)))
		if gotAny.err != nil {
			t.Fatalf("body %q: generic decode failed: %v", body, gotAny.err)
		}
		if diff := cmp.Diff(wantAny, gotAny.values, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("body %q: generic values differ from encoding/json (-want +got):\n%s", body, diff)
		}
	}
	wantRecs, ok := recordsOf(payload)
	if !ok {
		return
	}
	gotRecs := collect[*posturegen.Record](t, Elements[*posturegen.Record](bytes.NewReader(body)))
	if gotRecs.err != nil {
		t.Fatalf("body %q: encoding/json decodes the records, Elements fails: %v", body, gotRecs.err)
	}
	if diff := cmp.Diff(wantRecs, gotRecs.values, cmpWire, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("body %q: records differ from encoding/json (-want +got):\n%s", body, diff)
	}
}

// elementsOf decodes a valid array or lone object with encoding/json.
func elementsOf[T any](payload []byte) []T {
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	if trimmed[0] == '{' {
		var v T
		if json.Unmarshal(payload, &v) != nil {
			return nil
		}
		return []T{v}
	}
	var out []T
	_ = json.Unmarshal(payload, &out)
	return out
}

// recordsOf decodes the payload as posture records with encoding/json; ok
// is false when encoding/json refuses them.
func recordsOf(payload []byte) ([]*posturegen.Record, bool) {
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	if trimmed[0] == '{' {
		var v *posturegen.Record
		if json.Unmarshal(payload, &v) != nil {
			return nil, false
		}
		return []*posturegen.Record{v}, true
	}
	var out []*posturegen.Record
	if json.Unmarshal(payload, &out) != nil {
		return nil, false
	}
	return out, true
}

// expectedElements reports what encoding/json makes of a payload: the
// number of elements of a valid array, 1 for a valid object, and false for
// anything else.
func expectedElements(payload []byte) (int, bool) {
	if !json.Valid(payload) {
		return 0, false
	}
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	switch trimmed[0] {
	case '{':
		return 1, true
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(payload, &elems); err != nil {
			return 0, false
		}
		return len(elems), true
	}
	return 0, false
}

// gunzipAll decompresses a whole gzip body (all members), reporting
// whether it was intact.
func gunzipAll(body []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxFuzzPayload+1))
	return out, err == nil
}

// maxFuzzPayload bounds what a fuzzed gzip body may expand to.
const maxFuzzPayload = 4 << 20

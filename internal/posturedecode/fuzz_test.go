package posturedecode

import (
	"bytes"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// FuzzDecodeElement checks the fast path against the general rules on
// arbitrary records: whenever it takes an element, the value must be the
// one the general decoder gives (and encoding/json, where it accepts the
// element). Inputs that are not one valid JSON value are skipped, since
// the tokenizer never hands those over.
func FuzzDecodeElement(f *testing.F) {
	generated, _ := posturegen.Generate(4 << 10)
	for _, raw := range bytes.SplitAfter(generated, []byte("}, {")) {
		f.Add(raw)
	}
	for _, seed := range []string{
		`{"id":1,"ID":2}`,
		`{"Id":346,"policyTitle":"t","technology":{"id":1},"id":null,"POLICYTITLE":null,"technology":null}`,
		`{"policyTitle":"\u00e9\ud83d\ude00","netBios":"\ud800"}`,
		`{"userDefinedAttributesList":[{"k":[1,{"a":null}]},"x"],"criticality":{"label":"L","value":-2}}`,
		"{\"policyTitle\":\"\xff\"}",
		`{"evidence":{"currentValues":["a","b"],"actualValues":{"x":[1]}},"causeOfFailure":{"missing":["m"]}}`,
		`{"currentDataSizeKB":"2.98","totalDataSizeKB":1e3,"currentBatch":"7","created":"2024-10-04T09:47:33Z"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
		val, err := dec.ReadValue()
		if err != nil {
			t.Skip()
		}
		if _, err := dec.ReadToken(); err == nil {
			t.Skip() // more than one value
		}
		differential(t, val)
	})
}

// FuzzDecodePrefix checks DecodePrefix, which gets bytes nothing has
// validated, against the tokenizer: whatever it takes must be one JSON
// value the tokenizer accepts, decoded to the general decoder's value;
// no prefix of that value may be taken; and it takes every record that
// DecodeElement takes once validated.
func FuzzDecodePrefix(f *testing.F) {
	generated, _ := posturegen.Generate(4 << 10)
	for _, raw := range bytes.SplitAfter(generated, []byte("}, {")) {
		f.Add(raw)
	}
	for _, seed := range []string{
		`{"id":1,"x":[1,{"a":"\u0041"}]}`,
		`{"policyTitle":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","netBios":"\ud800"}`,
		`{"id":01}`,
		"{\"policyTitle\":\"a\tb\"}",
		`{"other":[1,]}`,
		`{"other":tru}`,
		`{"id":1} trailing`,
		`{"currentDataSizeKB":"2.98","totalDataSizeKB":1e3,"created":"2024-10-04T09:47:33Z"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var r pcrs.PostureRecord
		n, ok, more := New().DecodePrefix(raw, &r)
		if ok && more {
			t.Fatalf("%q: taken and cut at once", raw)
		}
		if !ok {
			// A value the tokenizer accepts whole and DecodeElement
			// takes must be taken.
			if v, valid := oneValue(raw); valid && bytes.Equal(v, raw) && New().DecodeElement(v, new(pcrs.PostureRecord)) {
				t.Fatalf("%q: DecodeElement takes it, DecodePrefix does not", raw)
			}
			return
		}
		if v, valid := oneValue(raw[:n]); !valid || !bytes.Equal(v, bytes.TrimLeft(raw[:n], " \t\r\n")) {
			t.Fatalf("%q: took %q, which the tokenizer refuses", raw, raw[:n])
		}
		var general pcrs.PostureRecord
		if err := jsonv2.Unmarshal(raw[:n], &general, generalRules); err != nil {
			t.Fatalf("%q: taken, but the general rules fail: %v", raw[:n], err)
		}
		if diff := cmp.Diff(general, r, seeAll); diff != "" {
			t.Fatalf("%q: differs from the general rules (-general +prefix):\n%s", raw[:n], diff)
		}
		// Every cut of a short value, some hundreds of a long one.
		for cut := 0; cut < n; cut += 1 + n/256 {
			var cutRec pcrs.PostureRecord
			if _, ok, more := New().DecodePrefix(raw[:cut], &cutRec); ok || !more {
				t.Fatalf("%q cut at %d: taken %v, more %v; want not taken, more", raw[:n], cut, ok, more)
			}
		}
	})
}

// oneValue reads the JSON value at the start of raw with the tokenizer
// under jsonstream's rules and returns its text.
func oneValue(raw []byte) ([]byte, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	v, err := dec.ReadValue()
	return v, err == nil
}

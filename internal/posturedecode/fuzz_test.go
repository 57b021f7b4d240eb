package posturedecode

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

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

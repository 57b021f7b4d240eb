package posturedecode

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

// generalRules are jsonstream's decoding rules, the reference the fast
// path must reproduce.
var generalRules = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv2.RejectUnknownMembers(false),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv1.MergeWithLegacySemantics(true),
)

var seeAll = cmp.Exporter(func(reflect.Type) bool { return true })

// elements splits a JSON array into its elements' raw text.
func elements(t testing.TB, body []byte) [][]byte {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	raws := make([][]byte, len(out))
	for i, r := range out {
		raws[i] = r
	}
	return raws
}

// TestGeneratedRecordsTakeTheFastPath decodes the generated data set, in
// the forms Qualys sends, and checks that every record decodes without the
// general decoder and to the value the general decoder and encoding/json
// give.
func TestGeneratedRecordsTakeTheFastPath(t *testing.T) {
	body, n := posturegen.Generate(512 << 10)
	d := New()
	for i, raw := range elements(t, body) {
		var fast, general, v1 pcrs.PostureRecord
		if !d.DecodeElement(raw, &fast) {
			t.Fatalf("record %d left the fast path:\n%s", i, raw)
		}
		if err := jsonv2.Unmarshal(raw, &general, generalRules); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &v1); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(general, fast, seeAll); diff != "" {
			t.Fatalf("record %d: fast path differs from the general rules (-general +fast):\n%s", i, diff)
		}
		if diff := cmp.Diff(v1, fast, seeAll); diff != "" {
			t.Fatalf("record %d: fast path differs from encoding/json (-v1 +fast):\n%s", i, diff)
		}
	}
	if n < 50 {
		t.Fatalf("only %d records generated", n)
	}
}

// differential decodes one element both ways and fails on any difference
// in value or in error.
func differential(t *testing.T, raw []byte) (fastTaken bool) {
	t.Helper()
	var fast, general pcrs.PostureRecord
	fastTaken = New().DecodeElement(raw, &fast)
	generalErr := jsonv2.Unmarshal(raw, &general, generalRules)
	if !fastTaken {
		return false
	}
	if generalErr != nil {
		t.Fatalf("%s: fast path accepted what the general rules reject: %v", raw, generalErr)
	}
	if diff := cmp.Diff(general, fast, seeAll); diff != "" {
		t.Fatalf("%s: fast path differs from the general rules (-general +fast):\n%s", raw, diff)
	}
	var v1 pcrs.PostureRecord
	if err := json.Unmarshal(raw, &v1); err == nil {
		if diff := cmp.Diff(v1, fast, seeAll); diff != "" {
			t.Fatalf("%s: fast path differs from encoding/json (-v1 +fast):\n%s", raw, diff)
		}
	}
	return true
}

func TestDecodingRules(t *testing.T) {
	cases := []struct {
		name string
		json string
		fast bool // whether the fast path must take it
	}{
		{"case-insensitive names", `{"ID":1,"PolicyId":2,"POLICYTITLE":"t","Technology":{"NAME":"n"},"customerid":"5"}`, true},
		{"folded unicode", `{"ſtatus":"Passed","ip":"x"}`, true}, // U+017F folds to s
		{"delimiters count", `{"cloud_resource_id":"a","cloudMetaData":{"CLOUDRESOURCEID":"c","cloud_resource_id":"d"},"cloudresourceid":"x"}`, true},
		{"unknown members", `{"id":1,"qdScore":87,"newField":{"a":[1,2,{"b":"}]"}]},"x":"y\"z"}`, true},
		{"escapes", `{"policyTitle":"\u00e9\ud83d\ude00\t\"\\\/","netBios":"caf\u00e9"}`, true},
		{"escaped name", `{"pol\u0069cyTitle":"t"}`, true},
		{"raw UTF-8", `{"netBios":"café","policyTitle":"Zürich — ` + strings.Repeat("ü", 40) + `"}`, true},
		{"every escape", `{"policyTitle":"\"\\\/\b\f\n\r\t\u0000\u001F\u20AC\uD834\uDD1E\uFFFD x"}`, true},
		{"reversed surrogates", `{"policyTitle":"\udd1e\ud834"}`, false},
		{"nulls", `{"id":null,"policyTitle":null,"customerId":null,"technology":null,"evidence":{"currentValues":null},"criticality":null,"cloudMetaData":null,"causeOfFailure":null}`, true},
		{"raw fields", `{"controlReference":{"cis":["1.1",2]},"evidence":{"actualValues":[1.5,"x",true,null],"directoryFimUdc":null},"causeOfFailure":{"missing":[ "a" ],"unexpected":null}}`, true},
		{"empty lists", `{"userDefinedAttributesList":[],"evidence":{"currentValues":[]}}`, true},
		{"white space", " {\n\t\"id\" : 1 ,\r\n \"criticality\" : { \"label\" : \"LOW\" , \"value\" : -3 } , \"evidence\" : { \"currentValues\" : [ \"a\" , \"b\" ] } } ", true},
		{"empty object", `{}`, true},
		{"ids both ways", `{"id":"19029070","hostId":4980343,"customerId":"","assetId":null,"technology":{"id":"346"}}`, true},
		{"dates", `{"firstFailDate":"","lastFailDate":null,"created":"2024-12-11T02:17:19.5+01:00","lastPassDate":"2024-02-29T23:59:59Z"}`, true},
		{"dates in other forms", `{"firstPassDate":"2024-12-11T02:17:19+00:00","created":"2024-12-11T02:17:19.000Z"}`, true},
		{"lower-case z", `{"created":"2024-12-11T02:17:19z"}`, false},
		{"february 29 of a common year", `{"created":"2023-02-29T00:00:00Z"}`, false},
		{"day 31 of a short month", `{"created":"2024-04-31T00:00:00Z"}`, false},
		{"hour 24", `{"created":"2024-04-30T24:00:00Z"}`, false},
		{"second 60", `{"created":"2024-04-30T23:59:60Z"}`, false},
		{"century leap years", `{"created":"2000-02-29T00:00:00Z","lastPassDate":"2100-02-28T00:00:00Z"}`, true},
		{"1900 was not a leap year", `{"created":"1900-02-29T00:00:00Z"}`, false},
		{"counts and decimals", `{"currentBatch":"1","totalBatches":42,"currentDataSizeKB":"1.43","totalDataSizeKB":568.93}`, true},

		{"duplicate names", `{"id":1,"id":2}`, false},
		{"folded duplicate", `{"technology":{"id":1},"Technology":{"name":"n"}}`, false},
		{"invalid UTF-8", "{\"policyTitle\":\"bad \xff byte\"}", false},
		{"lone surrogate", `{"netBios":"\ud800 lone"}`, false},
		{"attributes", `{"userDefinedAttributesList":[{"k":"v","n":[1.5e3,-0,true,false,null,{}],"k":"w"},"x",[]]}`, true},
		{"attribute list not a list", `{"userDefinedAttributesList":{"k":"v"}}`, false},
		{"huge number", `{"userDefinedAttributesList":[1e999]}`, false},
		{"null in a list", `{"evidence":{"currentValues":["a",null]}}`, false},
		{"wrong type", `{"policyTitle":5}`, false},
		{"fraction", `{"criticality":{"value":1.5}}`, false},
		{"int32 overflow", `{"criticality":{"value":2147483648}}`, false},
		{"bad id", `{"customerId":1.5}`, false},
		{"bad date", `{"created":"yesterday"}`, false},
		{"not an object", `[1]`, false},
		{"null record", `null`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := differential(t, []byte(c.json)); got != c.fast {
				t.Errorf("fast path taken = %v, want %v", got, c.fast)
			}
		})
	}
}

// TestStreamEqualsGeneralDecoder runs jsonstream with and without the
// decoder over bodies that mix fast and slow records, errors included.
func TestStreamEqualsGeneralDecoder(t *testing.T) {
	generated, _ := posturegen.Generate(256 << 10)
	bodies := []string{
		string(generated),
		`[{"id":1},{"id":1,"id":2},{"policyTitle":"x"},{"userDefinedAttributesList":[1]},{"id":3}]`,
		`[{"id":1},{"customerId":1.5},{"id":3}]`,
		`[{"id":1},{"criticality":{"value":"high"}}]`,
		`{"id":7,"status":"Passed"}`,
		`[{"id":1},5]`,
	}
	for _, body := range bodies {
		type result struct {
			records []pcrs.PostureRecord
			err     string
		}
		run := func(opts ...jsonstream.Option) (r result) {
			for rec, err := range jsonstream.Elements[pcrs.PostureRecord](strings.NewReader(body), opts...) {
				if err != nil {
					r.err = err.Error()
					break
				}
				r.records = append(r.records, rec)
			}
			return r
		}
		want := run()
		got := run(jsonstream.WithElementDecoder(NewElementDecoder))
		if diff := cmp.Diff(want, got, seeAll, cmp.AllowUnexported(result{})); diff != "" {
			t.Errorf("body %.80q: differs (-general +fast):\n%s", body, diff)
		}
	}
}

func TestInternTableIsBounded(t *testing.T) {
	var tab internTable
	for i := range 3 * internMaxEntries {
		s := tab.get([]byte(strings.Repeat("x", i%300) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)))
		if s == "" {
			t.Fatal("empty string for non-empty bytes")
		}
		if len(tab.m) > internMaxEntries || tab.bytes > internMaxBytes {
			t.Fatalf("table holds %d entries, %d bytes", len(tab.m), tab.bytes)
		}
	}
	a := tab.get([]byte("repeated"))
	b := tab.get([]byte("repeated"))
	if a != b || len(tab.m) == 0 {
		t.Fatal("a repeated string was not interned")
	}
	long := bytes.Repeat([]byte("z"), internMaxLen+1)
	before := len(tab.m)
	if tab.get(long) != string(long) || len(tab.m) != before {
		t.Fatal("an over-long string entered the table")
	}
}

// TestDecodePrefixCuts: a record cut anywhere is not taken and asks for
// more input; a record that cannot be whole, whatever follows, does not.
func TestDecodePrefixCuts(t *testing.T) {
	whole := `{"policyTitle":"a\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t z","id":7,"other":-12.5e3,"x":[true,false,null,{"k":"v"}],"created":"2024-10-04T09:47:33Z"}`
	d := New()
	var r pcrs.PostureRecord
	if n, ok, more := d.DecodePrefix([]byte(whole+" ,{"), &r); !ok || more || n != len(whole) {
		t.Fatalf("whole record: n %d, ok %v, more %v; want %d, true, false", n, ok, more, len(whole))
	}
	for cut := range len(whole) {
		if _, ok, more := d.DecodePrefix([]byte(whole[:cut]), &r); ok || !more {
			t.Fatalf("cut at %d (%q): ok %v, more %v; want false, true", cut, whole[:cut], ok, more)
		}
	}
	for _, bad := range []string{
		`{"policyTitle":"\ud800"`, // a lone surrogate, whatever follows
		`{"policyTitle":"\ud800\u00`,
		`{"policyTitle":"\u12G`,
		`{"policyTitle":"\x`,
		"{\"policyTitle\":\"a\x01",
		`{"id":01`,
		`{"other":nul}`,
		`{"other":[1,]`,
	} {
		if _, ok, more := d.DecodePrefix([]byte(bad), &r); ok || more {
			t.Errorf("%q: ok %v, more %v; want false, false", bad, ok, more)
		}
	}
}

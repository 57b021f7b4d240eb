package jsonstream

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/qualyskit/qualys-go/internal/posturegen"
	"github.com/qualyskit/qualys-go/wire"
)

// sampleRecord is the first postureInfo 3.0 record of the Qualys Release
// 10.31 notes (cloud metadata sample), as printed there.
const sampleRecord = `{
"id": 19029070,
"instance": "os",
"policyId": 1438626,
"policyTitle": "CPS -Test",
"netBios": "INSTANCE-20240223-173020",
"controlId": 1131,
"controlStatement": "Status of the 'Trivial File Transfer Protocol (TFTP)' service",
"rationale": "The 'TFTP' service is both a command and TCP protocol that is normally used only for booting diskless workstations.",
"remediation": "Review \"/etc/inetd.conf\" file to check whether tftp service's configuration in line with business needs and organization's security policies.\n\nExample: To disable the tftp service,\n\nRemove or comment out any tftp lines in /etc/inetd.conf: \n# tftp stream tcp nowait root internal",
"category": "Services",
"subCategory": "Guidelines/Procedures (Services)",
"controlReference": null,
"technologyId": 346,
"status": "Passed",
"previousStatus": "Passed",
"firstFailDate": "",
"lastFailDate": "",
"firstPassDate": "2024-10-04T09:47:33Z",
"lastPassDate": "2024-10-04T09:47:33Z",
"postureModifiedDate": "2024-10-04T09:47:33Z",
"lastEvaluatedDate": "2024-10-04T09:47:33Z",
"created": "2024-11-12T06:20:49Z",
"hostId": 4980343,
"ip": "34.133.253.84",
"trackingMethod": "AGENT",
"os": "Debian Linux 11.1",
"osCpe": null,
"domainName": "179.87.224.35.bc.googleusercontent.com",
"dns": "179.87.224.35.bc.googleusercontent.com",
"qgHostid": "4bd9e81e-12f8-4d8f-a51d-c475131a55b8",
"networkId": 0,
"networkName": "Global Default Network",
"complianceLastScanDate": "2024-10-04T09:39:21Z",
"customerUuid": "93f7ad53-1590-e3ac-83cd-322b91180e13",
"customerId": "1337821",
"assetId": 42078290,
"technology": {
"id": 346,
"name": "Debian GNU/Linux 11.x"
},
"criticality": {
"label": "SERIOUS",
"value": 3
},
"evidence": {
"expectedValues": "\nDisabled (0)\n------------ OR ------------\nEnabled (1)\n------------ OR ------------\nSetting not found\n------------ OR ------------\nFile not found",
"currentValues": [
"File not found"
],
"actualValues": null,
"directoryFimUdc": null,
"lastUpdated": "2024-10-04T09:39:21Z",
"extendedEvidence": "Row 1:\n"
},
"causeOfFailure": null,
"userDefinedAttributesList": null,
"currentDataSizeKB": "2.98",
"totalDataSizeKB": "27.09",
"currentBatch": 1,
"totalBatches": 1,
"cloudMetaData": {
"cloudProvider": "GCP",
"cloudService": "Compute Engine",
"cloudResourceId": "2182777093928348127",
"cloudResourceType": "Instance",
"cloudAccountId": "175127636344",
"cloudImageId": null,
"cloudResourceMetadata": "{'Public IP Address':'35.224.87.179', 'Zone':'null'}"
},
"CLOUD_RESOURCE_ID": "2182777093928348127"
}`

// cmpWire lets go-cmp compare the wire types, whose fields are unexported.
var cmpWire = cmp.AllowUnexported(wire.ID{}, wire.Decimal{}, wire.Base64{}, wire.Flag{})

// result is what one range over a sequence produced.
type result[T any] struct {
	values []T
	err    error
}

// collect ranges over seq and checks the iterator's contract: at most one
// error, and nothing after it.
func collect[T any](t testing.TB, seq func(func(T, error) bool)) result[T] {
	t.Helper()
	var r result[T]
	for v, err := range seq {
		if r.err != nil {
			t.Fatalf("yielded again after the error %v", r.err)
		}
		if err != nil {
			r.err = err
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *jsonstream.Error", err)
			}
			continue
		}
		r.values = append(r.values, v)
	}
	return r
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeV1 is the reference: what encoding/json makes of the whole array.
func decodeV1[T any](t testing.TB, body []byte) []T {
	t.Helper()
	var out []T
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return out
}

func TestElementsMatchesEncodingJSON(t *testing.T) {
	generated, n := posturegen.Generate(1 << 20)
	bodies := map[string][]byte{
		"sample":              []byte("[ " + sampleRecord + "\n]\n"),
		"sample twice":        []byte("[" + sampleRecord + "," + sampleRecord + "]"),
		"generated":           generated,
		"generated, indented": indent(t, generated),
	}
	for name, body := range bodies {
		want := decodeV1[posturegen.Record](t, body)
		for form, raw := range map[string][]byte{"plain": body, "gzip": gzipped(t, body)} {
			got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(raw)))
			if got.err != nil {
				t.Fatalf("%s, %s: %v", name, form, got.err)
			}
			if diff := cmp.Diff(want, got.values, cmpWire); diff != "" {
				t.Errorf("%s, %s: differs from encoding/json (-want +got):\n%s", name, form, diff)
			}
		}
	}
	if len(decodeV1[posturegen.Record](t, generated)) != n {
		t.Fatal("generator miscounted its records")
	}
}

func indent(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "\t", "  "); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSampleFields(t *testing.T) {
	got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader("["+sampleRecord+"]")))
	if got.err != nil || len(got.values) != 1 {
		t.Fatalf("got %d records, %v", len(got.values), got.err)
	}
	r := got.values[0]
	if r.CustomerID != wire.IDFromString("1337821") {
		t.Errorf("customerId = %#v", r.CustomerID)
	}
	if r.CurrentDataSizeKB.String() != "2.98" || r.TotalDataSizeKB == nil || r.TotalDataSizeKB.String() != "27.09" {
		t.Errorf("sizes = %v, %v", r.CurrentDataSizeKB, r.TotalDataSizeKB)
	}
	if r.FirstFailDate == nil || *r.FirstFailDate != "" || r.OSCpe != nil {
		t.Errorf("empty and null strings: %v, %v", r.FirstFailDate, r.OSCpe)
	}
	if r.CloudResourceID == nil || *r.CloudResourceID != "2182777093928348127" ||
		r.CloudMetaData == nil || *r.CloudMetaData.CloudResourceID != "2182777093928348127" {
		t.Errorf("cloud resource ids: %v, %+v", r.CloudResourceID, r.CloudMetaData)
	}
	if r.Evidence == nil || !strings.Contains(*r.Evidence.ExpectedValues, "\n------------ OR ------------\n") {
		t.Errorf("evidence = %+v", r.Evidence)
	}
}

func TestEmptyArray(t *testing.T) {
	for _, body := range []string{`[]`, ` [ ] `, "\n[\n]\n", "[]\r\n\t "} {
		for form, raw := range map[string][]byte{"plain": []byte(body), "gzip": gzipped(t, []byte(body))} {
			got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(raw)))
			if got.err != nil || len(got.values) != 0 {
				t.Errorf("%q %s: %d values, %v", body, form, len(got.values), got.err)
			}
		}
	}
}

func TestSingleObjectIsOneElement(t *testing.T) {
	got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader("\n"+sampleRecord+"\n")))
	if got.err != nil || len(got.values) != 1 || got.values[0].ID != 19029070 {
		t.Fatalf("got %d values, %v", len(got.values), got.err)
	}
	// Only one object: a second is trailing data.
	got = collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(`{"id":1} {"id":2}`)))
	if len(got.values) != 1 || got.err == nil {
		t.Fatalf("two objects: %d values, %v", len(got.values), got.err)
	}
}

// TestTruncatedBodies cuts a body at every byte before its end: each cut
// must end in an error matching io.ErrUnexpectedEOF, after exactly the
// elements that were complete, and never in a silent short result.
func TestTruncatedBodies(t *testing.T) {
	body := []byte(`[{"id":1,"policyTitle":"a \"b\"\nc","technology":{"id":2,"name":"x"}},` +
		"\n" + `{"id":2,"customerId":"9","currentDataSizeKB":"2.5","evidence":{"currentValues":["x","y"]}}, {"id":3}]`)
	full := decodeV1[posturegen.Record](t, body)
	// ends[i] is the offset just past element i.
	ends := []int{bytes.Index(body, []byte(`}},`)) + 2, bytes.Index(body, []byte(`]}},`)) + 3, bytes.LastIndex(body, []byte(`}`)) + 1}
	for cut := 0; cut < len(body); cut++ {
		got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(body[:cut])))
		complete := 0
		for _, end := range ends {
			if cut >= end {
				complete++
			}
		}
		if !errors.Is(got.err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: error %v, want io.ErrUnexpectedEOF", cut, got.err)
		}
		if diff := cmp.Diff(full[:complete], got.values, cmpWire, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("cut at %d: values (-want +got):\n%s", cut, diff)
		}
		var e *Error
		if !errors.As(got.err, &e) || e.Index != complete {
			t.Fatalf("cut at %d: Index = %d, want %d", cut, e.Index, complete)
		}
	}
}

// TestTruncatedGzip cuts a gzip body at every byte: header, compressed
// data and trailer (checksum and size). Every cut is an error.
func TestTruncatedGzip(t *testing.T) {
	body, n := posturegen.Generate(20 << 10)
	gz := gzipped(t, body)
	for cut := 0; cut < len(gz); cut++ {
		got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(gz[:cut])))
		if !errors.Is(got.err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d of %d: error %v, want io.ErrUnexpectedEOF", cut, len(gz), got.err)
		}
		if len(got.values) > n {
			t.Fatalf("cut at %d: %d values from %d records", cut, len(got.values), n)
		}
		if cut > 2 && !strings.Contains(got.err.Error(), "gzip") {
			t.Fatalf("cut at %d: error %q does not name gzip", cut, got.err)
		}
	}
}

func TestCorruptGzip(t *testing.T) {
	body, _ := posturegen.Generate(20 << 10)
	gz := gzipped(t, body)
	gz[len(gz)-6] ^= 0xff // the CRC-32 in the trailer
	got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(gz)))
	if !errors.Is(got.err, gzip.ErrChecksum) {
		t.Fatalf("error %v, want gzip.ErrChecksum", got.err)
	}
}

func TestNotJSON(t *testing.T) {
	html := "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body>" +
		strings.Repeat("The server is busy. ", 50) + "</body></html>"
	cases := []struct {
		name, body, want string
	}{
		{"html", html, `found HTML or XML starting "<!DOCTYPE html>\n<html><head><title>503 Service U"...`},
		{"xml", `<?xml version="1.0"?><SIMPLE_RETURN><RESPONSE><CODE>1965</CODE></RESPONSE></SIMPLE_RETURN>`, `found HTML or XML starting "<?xml`},
		{"text", "Service Unavailable\r\n", `found text starting "Service Unavailable\r\n"`},
		{"control bytes", "\x00\x01\x1b[31mred", `found text starting "\x00\x01\x1b[31mred"`},
		{"json string", `"Invalid input Parameter."`, `found a JSON string starting`},
		{"json null", `null`, `found a JSON null or text starting "null"`},
		{"json number", ` 42`, `found a JSON number or text starting "42"`},
		{"json bool", `true`, `found a JSON boolean or text`},
		{"byte order mark", "\ufeff[]", `found text starting "\ufeff[]"`},
	}
	for _, c := range cases {
		for form, raw := range map[string][]byte{"plain": []byte(c.body), "gzip": gzipped(t, []byte(c.body))} {
			got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(raw)))
			if !errors.Is(got.err, ErrNotArray) || len(got.values) != 0 {
				t.Errorf("%s, %s: %d values, error %v, want ErrNotArray", c.name, form, len(got.values), got.err)
				continue
			}
			if msg := got.err.Error(); !strings.Contains(msg, c.want) || len(msg) > 160 {
				t.Errorf("%s, %s: error %q, want it short and containing %q", c.name, form, msg, c.want)
			}
		}
	}
}

func TestEmptyBody(t *testing.T) {
	for name, raw := range map[string][]byte{"empty": nil, "blank": []byte(" \n\t"), "empty gzip": gzipped(t, nil)} {
		got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(raw)))
		if !errors.Is(got.err, ErrNotArray) || !errors.Is(got.err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: error %v, want ErrNotArray and io.ErrUnexpectedEOF", name, got.err)
		}
	}
}

func TestTrailingData(t *testing.T) {
	cases := map[string][]byte{
		"garbage":          []byte(`[{"id":1}] x`),
		"second array":     []byte(`[{"id":1}] []`),
		"extra bracket":    []byte(`[{"id":1}]]`),
		"html after":       []byte("[{\"id\":1}]\n<html>"),
		"gzip then text":   append(gzipped(t, []byte(`[{"id":1}]`)), "trailing text after the stream"...),
		"two gzip members": append(gzipped(t, []byte(`[{"id":1}]`)), gzipped(t, []byte(`[{"id":2}]`))...),
	}
	for name, raw := range cases {
		got := collect[posturegen.Record](t, Elements[posturegen.Record](bytes.NewReader(raw)))
		if got.err == nil || len(got.values) != 1 {
			t.Errorf("%s: %d values, error %v; want 1 value, then an error", name, len(got.values), got.err)
		}
	}
	// Whitespace is not trailing data.
	got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader("[{\"id\":1}] \r\n\t\n")))
	if got.err != nil || len(got.values) != 1 {
		t.Errorf("trailing whitespace: %d values, %v", len(got.values), got.err)
	}
}

func TestElementErrorStopsWithIndex(t *testing.T) {
	cases := map[string]string{
		"id":          `[{"id":1},{"id":2},{"id":"three"},{"id":4}]`,
		"customerId":  `[{"id":1},{"id":2},{"id":3,"customerId":1.5},{"id":4}]`,
		"nested":      `[{"id":1},{"id":2},{"id":3,"technology":{"id":[]}},{"id":4}]`,
		"not object":  `[{"id":1},{"id":2},"three",{"id":4}]`,
		"size":        `[{"id":1},{"id":2},{"id":3,"currentDataSizeKB":true},{"id":4}]`,
		"bad literal": `[{"id":1},{"id":2},{"id":tru},{"id":4}]`,
	}
	for name, body := range cases {
		got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(body)))
		var e *Error
		if !errors.As(got.err, &e) || e.Index != 2 || len(got.values) != 2 {
			t.Errorf("%s: %d values, error %v; want 2 values, then an error at element 2", name, len(got.values), got.err)
			continue
		}
		if !strings.Contains(got.err.Error(), "element 2") {
			t.Errorf("%s: error %q does not name element 2", name, got.err)
		}
	}
	// The wire type's own message comes through.
	got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(cases["customerId"])))
	if !strings.Contains(got.err.Error(), "wire: id must be a string or an integer, got 1.5") {
		t.Errorf("error %q lacks the wire message", got.err)
	}
}

// TestDecodingRulesMatchEncodingJSON covers the v1-compatible options:
// each body must decode exactly as encoding/json decodes it.
func TestDecodingRulesMatchEncodingJSON(t *testing.T) {
	bodies := map[string]string{
		"case-insensitive names": `[{"ID":1,"PolicyId":2,"POLICYTITLE":"t","Technology":{"NAME":"n"},"customerid":"5"}]`,
		"exact match wins":       `[{"policytitle":"folded","policyTitle":"exact"},{"policyTitle":"exact","policytitle":"folded"}]`,
		"delimiters count":       `[{"cloud_resource_id":"a","cloudResourceId":"b"},{"CLOUDRESOURCEID":"c"},{"Cloud_Resource_Id":"d","Cloud-Resource-Id":"e"}]`,
		"unknown members":        `[{"id":1,"qdScore":87,"newField":{"a":[1,2,{"b":null}]},"x":"y"}]`,
		"duplicate names":        `[{"id":1,"id":2,"customerId":"1","customerId":2,"technology":{"id":1},"technology":{"name":"n"}}]`,
		"duplicate then null":    `[{"Id":346,"policyTitle":"t","dns":"h","technology":{"id":1},"id":null,"POLICYTITLE":null,"dns":null,"technology":null}]`,
		"invalid UTF-8":          "[{\"policyTitle\":\"bad \xff\xfe byte\",\"netBios\":\"cut \xe2\x82\",\"customerId\":\"\xc3\"}]",
		"escapes":                `[{"policyTitle":"\u00e9\ud83d\ude00\t\"\\\/","netBios":"\ud800 lone"}]`,
		"nulls":                  `[{"id":null,"policyTitle":null,"customerId":null,"technology":null,"evidence":{"currentValues":null}}]`,
		"any fields":             `[{"controlReference":{"cis":["1.1",2]},"evidence":{"actualValues":[1.5,"x",true,null]}}]`,
	}
	for name, body := range bodies {
		want := decodeV1[posturegen.Record](t, []byte(body))
		got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(body)))
		if got.err != nil {
			t.Errorf("%s: %v", name, got.err)
			continue
		}
		if diff := cmp.Diff(want, got.values, cmpWire); diff != "" {
			t.Errorf("%s: differs from encoding/json (-want +got):\n%s", name, diff)
		}
	}
}

func TestDecodeOptions(t *testing.T) {
	body := `[{"id":1},{"id":2,"qdScore":87}]`
	got := collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(body),
		DecodeOptions(jsonv2.RejectUnknownMembers(true))))
	if len(got.values) != 1 || got.err == nil || !strings.Contains(got.err.Error(), "qdScore") {
		t.Fatalf("strict: %d values, %v", len(got.values), got.err)
	}
	got = collect[posturegen.Record](t, Elements[posturegen.Record](strings.NewReader(`[{"ID":1}]`),
		DecodeOptions(jsonv2.MatchCaseInsensitiveNames(false)), BufferSize(16)))
	if got.err != nil || len(got.values) != 1 || got.values[0].ID != 0 {
		t.Fatalf("case-sensitive: %+v, %v", got.values, got.err)
	}
}

func TestOtherElementTypes(t *testing.T) {
	ints := collect[int](t, Elements[int](strings.NewReader(`[1, 2, 3]`)))
	if ints.err != nil || !cmp.Equal(ints.values, []int{1, 2, 3}) {
		t.Errorf("ints: %v, %v", ints.values, ints.err)
	}
	nested := collect[[]any](t, Elements[[]any](strings.NewReader(`[[1,[2]],[],[{"a":{}}]]`)))
	if nested.err != nil || len(nested.values) != 3 {
		t.Errorf("nested: %v, %v", nested.values, nested.err)
	}
	ptrs := collect[*posturegen.Record](t, Elements[*posturegen.Record](strings.NewReader(`[{"id":1},null]`)))
	if ptrs.err != nil || len(ptrs.values) != 2 || ptrs.values[0].ID != 1 || ptrs.values[1] != nil {
		t.Errorf("pointers: %v, %v", ptrs.values, ptrs.err)
	}
}

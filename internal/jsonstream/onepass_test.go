package jsonstream_test

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
	"github.com/qualyskit/qualys-go/internal/posturedecode"
	"github.com/qualyskit/qualys-go/internal/posturegen"
)

var seeAll = cmp.Exporter(func(reflect.Type) bool { return true })

// outcome is what a stream yields: its records and how it ended.
type outcome struct {
	Records  []pcrs.PostureRecord
	Err      string
	Index    int
	TooLarge bool
	EOF      bool
}

// counting counts the records the one-pass path takes without the
// tokenizer.
type counting struct {
	*posturedecode.Decoder
	taken *int
}

func (c counting) DecodePrefix(buf []byte, r *pcrs.PostureRecord) (int, bool, bool) {
	n, ok, more := c.Decoder.DecodePrefix(buf, r)
	if ok {
		*c.taken++
	}
	return n, ok, more
}

// readers feed a body as a server might: whole, a byte at a time, in
// halves, or with the end of the body given with its last bytes.
var readers = []func(io.Reader) io.Reader{
	func(r io.Reader) io.Reader { return r },
	iotest.OneByteReader,
	iotest.HalfReader,
	iotest.DataErrReader,
}

// stream decodes body as posture records, with the one-pass path or with
// the tokenizer reading every element first (the reference), and reports
// how many records the one-pass path took.
func stream(body []byte, onePass bool, reader func(io.Reader) io.Reader, opts ...jsonstream.Option) (o outcome, taken int) {
	newDecoder := func() jsonstream.ElementDecoder[pcrs.PostureRecord] {
		return counting{posturedecode.New(), &taken}
	}
	opts = append(opts, jsonstream.WithElementDecoder(newDecoder))
	if !onePass {
		opts = append(opts, jsonstream.TokenizerOnly())
	}
	for rec, err := range jsonstream.Elements[pcrs.PostureRecord](reader(bytes.NewReader(body)), opts...) {
		if err != nil {
			var se *jsonstream.Error
			errors.As(err, &se)
			elementPointer(err)
			o.Err, o.Index = escapeQuoted(firstByteQuoted(err.Error())), se.Index
			if errors.Is(err, jsonstream.ErrNotArray) {
				// The excerpt quotes what the tokenizer had buffered,
				// which depends on how the reads were split.
				o.Err, _, _ = strings.Cut(o.Err, " starting ")
			}
			o.TooLarge, o.EOF = errors.Is(err, jsonstream.ErrTooLarge), errors.Is(err, io.ErrUnexpectedEOF)
			break
		}
		o.Records = append(o.Records, rec)
	}
	if !onePass {
		taken = 0
	}
	return o, taken
}

// elementPointer cuts the JSON pointer of a syntax error to the element's
// index. Below the element, the tokenizer's pointer depends on how its
// buffer was laid out, not on the body alone: a value cut by the end of
// the body names its last member or not depending on how the reads were
// split, and an invalid escape may name the text after it (",").
func elementPointer(err error) {
	var me *json.SemanticError
	var se *jsontext.SyntacticError
	if errors.As(err, &me) || !errors.As(err, &se) {
		return
	}
	if ptr := string(se.JSONPointer); len(ptr) > 1 {
		if i := strings.IndexByte(ptr[1:], '/'); i >= 0 {
			se.JSONPointer = jsontext.Pointer(ptr[:i+1])
		}
	}
}

// firstByteQuoted writes the character that a syntax error quotes as
// its first byte when it is not ASCII: the tokenizer quotes the whole
// character if its bytes were read together, else the first byte alone
// (as \xca), which depends on how the reads were split.
func firstByteQuoted(msg string) string {
	const lead = "invalid character '"
	i := strings.Index(msg, lead)
	if i < 0 {
		return msg
	}
	quoted := msg[i+len(lead):]
	r, multibyte, tail, err := strconv.UnquoteChar(quoted, '\'')
	if err != nil || !multibyte || !strings.HasPrefix(tail, "'") {
		return msg
	}
	return msg[:i+len(lead)] + fmt.Sprintf(`\x%02x`, string(r)[0]) + tail
}

// escapeQuoted cuts the invalid escape sequence a syntax error quotes
// after its first invalid character, and quotes it one way: the tokenizer
// quotes `\u00X0` when the bytes after the X were read with it, else
// `\u00X` (and with double quotes when the excerpt holds a space), which
// depends on how the reads were split.
func escapeQuoted(msg string) string {
	const lead = "invalid escape sequence "
	i := strings.Index(msg, lead)
	if i < 0 {
		return msg
	}
	start := i + len(lead)
	quoted, err := strconv.QuotedPrefix(msg[start:])
	if err != nil {
		return msg
	}
	seq, err := strconv.Unquote(quoted)
	if err != nil || !strings.HasPrefix(seq, `\u`) {
		return msg
	}
	n := 2
	for n < len(seq) && strings.IndexByte("0123456789abcdefABCDEF", seq[n]) >= 0 {
		n++
	}
	n = min(n+1, len(seq)) // the first invalid character stays
	return msg[:start] + strconv.Quote(seq[:n]) + msg[start+len(quoted):]
}

// sameAsTokenizer fails unless the one-pass path yields what the
// tokenizer path yields for body: the same records, then the same error
// (text, index, sentinels) or none. It returns the one-pass outcome and
// the number of records it took without the tokenizer.
func sameAsTokenizer(t *testing.T, body []byte, reader func(io.Reader) io.Reader, opts ...jsonstream.Option) (outcome, int) {
	t.Helper()
	want, _ := stream(body, false, reader, opts...)
	got, taken := stream(body, true, reader, opts...)
	if reflect.DeepEqual(want, got) { // quicker than cmp when equal
		return got, taken
	}
	if diff := cmp.Diff(want, got, seeAll); diff != "" {
		t.Fatalf("body %.200q: one pass differs from the tokenizer (-tokenizer +one pass):\n%s", body, diff)
	}
	return got, taken
}

// TestOnePassTakesGeneratedRecords: every generated record is decoded in
// one pass, whatever the read sizes (records cut by the end of a read are
// decoded again with more bytes), to the records the tokenizer path gives.
func TestOnePassTakesGeneratedRecords(t *testing.T) {
	body, n := posturegen.Generate(256 << 10)
	for _, size := range []int{0, 16, 1000, 4096} {
		for ri, reader := range readers[:3] {
			if ri == 1 && size != 0 {
				continue // one byte at a time: once is enough
			}
			got, taken := sameAsTokenizer(t, body, reader, jsonstream.BufferSize(size))
			if got.Err != "" || len(got.Records) != n {
				t.Fatalf("buffer %d, reader %d: %d records and %q, want %d", size, ri, len(got.Records), got.Err, n)
			}
			// A byte at a time, the retries run out on large records.
			if min := n * 9 / 10; ri != 1 && taken < min {
				t.Errorf("buffer %d, reader %d: %d of %d records in one pass, want at least %d", size, ri, taken, n, min)
			}
		}
	}
}

// TestOnePassRefusesWhatTheTokenizerRefuses: malformed records, and
// malformed text between them, fail with the tokenizer's own error
// (offset and JSON pointer in the whole body), after the same records;
// forms the tokenizer accepts in skipped values decode in one pass.
func TestOnePassRefusesWhatTheTokenizerRefuses(t *testing.T) {
	const good = `{"id":1,"policyTitle":"t","x":[1,{"y":null}]}`
	cases := []struct {
		name  string
		elem  string // the second of three records
		valid bool
		taken int // records decoded in one pass
	}{
		{"control character in a string", "{\"policyTitle\":\"a\tb\"}", false, 1},
		{"control character in a skipped string", "{\"other\":\"a\nb\"}", false, 1},
		{"control character in a name", "{\"poli\x01cyTitle\":\"t\"}", false, 1},
		{"unknown escape", `{"policyTitle":"a\qb"}`, false, 1},
		{"unknown escape in a skipped string", `{"other":"a\qb"}`, false, 1},
		{"short unicode escape", `{"other":"\u12"}`, false, 1},
		{"non-hex unicode escape", `{"other":"\u12G4"}`, false, 1},
		{"leading zero", `{"id":01}`, false, 1},
		{"leading zero in a skipped number", `{"other":00}`, false, 1},
		{"bare minus", `{"other":-}`, false, 1},
		{"plus sign", `{"other":+1}`, false, 1},
		{"fraction without digits", `{"other":1.}`, false, 1},
		{"exponent without digits", `{"other":1e+}`, false, 1},
		{"hex number", `{"other":0x10}`, false, 1},
		{"two numbers", `{"other":1 2}`, false, 1},
		{"misspelt true", `{"other":tru}`, false, 1},
		{"misspelt null", `{"policyTitle":nul}`, false, 1},
		{"null with a tail", `{"policyTitle":nullx}`, false, 1},
		{"capitalised literal", `{"other":True}`, false, 1},
		{"trailing comma in an object", `{"id":1,}`, false, 1},
		{"trailing comma in a skipped array", `{"other":[1,]}`, false, 1},
		{"missing colon", `{"id" 1}`, false, 1},
		{"missing comma", `{"id":1 "policyTitle":"t"}`, false, 1},
		{"name not a string", `{id:1}`, false, 1},
		{"single quotes", `{'id':1}`, false, 1},
		{"mismatched brackets", `{"other":[1}`, false, 1},
		{"unclosed nested object", `{"other":{"a":1}`, false, 1},
		{"extra closing bracket", `{"other":[1]]}`, false, 1},
		{"comment", `{"id":1 /* c */}`, false, 1},
		{"NaN", `{"other":NaN}`, false, 1},
		{"vertical tab as space", "{\"id\":\v1}", false, 1},
		{"non-breaking space as space", "{\"id\":\u00a01}", false, 1},
		{"deep nesting", `{"other":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, true, 2},
		{"nesting past the tokenizer's limit", `{"other":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, false, 1},
		{"invalid UTF-8 in a skipped string", "{\"other\":\"\xff\xfe\",\"id\":2}", true, 3},
		{"lone surrogate in a skipped string", `{"other":"\ud800","id":2}`, true, 3},
		{"every escape in a skipped string", `{"other":"\"\\\/\b\f\n\r\t\u00e9\uD834\uDD1E","id":2}`, true, 3},
		{"numbers of every form", `{"other":[0,-0,1.5,-1.5e10,1E-3,2e+2,123456789012345678901234567890]}`, true, 3},
		{"white space everywhere", " {\t\"id\" :\r\n2 , \"other\" : [ 1 , { } , [ ] ] } ", true, 3},
		{"invalid UTF-8 in a bound string", "{\"policyTitle\":\"\xff\"}", true, 2},
		{"duplicate name", `{"id":1,"id":2}`, true, 2},
		{"not an object", `[1]`, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte("[" + good + "," + c.elem + "," + good + "]")
			got, taken := sameAsTokenizer(t, body, readers[0])
			switch {
			case c.valid && got.Err != "":
				t.Fatalf("valid body failed: %s", got.Err)
			case !c.valid && (got.Err == "" || got.Index != 1 || len(got.Records) != 1):
				t.Fatalf("malformed second record: %d records, error %q at %d", len(got.Records), got.Err, got.Index)
			case taken != c.taken:
				t.Errorf("%d records in one pass, want %d", taken, c.taken)
			}
		})
	}
}

// TestOnePassBetweenRecords: the text between records, the end of the
// array and the end of the body give the tokenizer's results.
func TestOnePassBetweenRecords(t *testing.T) {
	const rec = `{"id":1}`
	for _, body := range []string{
		"[]", " [ ] ", "[" + rec + "]", "[ " + rec + " , " + rec + " ]\n",
		"[" + rec + " " + rec + "]", "[" + rec + ",," + rec + "]", "[," + rec + "]",
		"[" + rec + ",]", "[" + rec + ";" + rec + "]", "[" + rec + "] x", "[" + rec + "]]",
		"[" + rec, "[" + rec + ",", "[" + rec + ", ", "[" + `{"id":1`, "[" + `{"id":"1`, "[",
		"[" + rec + ",null," + rec + "]", "[" + rec + ",5]", "[" + rec + `,"x"]`, "[" + rec + ",[]]",
		"{}", rec, " " + rec + " ", "", "   ", "x", `"s"`, "[" + rec + "]" + rec,
		"[" + rec + `,{"customerId":1.5}]`, "[" + rec + `,{"criticality":{"value":"high"}}]`,
		"[" + rec + `,{"created":"yesterday"}]`, "[" + rec + `,{"id":1,"id":"x"}]`,
	} {
		for ri, reader := range readers {
			t.Run(strings.ReplaceAll(body, "/", "|")+string(rune('a'+ri)), func(t *testing.T) {
				sameAsTokenizer(t, []byte(body), reader)
			})
		}
	}
}

// TestOnePassBound: records around the size bound, with white space
// before them, give the tokenizer's results: the bound counts the white
// space and the comma after the last record as well.
func TestOnePassBound(t *testing.T) {
	rec := `{"id":1,"policyTitle":"` + strings.Repeat("x", 100) + `"}`
	body := []byte("[" + rec + ",   " + rec + "," + strings.Repeat(" ", 200) + rec + "]")
	tooLarge := 0
	for bound := int64(len(rec) - 2); bound < int64(len(rec)+210); bound++ {
		for _, reader := range readers {
			got, _ := sameAsTokenizer(t, body, reader, jsonstream.MaxElementSize(bound))
			if got.TooLarge {
				tooLarge++
			}
		}
	}
	if tooLarge == 0 {
		t.Fatal("no bound was reached")
	}
}

// TestOnePassReadError: a read error is reported after the records before
// it, as the tokenizer reports it.
func TestOnePassReadError(t *testing.T) {
	body, _ := posturegen.Generate(64 << 10)
	boom := errors.New("connection reset")
	for _, cut := range []int{1, 100, 5000, len(body) / 2, len(body) - 1} {
		reader := func(r io.Reader) io.Reader {
			return io.MultiReader(io.LimitReader(r, int64(cut)), iotest.ErrReader(boom))
		}
		got, _ := sameAsTokenizer(t, body, reader)
		if !strings.Contains(got.Err, boom.Error()) {
			t.Errorf("cut at %d: %q, want the read error", cut, got.Err)
		}
	}
}

// FuzzOnePass is the differential test of the one-pass path: for any
// body, size bound, buffer size and read pattern, it must yield what the
// tokenizer path yields: the same records, and the same error (text,
// index, sentinels) or none.
func FuzzOnePass(f *testing.F) {
	generated, _ := posturegen.Generate(6 << 10)
	f.Add(generated, uint16(0), uint8(0), uint8(0))
	f.Add(generated, uint16(3000), uint8(40), uint8(2))
	f.Add(generated[:len(generated)/2], uint16(0), uint8(0), uint8(1))
	for _, seed := range []string{
		`[{"id":1},{"id":1,"id":2},{"policyTitle":"x"},{"userDefinedAttributesList":[1]},{"id":3}]`,
		`[{"id":1},{"customerId":1.5},{"id":3}]`,
		`[{"id":1} {"id":2}]`,
		`[{"other":[1,{"a":"\u0041\n"}],"id":-0.5e3}]`,
		"[{\"policyTitle\":\"\xff\",\"x\":\"\x01\"}]",
		`[{"created":"2024-10-04T09:47:33Z","evidence":{"currentValues":["a"]}}]  x`,
		`{"id":7}`,
	} {
		f.Add([]byte(seed), uint16(0), uint8(0), uint8(0))
		f.Add([]byte(seed), uint16(20), uint8(1), uint8(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, bound uint16, buffer, reader uint8) {
		opts := []jsonstream.Option{jsonstream.MaxElementSize(int64(bound))}
		if buffer > 0 {
			opts = append(opts, jsonstream.BufferSize(int(buffer)))
		}
		sameAsTokenizer(t, body, readers[int(reader)%len(readers)], opts...)
	})
}

// chunked reads at most size bytes at a time, as a TLS connection hands
// over its records.
type chunked struct {
	r    io.Reader
	size int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.size)]) }

// BenchmarkOnePassReadSize streams the generated records with reads of
// every size the buffer asks for, and of 16 KiB (a TLS record): with the
// smaller reads more records are cut by the end of the window and decoded
// again. The tokenizer path is the reference.
func BenchmarkOnePassReadSize(b *testing.B) {
	body, n := posturegen.Generate(8 << 20)
	for _, bc := range []struct {
		name    string
		size    int
		onePass bool
	}{
		{"whole/one-pass", len(body), true},
		{"16KiB/one-pass", 16 << 10, true},
		{"whole/tokenizer", len(body), false},
		{"16KiB/tokenizer", 16 << 10, false},
	} {
		opts := []jsonstream.Option{jsonstream.WithElementDecoder(posturedecode.NewElementDecoder)}
		if !bc.onePass {
			opts = append(opts, jsonstream.TokenizerOnly())
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				got := 0
				for _, err := range jsonstream.Elements[pcrs.PostureRecord](chunked{bytes.NewReader(body), bc.size}, opts...) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("%d records, want %d", got, n)
				}
			}
		})
	}
}

// TestOnePassSmallReadsStayLinear: a long run of white space between
// records, read a byte at a time, is not copied over and over (the window
// keeps it until the next record, so a window that moved what it keeps on
// every read would take quadratic time here).
func TestOnePassSmallReadsStayLinear(t *testing.T) {
	const rec = `{"id":1}`
	body := []byte("[" + rec + "," + strings.Repeat(" ", 200<<10) + rec + "]")
	got, taken := stream(body, true, iotest.OneByteReader, jsonstream.BufferSize(1))
	if got.Err != "" || len(got.Records) != 2 || taken != 2 {
		t.Fatalf("%d records (%d in one pass), error %q", len(got.Records), taken, got.Err)
	}
}

// TestPostureRecordsDecodeAsEncodingJSON holds the posture path (one pass,
// with the tokenizer for what it refuses) to encoding/json on records with
// duplicate names, where a later null or object meets an earlier value.
func TestPostureRecordsDecodeAsEncodingJSON(t *testing.T) {
	body := `[{"id":1,"policyId":2,"Id":346,"policyTitle":"t","technology":{"id":1},"id":null,"POLICYTITLE":null,"technology":{"name":"n"}},` +
		`{"id":3,"policyId":2,"dns":"h","dns":null,"criticality":{"value":2},"criticality":null}]`
	var want []pcrs.PostureRecord
	if err := stdjson.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	got, _ := stream([]byte(body), true, readers[0])
	if got.Err != "" {
		t.Fatalf("stream failed: %s", got.Err)
	}
	if diff := cmp.Diff(want, got.Records, seeAll); diff != "" {
		t.Errorf("differs from encoding/json (-want +got):\n%s", diff)
	}
}

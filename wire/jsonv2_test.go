package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// v2Options are the options of the streaming posture decoder that matter
// here: encoding/json replaces invalid UTF-8, so the v2 side must allow it
// for the two paths to see the same input.
var v2Options = []jsonv2.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}

// agreementInputs are JSON values (and non-values) of every kind the wire
// types meet or reject.
var agreementInputs = []string{
	`null`, ` null `, `"32533"`, `32533`, `-7`, `0`, `-0`, `1.5`, `2.98`, `1e3`, `1E-2`, `-0.0`,
	`12345678901234567890`, `1e400`, `"2.98"`, `"n/a"`, `""`, `"ddf20f3a-cfd3-6fd4-81d0-53071ad1d389"`,
	`"a\"b\\c\/d\u00e9\n"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`, "\"bad \xff utf8\"", "\"\xc3\"",
	`"<&>"`, `true`, `false`, `"true"`, `"False"`, `"tru\u0065"`, `"yes"`, `{}`, `[]`, `[1]`,
	`{"a":1}`, `{ "a" : [1, 2] }`, `"unterminated`, `01`, `+1`, ``, `nul`,
	`"U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK+/8="`, `"not*base64!"`,
	`"a very long string value that is longer than forty bytes for sure"`,
	`"2024-10-04T09:47:33Z"`, `"2024-10-04T09:47:33.120Z"`, `"2024-10-04T09:47:33+02:00"`, `"\u0032024-10-04T09:47:33Z"`,
	`"2024-13-04T09:47:33Z"`, `"007"`, `"-5"`, `"9223372036854775808"`,
	`123456789012345678901234567890123456789012345678901234567890`,
}

// wireTypes returns a fresh pointer to each wire type.
func wireTypes() []any {
	return []any{new(ID), new(Decimal), new(Base64), new(Flag), new(Time), new(Count)}
}

// v1Only hides the v2 method of the value it points to, so that
// encoding/json/v2 has to call UnmarshalJSON.
type v1Only struct{ v json.Unmarshaler }

func (o v1Only) UnmarshalJSON(b []byte) error { return o.v.UnmarshalJSON(b) }

// checkAgreement decodes in with encoding/json, with encoding/json/v2 through
// the v2 method, and with encoding/json/v2 through UnmarshalJSON, and fails
// unless all three give the same value and the same error.
func checkAgreement(t *testing.T, in []byte) {
	t.Helper()
	for _, proto := range wireTypes() {
		typ := reflect.TypeOf(proto).Elem()
		viaV1 := reflect.New(typ).Interface()
		viaV2 := reflect.New(typ).Interface()
		viaV2Old := reflect.New(typ).Interface()
		errV1 := json.Unmarshal(in, viaV1)
		errV2 := jsonv2.Unmarshal(in, viaV2, v2Options...)
		errV2Old := jsonv2.Unmarshal(in, &v1Only{viaV2Old.(json.Unmarshaler)}, v2Options...)

		name := fmt.Sprintf("%s from %q", typ.Name(), in)
		if json.Valid(in) {
			if !reflect.DeepEqual(viaV1, viaV2) {
				t.Errorf("%s: encoding/json gives %#v, v2 method gives %#v", name, viaV1, viaV2)
			}
			if msg1, msg2 := methodError(errV1), methodError(errV2); msg1 != msg2 {
				t.Errorf("%s: errors differ:\nencoding/json: %v\nv2 method:     %v", name, errV1, errV2)
			}
		} else if errV1 == nil || errV2 == nil || errV2Old == nil {
			// Not one JSON value: the packages differ in how far they read
			// before failing, which is not the wire types' business, but
			// every path must fail.
			t.Errorf("%s: invalid JSON accepted: %v / %v / %v", name, errV1, errV2, errV2Old)
		}
		if !reflect.DeepEqual(viaV2, viaV2Old) {
			t.Errorf("%s: v2 method gives %#v, UnmarshalJSON under v2 gives %#v", name, viaV2, viaV2Old)
		}
		if msg2, msgOld := methodError(errV2), methodError(errV2Old); msg2 != msgOld {
			t.Errorf("%s: errors differ:\nv2 method:     %v\nUnmarshalJSON: %v", name, errV2, errV2Old)
		}
	}
}

// methodError reduces an error to what the wire type said: "" for none,
// "syntax" for input that is not JSON at all (the two packages word that
// differently), else the message of the method's own error.
func methodError(err error) string {
	if err == nil {
		return ""
	}
	var syn1 *json.SyntaxError
	var syn2 *jsontext.SyntacticError
	if errors.As(err, &syn1) || errors.As(err, &syn2) {
		return "syntax"
	}
	var sem *jsonv2.SemanticError
	if errors.As(err, &sem) && sem.Err != nil {
		return sem.Err.Error()
	}
	return err.Error()
}

func TestV2MethodsAgreeWithUnmarshalJSON(t *testing.T) {
	for _, in := range agreementInputs {
		checkAgreement(t, []byte(in))
	}
}

// TestV2MethodsAreUsed makes sure encoding/json/v2 finds the fast path (a
// signature slip would silently fall back to UnmarshalJSON).
func TestV2MethodsAreUsed(t *testing.T) {
	type unmarshalerFrom interface {
		UnmarshalJSONFrom(*jsontext.Decoder) error
	}
	for _, v := range []any{new(ID), new(Decimal), new(Base64)} {
		if _, ok := v.(unmarshalerFrom); !ok {
			t.Errorf("%T has no UnmarshalJSONFrom", v)
		}
	}
}

// TestV2MethodsInRecords checks the methods inside objects and arrays, as
// fields, pointer fields and slice elements, where the decoder's state
// around the value matters.
func TestV2MethodsInRecords(t *testing.T) {
	type record struct {
		ID      ID       `json:"id,omitempty"`
		Size    *Decimal `json:"size,omitempty"`
		Content Base64   `json:"content,omitempty"`
		Flag    Flag     `json:"flag,omitempty"`
		IDs     []ID     `json:"ids,omitempty"`
		After   string   `json:"after,omitempty"`
	}
	inputs := []string{
		`{"id":"1039","size":"2.98","content":"ZWNobyBoaQo=","flag":"true","ids":[1,"2",null],"after":"x"}`,
		`{"id":1039,"size":2.98,"content":null,"flag":false,"ids":[],"after":"y"}`,
		`{"id":null,"size":null,"ids":null}`,
		`{"id":1.5,"after":"z"}`,
		`{"size":{"a":[1,2]},"after":"z"}`,
		`{"content":12,"after":"z"}`,
	}
	for _, in := range inputs {
		var a, b record
		errV1 := json.Unmarshal([]byte(in), &a)
		errV2 := jsonv2.Unmarshal([]byte(in), &b, v2Options...)
		if (errV1 == nil) != (errV2 == nil) {
			t.Errorf("%s: encoding/json error %v, v2 error %v", in, errV1, errV2)
			continue
		}
		if errV1 == nil && !reflect.DeepEqual(a, b) {
			t.Errorf("%s: encoding/json gives %+v, v2 gives %+v", in, a, b)
		}
	}
}

func FuzzV2MethodsAgree(f *testing.F) {
	for _, in := range agreementInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkAgreement(t, in)
	})
}

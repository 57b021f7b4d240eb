package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// operation ties an operationId to the generated code that handles it.
type operation struct {
	newBody func() any                        // nil when the operation takes no JSON body
	parse   func(*http.Response) (any, error) // the generated ParseXxxResponse
}

type operations map[string]operation

// op adapts a generated ParseXxxResponse function and an optional
// request-body constructor (body[T]) into an operation.
func op[R any](parse func(*http.Response) (*R, error), newBody func() any) operation {
	return operation{
		newBody: newBody,
		parse:   func(r *http.Response) (any, error) { return parse(r) },
	}
}

// body returns a new zero value of a generated request-body type.
func body[T any]() any { return new(T) }

// roundTrip decodes raw into v with the generated types, encodes it again,
// and compares the result with raw. An absent field in the output is
// accepted in place of null, [] or {} only where the generated Go field is
// an omitempty pointer, slice or map (encoding/json cannot tell them
// apart); every such tolerance is reported through note.
func roundTrip(raw []byte, v any, note func(string)) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode into %T: %w", v, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	var want, got any
	if err := unmarshalNumber(raw, &want); err != nil {
		return err
	}
	if err := unmarshalNumber(out, &got); err != nil {
		return err
	}
	dropTolerated(want, got, reflect.TypeOf(v), "", note)
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Errorf("%T does not re-encode to the fixture (-fixture +generated):\n%s", v, diff)
	}
	return nil
}

func unmarshalNumber(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// dropTolerated removes from want the keys that are absent from got and
// whose fixture value the field's type cannot tell from absence: null or
// an empty container on an omitempty pointer, slice or map; a zero value
// ("", 0, false, null, empty container) on an omitzero value field, where
// zero, null and absent are one state by design. Everything else, a
// changed value or a non-zero value gone missing, still fails.
func dropTolerated(want, got any, t reflect.Type, path string, note func(string)) {
	for t != nil && (t.Kind() == reflect.Pointer) {
		t = t.Elem()
	}
	if t == nil {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, wv := range w {
			ft, omitempty := fieldByJSONName(t, k)
			gv, present := g[k]
			if !present && omitempty && isEmptyJSON(wv) {
				note(fmt.Sprintf("%s/%s: %s in the fixture, absent after re-encoding (omitempty %s)", path, k, jsonText(wv), ft))
				delete(w, k)
				continue
			}
			if present && ft != nil {
				dropTolerated(wv, gv, ft, path+"/"+k, note)
			}
		}
	case []any:
		g, _ := got.([]any)
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return
		}
		for i := range w {
			if i < len(g) {
				dropTolerated(w[i], g[i], t.Elem(), fmt.Sprintf("%s/%d", path, i), note)
			}
		}
	}
}

// fieldByJSONName finds the struct field encoded under name and reports
// whether it is omitzero, or an omitempty pointer, slice or map.
func fieldByJSONName(t reflect.Type, name string) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		parts := strings.Split(tag, ",")
		if parts[0] != name {
			continue
		}
		omitEmpty, omitZero := false, false
		for _, p := range parts[1:] {
			omitEmpty = omitEmpty || p == "omitempty"
			omitZero = omitZero || p == "omitzero"
		}
		k := f.Type.Kind()
		return f.Type, omitZero || omitEmpty && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Map)
	}
	return nil, false
}

func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// responseValue returns the decoded JSON<status> field of a generated
// response struct, or nil when the generator declared none for the status.
func responseValue(parsed any, status int) (any, bool) {
	v := reflect.ValueOf(parsed)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	f := v.FieldByName(fmt.Sprintf("JSON%d", status))
	if !f.IsValid() {
		return nil, false
	}
	if f.Kind() == reflect.Pointer && f.IsNil() {
		return nil, true
	}
	return f.Interface(), true
}

// TestRoundTripDetectsLoss proves the round-trip check fails when a
// generated type drops a field, changes a value's form, or when null is
// replaced by absence on a field that is not an omitempty pointer.
func TestRoundTripDetectsLoss(t *testing.T) {
	type missingField struct {
		A string `json:"a"`
	}
	type typed struct {
		A string  `json:"a"`
		B *string `json:"b,omitempty"`
		C *string `json:"c"`
		D []int   `json:"d,omitempty"`
	}
	ignore := func(string) {}
	cases := []struct {
		name string
		raw  string
		v    any
		ok   bool
	}{
		{"all declared", `{"a":"x","b":"y","c":null}`, new(typed), true},
		{"null to absent on omitempty pointer", `{"a":"x","b":null,"c":null}`, new(typed), true},
		{"empty array to absent on omitempty slice", `{"a":"x","c":null,"d":[]}`, new(typed), true},
		{"undeclared field", `{"a":"x","z":1}`, new(missingField), false},
		{"value changes form", `{"a":"007"}`, &struct {
			A int `json:"a,string"`
		}{}, false},
		{"value lost by omitempty", `{"a":"","c":null}`, &struct {
			A string  `json:"a,omitempty"`
			C *string `json:"c"`
		}{}, false},
		{"zero, null and absent are one state on omitzero", `{"a":"","n":0,"f":false,"p":null}`, &struct {
			A string `json:"a,omitzero"`
			N int64  `json:"n,omitzero"`
			F bool   `json:"f,omitzero"`
			P string `json:"p,omitzero"`
		}{}, true},
		{"null to zero on a plain value field", `{"a":null}`, &struct {
			A string `json:"a"`
		}{}, false},
		{"zero lost on a plain value field", `{"n":0}`, &struct {
			N int64 `json:"n,omitempty"`
		}{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := roundTrip([]byte(tc.raw), tc.v, ignore)
			if tc.ok && err != nil {
				t.Fatalf("unexpected failure: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("round trip passed but must fail")
			}
		})
	}
}

// newLike returns a pointer to a new zero value of v's type (v may be a pointer).
func newLike(v any) any {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return reflect.New(t).Interface()
}

// reflectBytes reads a []byte field of a generated response struct.
func reflectBytes(parsed any, field string) []byte {
	v := reflect.ValueOf(parsed)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	f := v.FieldByName(field)
	if !f.IsValid() {
		return nil
	}
	b, _ := f.Interface().([]byte)
	return b
}

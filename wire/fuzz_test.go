package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets below check the round-trip contract of the tolerant
// types: whatever JSON a type accepts, it re-encodes as valid JSON in the
// same form (string or number), that output decodes to the same value,
// and encoding it again gives the same bytes. Values built in code
// (IDFromInt, FlagOf, DecimalFromFloat, ...) survive a round trip too.
// Any input, valid JSON or not, given straight to UnmarshalJSON must not
// panic.

// roundTrip decodes in into a fresh *T with encoding/json and, when that
// succeeds, checks the re-encoding contract. It returns the decoded value
// and whether it was accepted.
func roundTrip[T any](t *testing.T, in []byte) (T, bool) {
	t.Helper()
	var v T
	if err := json.Unmarshal(in, &v); err != nil {
		return v, false
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T decoded from %q does not encode: %v", v, in, err)
	}
	if !json.Valid(out) {
		t.Fatalf("%T decoded from %q encodes as invalid JSON %q", v, in, out)
	}
	var again T
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("%T: %q re-encoded as %q, which does not decode: %v", v, in, out, err)
	}
	if again2, _ := json.Marshal(again); !bytes.Equal(out, again2) {
		t.Fatalf("%T: %q re-encoded as %q, then as %q", v, in, out, again2)
	}
	if quotedJSON(in) != quotedJSON(out) && !bytes.Equal(bytes.Trim(in, " \t\r\n"), []byte("null")) {
		t.Fatalf("%T: %q changed form when re-encoded as %q", v, in, out)
	}
	return again, true
}

// quotedJSON reports whether a JSON value is a string.
func quotedJSON(b []byte) bool {
	b = bytes.Trim(b, " \t\r\n") // JSON white space only
	return len(b) > 0 && b[0] == '"'
}

func FuzzID(f *testing.F) {
	for _, in := range agreementInputs {
		f.Add([]byte(in), int64(32533), "32533")
	}
	f.Add([]byte(`"ddf20f3a-cfd3-6fd4-81d0-53071ad1d389"`), int64(-9223372036854775808), "")
	f.Add([]byte(`9223372036854775807`), int64(0), "\xff")
	f.Fuzz(func(t *testing.T, in []byte, n int64, s string) {
		var raw ID
		_ = raw.UnmarshalJSON(in) // any bytes: an error or a value, never a panic

		if id, ok := roundTrip[ID](t, in); ok {
			var first ID
			_ = json.Unmarshal(in, &first)
			if id != first {
				t.Fatalf("%q: decoded %#v, after a round trip %#v", in, first, id)
			}
			if !id.Quoted() && !id.IsZero() {
				if _, err := id.Int64(); err != nil {
					t.Fatalf("%q: a number id that is not an integer: %v", in, err)
				}
			}
		}

		// Built in code.
		var back ID
		b, err := json.Marshal(IDFromInt(n))
		if err != nil || json.Unmarshal(b, &back) != nil {
			t.Fatalf("IDFromInt(%d): %s, %v", n, b, err)
		}
		if got, err := back.Int64(); err != nil || got != n || back.Quoted() {
			t.Fatalf("IDFromInt(%d) came back as %#v", n, back)
		}
		if !utf8.ValidString(s) {
			return // encoding/json replaces invalid UTF-8; nothing to compare
		}
		b, err = json.Marshal(IDFromString(s))
		if err != nil || json.Unmarshal(b, &back) != nil || back.String() != s || !back.Quoted() {
			t.Fatalf("IDFromString(%q): %s came back as %#v (%v)", s, b, back, err)
		}
	})
}

func FuzzFlag(f *testing.F) {
	for _, in := range agreementInputs {
		f.Add([]byte(in), true)
	}
	f.Add([]byte(`"TRUE"`), false)
	f.Add([]byte(` "false" `), false)
	f.Fuzz(func(t *testing.T, in []byte, v bool) {
		var raw Flag
		_ = raw.UnmarshalJSON(in)

		flag, ok := roundTrip[Flag](t, in)
		text := string(bytes.Trim(in, " \t\r\n"))
		if quotedJSON(in) {
			text = strings.ToLower(text) // any case inside quotes; JSON literals are lower case
		}
		switch text {
		case "null", "true", "false", `"true"`, `"false"`:
			if !ok {
				t.Fatalf("%q rejected", in)
			}
			if want := strings.Trim(text, `"`) == "true"; flag.Bool() != want {
				t.Fatalf("%q decoded as %v", in, flag.Bool())
			}
		default:
			if ok {
				t.Fatalf("%q accepted as a flag (%v)", in, flag.Bool())
			}
		}

		b, err := json.Marshal(FlagOf(v))
		var back Flag
		if err != nil || json.Unmarshal(b, &back) != nil || back.Bool() != v || quotedJSON(b) {
			t.Fatalf("FlagOf(%v) encoded as %s, came back as %v (%v)", v, b, back.Bool(), err)
		}
	})
}

func FuzzDecimal(f *testing.F) {
	for _, in := range agreementInputs {
		f.Add([]byte(in), 2.98)
	}
	f.Add([]byte(`"1e-7"`), math.SmallestNonzeroFloat64)
	f.Add([]byte(`-0.0`), math.MaxFloat64)
	f.Add([]byte(`0.1`), math.Inf(-1))
	f.Add([]byte(`1`), math.NaN())
	f.Fuzz(func(t *testing.T, in []byte, x float64) {
		var raw Decimal
		_ = raw.UnmarshalJSON(in)

		if d, ok := roundTrip[Decimal](t, in); ok {
			var first Decimal
			_ = json.Unmarshal(in, &first)
			if d != first {
				t.Fatalf("%q: decoded %#v, after a round trip %#v", in, first, d)
			}
			if !quotedJSON(in) && d.String() != "" {
				if _, err := d.Float64(); err != nil {
					t.Fatalf("%q: a JSON number that does not parse: %v", in, err)
				}
			}
		}

		b, err := json.Marshal(DecimalFromFloat(x))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			// No JSON number exists for them: encoding must fail rather
			// than emit invalid JSON.
			if err == nil {
				t.Fatalf("DecimalFromFloat(%v) encoded as %s", x, b)
			}
			return
		}
		var back Decimal
		if err != nil || json.Unmarshal(b, &back) != nil {
			t.Fatalf("DecimalFromFloat(%v): %s, %v", x, b, err)
		}
		if got, err := back.Float64(); err != nil || got != x || math.Signbit(got) != math.Signbit(x) {
			t.Fatalf("DecimalFromFloat(%v) came back as %v (%v)", x, got, err)
		}
	})
}

// FuzzBase64Decode: the text of a Base64 decodes the same however it was
// wrapped (line breaks every n characters, as MIME and PowerShell output
// do), and Text agrees with Decode.
func FuzzBase64Decode(f *testing.F) {
	f.Add([]byte("#!/bin/sh\necho hi\n"), uint8(76), false)
	f.Add([]byte{0, 1, 2, 0xfb, 0xff}, uint8(4), true)
	f.Add([]byte{}, uint8(0), true)
	f.Fuzz(func(t *testing.T, data []byte, width uint8, urlSafe bool) {
		enc := EncodeBase64(data).Raw()
		if urlSafe {
			enc = strings.NewReplacer("+", "-", "/", "_").Replace(enc)
		}
		wrapped := enc
		if w := int(width); w > 0 {
			var sb strings.Builder
			for i := 0; i < len(enc); i += w {
				sb.WriteString(enc[i:min(i+w, len(enc))])
				sb.WriteString("\r\n")
			}
			wrapped = sb.String()
		}
		got, err := RawBase64(wrapped).Decode()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%q: %x, %v; want %x", wrapped, got, err, data)
		}
		text, err := RawBase64(wrapped).Text()
		if err != nil || text != string(data) {
			t.Fatalf("Text of %q: %q, %v", wrapped, text, err)
		}
		js, _ := json.Marshal(RawBase64(wrapped))
		var back Base64
		if err := json.Unmarshal(js, &back); err != nil || back.Raw() != wrapped {
			t.Fatalf("%s came back as %q (%v)", js, back.Raw(), err)
		}
	})
}

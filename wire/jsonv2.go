package wire

import (
	"bytes"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// The UnmarshalJSONFrom methods below are the encoding/json/v2 forms of the
// UnmarshalJSON methods, used by the streaming posture decoder: they read
// the common forms (a string, a number, null) straight from the decoder's
// tokens instead of going through encoding/json once more for every value.
// They accept and reject exactly what UnmarshalJSON does and give the same
// values; every other form is handed to UnmarshalJSON itself, so the errors
// are the same too.
//
// Encoding needs no v2 form: encoding/json/v2 calls MarshalJSON, which keeps
// the output byte for byte what encoding/json writes.
//
// Flag has no v2 form on purpose: its UnmarshalJSON already works on the raw
// bytes, which is all a v2 form would do.

// UnmarshalJSONFrom is the encoding/json/v2 form of [ID.UnmarshalJSON]. It
// reads the raw value without allocating for the common forms (a number
// or a quoted number); everything else goes through UnmarshalJSON.
func (id *ID) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch {
	case len(val) > 0 && val[0] == '"':
		if n, ok := simpleQuotedInt(val); ok {
			*id = ID{n: n, form: formString}
			return nil
		}
	case len(val) > 0 && val[0] != 'n':
		if n, ok := canonicalInt(val); ok {
			*id = ID{n: n, form: formNumber}
			return nil
		}
	}
	return id.UnmarshalJSON(val)
}

// UnmarshalJSONFrom is the encoding/json/v2 form of [Decimal.UnmarshalJSON].
func (d *Decimal) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		*d = Decimal{}
		return nil
	case '"':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*d = Decimal{raw: tok.String(), quoted: true}
		return nil
	case '0':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		s := tok.String()
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			*d = Decimal{raw: s}
			return nil
		}
		return d.UnmarshalJSON([]byte(s))
	}
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.UnmarshalJSON(val)
}

// UnmarshalJSONFrom is the encoding/json/v2 form of [Base64.UnmarshalJSON].
func (b *Base64) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		*b = Base64{}
		return nil
	case '"':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*b = Base64{raw: tok.String()}
		return nil
	}
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return b.UnmarshalJSON(val)
}

// UnmarshalJSONFrom is the encoding/json/v2 form of [Count.UnmarshalJSON].
func (c *Count) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if len(val) > 0 && val[0] != '"' && val[0] != 'n' {
		if n, ok := canonicalInt(val); ok {
			*c = Count{n: n, form: formNumber}
			return nil
		}
	}
	return c.UnmarshalJSON(val)
}

// UnmarshalJSONFrom is the encoding/json/v2 form of [Time.UnmarshalJSON]:
// plain text (no escapes) is parsed in place.
func (t *Time) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' && bytes.IndexByte(val, '\\') < 0 {
		return t.parse(val[1 : len(val)-1])
	}
	return t.UnmarshalJSON(val)
}

package wire

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidBase64 is wrapped by every error from [Base64.Decode].
var ErrInvalidBase64 = errors.New("invalid base64")

// Base64 is base64 text as Qualys sends it (script content, script output,
// parameter keys and values). Decoding the JSON never fails on the base64
// itself: the raw text is kept, and [Base64.Decode] reports a bad value
// when the caller asks for the bytes, so one damaged field cannot fail a
// whole response.
type Base64 struct {
	raw string
}

// EncodeBase64 returns padded standard base64 of b, the form Qualys samples use.
func EncodeBase64(b []byte) Base64 { return Base64{raw: base64.StdEncoding.EncodeToString(b)} }

// EncodeBase64String is EncodeBase64 for text.
func EncodeBase64String(s string) Base64 { return EncodeBase64([]byte(s)) }

// RawBase64 wraps text that is already base64, unchecked.
func RawBase64(s string) Base64 { return Base64{raw: s} }

// Raw returns the base64 text exactly as received.
func (b Base64) Raw() string { return b.raw }

// IsZero reports whether there is no text.
func (b Base64) IsZero() bool { return b.raw == "" }

// Decode returns the bytes, accepting the standard and URL-safe alphabets,
// padded or not, and ignoring line breaks and spaces that wrapped text carries.
func (b Base64) Decode() ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, b.raw)
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	out, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBase64, err)
	}
	return out, nil
}

// Text is Decode as a string.
func (b Base64) Text() (string, error) {
	out, err := b.Decode()
	return string(out), err
}

// MarshalJSON encodes the text as received.
func (b Base64) MarshalJSON() ([]byte, error) { return json.Marshal(b.raw) }

// UnmarshalJSON accepts a JSON string or null.
func (b *Base64) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = Base64{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("wire: base64 must be a JSON string: %w", err)
	}
	*b = Base64{raw: s}
	return nil
}

package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Decimal is a number that Qualys sends either as JSON text ("2.98") or as
// a JSON number (2.98), such as the posture size fields.
type Decimal struct {
	raw    string
	quoted bool
}

// DecimalFromFloat returns a decimal that encodes as a JSON number.
func DecimalFromFloat(f float64) Decimal {
	return Decimal{raw: strconv.FormatFloat(f, 'f', -1, 64)}
}

// String returns the number's text as sent.
func (d Decimal) String() string { return d.raw }

// Float64 parses the number.
func (d Decimal) Float64() (float64, error) {
	f, err := strconv.ParseFloat(d.raw, 64)
	if err != nil {
		return 0, fmt.Errorf("wire: %q is not a number: %w", d.raw, err)
	}
	return f, nil
}

// MarshalJSON encodes the number in the form it was decoded with.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.quoted {
		return json.Marshal(d.raw)
	}
	if d.raw == "" {
		return []byte("null"), nil
	}
	return []byte(d.raw), nil
}

// UnmarshalJSON accepts a JSON number, a string holding a number, or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = Decimal{}
		return nil
	case len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && plainString(b[1:len(b)-1]):
		*d = Decimal{raw: string(b[1 : len(b)-1]), quoted: true}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("wire: decimal: %w", err)
		}
		*d = Decimal{raw: s, quoted: true}
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return fmt.Errorf("wire: decimal must be a number or a string, got %s", truncate(b))
	}
	*d = Decimal{raw: string(b)}
	return nil
}

// plainString reports whether b, the inside of a JSON string, is its own
// value: valid UTF-8 without quotes, escapes or control characters, so
// that decoding it would give b back.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

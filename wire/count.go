package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Count is a whole number that Qualys usually sends as a JSON number and
// sometimes as text: the asset-tag page prints "totalCount": "2". The zero
// Count is 0 and unset alike; it remembers its form so re-encoding gives
// back what the server sent.
type Count struct {
	n    int64
	form form
}

// CountOf returns n, encoded as a JSON number.
func CountOf(n int64) Count { return Count{n: n, form: formNumber} }

// Int64 returns the number; 0 when unset.
func (c Count) Int64() int64 { return c.n }

// IsZero reports whether the count is 0 or unset.
func (c Count) IsZero() bool { return c.n == 0 }

// String gives the number's digits.
func (c Count) String() string { return strconv.FormatInt(c.n, 10) }

// MarshalJSON writes the number in its form: a number, text or null.
func (c Count) MarshalJSON() ([]byte, error) {
	switch c.form {
	case formUnset:
		return []byte("null"), nil
	case formString:
		return strconv.AppendQuote(nil, strconv.FormatInt(c.n, 10)), nil
	}
	return strconv.AppendInt(nil, c.n, 10), nil
}

// UnmarshalJSON accepts an integer, an integer as text, or null.
func (c *Count) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = Count{}
		return nil
	case len(b) > 0 && b[0] == '"':
		if n, ok := simpleQuotedInt(b); ok {
			*c = Count{n: n, form: formString}
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("wire: count: %w", err)
		}
		return fmt.Errorf("wire: count %q is not an integer", truncate([]byte(s)))
	}
	n, ok := canonicalInt(b)
	if !ok {
		return fmt.Errorf("wire: count must be an integer or an integer as text, got %s", truncate(b))
	}
	*c = Count{n: n, form: formNumber}
	return nil
}

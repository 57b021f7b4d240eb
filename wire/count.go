package wire

import (
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
	v, err := scanInt(b, "count", "an integer or an integer as text")
	switch {
	case err != nil:
		return err
	case v.text != nil:
		return fmt.Errorf("wire: count %q is not an integer", truncate([]byte(*v.text)))
	}
	*c = Count{n: v.n, form: v.form}
	return nil
}

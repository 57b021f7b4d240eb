package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ID is a Qualys identifier: of a script, library script, job, asset job,
// asset, tag, policy, host, subscription, control or schedule. Qualys sends
// the same id as a JSON string ("32533") on one endpoint and as a JSON
// number (32533) on another; ID accepts both, remembers the form it was
// decoded with so that re-encoding gives back what the server sent, and
// prints as the bare number. Schedule and user ids are UUIDs, which ID
// holds as text.
//
// The zero value is the unset id. Two ids are the same id when
// [ID.Equal] says so; == also compares the JSON form.
type ID struct {
	n    int64
	text string // set only for ids that are not a canonical decimal integer
	form form
}

// form is how a scalar is (or will be) written in JSON.
type form uint8

const (
	formUnset  form = iota // absent or null
	formNumber             // a JSON number
	formString             // a JSON string
	formEmpty              // "", Qualys's other way of saying unset
)

// NewID returns the id n. It encodes as a JSON number until [ID.AsString]
// says otherwise.
func NewID(n int64) ID { return ID{n: n, form: formNumber} }

// IDFromInt is NewID.
func IDFromInt(n int64) ID { return NewID(n) }

// IDFromString returns the id written as s, encoded as a JSON string.
func IDFromString(s string) ID {
	if s == "" {
		return ID{form: formEmpty}
	}
	if n, ok := canonicalInt([]byte(s)); ok {
		return ID{n: n, form: formString}
	}
	return ID{text: s, form: formString}
}

// ParseID reads an id as a person types it: decimal digits, or a UUID for
// schedules. It encodes as a JSON number when it is a number.
func ParseID(s string) (ID, error) {
	if n, ok := canonicalInt([]byte(s)); ok && n >= 0 {
		return NewID(n), nil
	}
	if isUUID(s) {
		return ID{text: s, form: formString}, nil
	}
	return ID{}, fmt.Errorf("wire: %q is not an id: want digits (1039) or a UUID", s)
}

// String returns the id's text: the number's digits, or the text as sent.
func (id ID) String() string {
	if id.form == formUnset || id.form == formEmpty || id.text != "" {
		return id.text
	}
	return strconv.FormatInt(id.n, 10)
}

// IsZero reports whether the id is unset (absent, null or "").
func (id ID) IsZero() bool { return id.form == formUnset || id.form == formEmpty }

// Quoted reports whether the id encodes as a JSON string.
func (id ID) Quoted() bool { return id.form == formString || id.form == formEmpty }

// AsString returns the same id, encoded as a JSON string: for request
// fields where Qualys expects "1039".
func (id ID) AsString() ID {
	if !id.IsZero() {
		id.form = formString
	}
	return id
}

// AsNumber returns the same id, encoded as a JSON number where it is one:
// for request fields where Qualys expects 1039.
func (id ID) AsNumber() ID {
	if !id.IsZero() && id.text == "" {
		id.form = formNumber
	}
	return id
}

// Equal reports whether two ids name the same thing, whatever their JSON
// form: the policy id "4677689" from hostids equals 4677689 from posture.
func (id ID) Equal(other ID) bool {
	if id.IsZero() || other.IsZero() {
		return id.IsZero() == other.IsZero()
	}
	return id.n == other.n && id.text == other.text
}

// Int64 returns the id as an integer; it fails for an unset id and for
// ids that are not numbers (UUIDs).
func (id ID) Int64() (int64, error) {
	if id.IsZero() {
		return 0, errors.New("wire: the id is unset")
	}
	if id.text != "" {
		return 0, fmt.Errorf("wire: id %q is not an integer", id.text)
	}
	return id.n, nil
}

// MarshalJSON encodes the id in its form: a number, a string, or null.
func (id ID) MarshalJSON() ([]byte, error) {
	switch {
	case id.form == formUnset:
		return []byte("null"), nil
	case id.form == formEmpty:
		return []byte(`""`), nil
	case id.form == formString:
		if id.text != "" {
			return json.Marshal(id.text)
		}
		return strconv.AppendQuote(nil, strconv.FormatInt(id.n, 10)), nil
	case id.text != "":
		return json.Marshal(id.text) // never a number: keep it valid JSON
	}
	return strconv.AppendInt(nil, id.n, 10), nil
}

// MarshalText gives the id's text, for query and path parameters.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads an id from a query or path parameter.
func (id *ID) UnmarshalText(b []byte) error {
	*id = IDFromString(string(b)).AsNumber()
	return nil
}

// UnmarshalJSON accepts a JSON string, an integer or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	v, err := scanInt(b, "id", "a string or an integer")
	switch {
	case err != nil:
		return err
	case v.text != nil:
		*id = IDFromString(*v.text)
	default:
		*id = ID{n: v.n, form: v.form}
	}
	return nil
}

// scanned is a JSON null, integer or string as scanInt read it.
type scanned struct {
	n    int64
	form form
	text *string // a string that is not a canonical integer
}

// scanInt reads null, a canonical integer, or a JSON string (an integer
// in quotes is read without allocating). Errors name what and want.
func scanInt(b []byte, what, want string) (scanned, error) {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return scanned{}, nil
	case len(b) > 0 && b[0] == '"':
		if n, ok := simpleQuotedInt(b); ok {
			return scanned{n: n, form: formString}, nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return scanned{}, fmt.Errorf("wire: %s: %w", what, err)
		}
		return scanned{form: formString, text: &s}, nil
	}
	n, ok := canonicalInt(b)
	if !ok {
		return scanned{}, fmt.Errorf("wire: %s must be %s, got %s", what, want, truncate(b))
	}
	return scanned{n: n, form: formNumber}, nil
}

// canonicalInt parses b when it is exactly the decimal form that
// strconv.FormatInt would write, so that re-encoding gives back b.
func canonicalInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) || (neg && digits[0] == '0') {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n-1) - 1, true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// simpleQuotedInt parses a JSON string holding only a canonical integer,
// without allocating: the common case of a quoted Qualys id.
func simpleQuotedInt(b []byte) (int64, bool) {
	if len(b) < 3 || b[0] != '"' || b[len(b)-1] != '"' {
		return 0, false
	}
	return canonicalInt(b[1 : len(b)-1])
}

// isUUID reports whether s looks like 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// truncate keeps error messages short when a server sends a large value.
func truncate(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

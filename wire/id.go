package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ID is an identifier that Qualys sends either as a JSON string ("32533")
// or as a JSON number (32533), sometimes both for the same id on different
// endpoints. The zero value is the empty id.
type ID struct {
	raw    string
	quoted bool
}

// IDFromInt returns an id that encodes as a JSON number.
func IDFromInt(n int64) ID { return ID{raw: strconv.FormatInt(n, 10)} }

// IDFromString returns an id that encodes as a JSON string.
func IDFromString(s string) ID { return ID{raw: s, quoted: true} }

// String returns the id's text, the same for either JSON form.
func (id ID) String() string { return id.raw }

// IsZero reports whether the id is empty.
func (id ID) IsZero() bool { return id.raw == "" }

// Quoted reports whether the id was (or will be) encoded as a JSON string.
func (id ID) Quoted() bool { return id.quoted }

// Int64 parses the id as a decimal integer.
func (id ID) Int64() (int64, error) {
	n, err := strconv.ParseInt(id.raw, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wire: id %q is not an integer: %w", id.raw, err)
	}
	return n, nil
}

// MarshalJSON encodes the id in the form it was created or decoded with.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.quoted {
		return json.Marshal(id.raw)
	}
	if id.raw == "" {
		return []byte("null"), nil
	}
	return []byte(id.raw), nil
}

// UnmarshalJSON accepts a JSON string, an integer or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ID{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("wire: id: %w", err)
		}
		*id = ID{raw: s, quoted: true}
		return nil
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
		return fmt.Errorf("wire: id must be a string or an integer, got %s", truncate(b))
	}
	*id = ID{raw: string(b)}
	return nil
}

// truncate keeps error messages short when a server sends a large value.
func truncate(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

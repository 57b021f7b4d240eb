package wire

import (
	"bytes"
	"fmt"
)

// Flag is a boolean that Qualys documents as the string "true"/"false" but
// whose samples send as a JSON boolean (testMode, includeScriptResult,
// includeScriptContent). New values encode as JSON booleans, as the samples do.
type Flag struct {
	value  bool
	quoted bool
}

// FlagOf returns a flag that encodes as a JSON boolean.
func FlagOf(v bool) Flag { return Flag{value: v} }

// Bool returns the flag's value.
func (f Flag) Bool() bool { return f.value }

// MarshalJSON encodes the flag in the form it was decoded with.
func (f Flag) MarshalJSON() ([]byte, error) {
	s := "false"
	if f.value {
		s = "true"
	}
	if f.quoted {
		s = `"` + s + `"`
	}
	return []byte(s), nil
}

// UnmarshalJSON accepts true, false, "true", "false" (any letter case in
// the quoted form) and null.
func (f *Flag) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	quoted := len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"'
	text := b
	if quoted {
		text = b[1 : len(b)-1]
	}
	switch {
	case !quoted && bytes.Equal(b, []byte("null")):
		*f = Flag{}
	case bytes.EqualFold(text, []byte("true")):
		*f = Flag{value: true, quoted: quoted}
	case bytes.EqualFold(text, []byte("false")):
		*f = Flag{quoted: quoted}
	default:
		return fmt.Errorf("wire: flag must be true or false, got %s", truncate(b))
	}
	return nil
}

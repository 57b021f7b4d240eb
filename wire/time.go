package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Time is a date-time that Qualys sends as RFC 3339 text in UTC
// ("2024-10-04T09:47:33Z"), as "" when the event never happened (a control
// that never failed has no fail date), or as null. The zero Time is unset;
// it remembers whether it was "" or null so re-encoding gives back what
// the server sent.
type Time struct {
	t    time.Time
	text string // set only when the text is not what t.Format(RFC3339Nano) gives back
	form form
}

// TimeOf returns t, encoded as RFC 3339 text in UTC.
func TimeOf(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{t: t.UTC(), form: formString}
}

// Time returns the time; the zero time.Time when unset.
func (t Time) Time() time.Time { return t.t }

// IsZero reports whether the time is unset (absent, null or "").
func (t Time) IsZero() bool { return t.form == formUnset || t.form == formEmpty }

// String gives the time as RFC 3339 text, or "" when unset.
func (t Time) String() string {
	switch {
	case t.IsZero():
		return ""
	case t.text != "":
		return t.text
	}
	return t.t.Format(time.RFC3339Nano)
}

// MarshalJSON writes the time as it was read: RFC 3339 text, "" or null.
func (t Time) MarshalJSON() ([]byte, error) {
	switch t.form {
	case formUnset:
		return []byte("null"), nil
	case formEmpty:
		return []byte(`""`), nil
	}
	if t.text != "" {
		return json.Marshal(t.text)
	}
	b := make([]byte, 0, len(time.RFC3339Nano)+2)
	b = append(b, '"')
	b = t.t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts RFC 3339 text, "" and null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("wire: a date-time must be RFC 3339 text, \"\" or null, got %s", truncate(b))
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("wire: date-time: %w", err)
		}
		inner = []byte(s)
	}
	return t.parse(inner)
}

// parse reads the text between the quotes.
func (t *Time) parse(text []byte) error {
	if len(text) == 0 {
		*t = Time{form: formEmpty}
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, string(text))
	if err != nil {
		return fmt.Errorf("wire: date-time %s is not RFC 3339 text", truncate(text))
	}
	*t = Time{t: parsed, form: formString}
	if string(parsed.AppendFormat(make([]byte, 0, 40), time.RFC3339Nano)) != string(text) {
		t.text = string(text)
	}
	return nil
}

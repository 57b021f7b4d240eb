package qualystest

import (
	"strconv"
	"time"

	"github.com/qualyskit/qualys-go/internal/jsonappend"
)

// A few JSON appenders for the posture stream, which writes records by
// hand: encoding/json's reflection would make the simulator, not the
// client, the slowest part of a posture benchmark.

// appendKey appends `,"name":` (without the comma for the first member).
func appendKey(b []byte, first bool, name string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// appendNullString appends s, or null when s is empty.
func appendNullString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return jsonappend.String(b, s)
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// appendDate appends a UTC date-time as Qualys writes it
// (2024-10-04T09:47:33Z), or "" for an event that never happened.
func appendDate(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, `""`...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	return append(b, '"')
}

// appendStrings appends a JSON array of strings.
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, s)
	}
	return append(b, ']')
}

// formatDate formats a time as Qualys' UTC date-time, for encoding/json
// bodies.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

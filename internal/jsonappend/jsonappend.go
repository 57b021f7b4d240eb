// Package jsonappend writes JSON by hand for the two places that produce
// large volumes of it (the posture data generator and the simulator's
// posture stream), where encoding/json's reflection would be the slowest
// part of a benchmark.
package jsonappend

import (
	"math/rand/v2"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// UUID appends a random UUID-shaped text (8-4-4-4-12 hex digits, no
// quotes) drawn from rng, so seeded data sets are reproducible.
func UUID(b []byte, rng *rand.Rand) []byte {
	hi, lo := rng.Uint64(), rng.Uint64()
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		v := hi
		if i >= 16 {
			v = lo
		}
		b = append(b, hexDigits[(v>>(4*(i%16)))&0xf])
	}
	return b
}

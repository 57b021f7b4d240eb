package posturedecode

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner walks one JSON value that the tokenizer has already validated:
// it never meets a syntax error, so it only tracks positions. Every method
// that can meet a form the fast path does not take reports false, and the
// element is then decoded by the general rules.
type scanner struct {
	b []byte
	i int
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// peek returns the next non-space byte.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// consume skips white space and one expected byte.
func (s *scanner) consume(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// stringSpan returns the quoted string starting at s.i (quotes excluded)
// and whether it holds escapes, and moves past it.
func (s *scanner) stringSpan() (span []byte, escaped bool) {
	span, escaped, _ = s.stringSpanASCII()
	return span, escaped
}

// stringSpanASCII is stringSpan, also reporting a string found to be
// plain ASCII (false when not checked), which needs no UTF-8 validation.
func (s *scanner) stringSpanASCII() (span []byte, escaped, ascii bool) {
	start := s.i + 1
	// Most strings are short: a byte loop beats two calls to IndexByte.
	end := min(start+32, len(s.b))
	var high byte
	for j := start; j < end; j++ {
		c := s.b[j]
		switch c {
		case '"':
			s.i = j + 1
			return s.b[start:j], false, high < 0x80
		case '\\':
			span, escaped = s.escapedSpan(start)
			return span, escaped, false
		}
		high |= c
	}
	rest := s.b[start:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return nil, false, false // cannot happen in a validated value
	}
	if bytes.IndexByte(rest[:q], '\\') < 0 {
		s.i = start + q + 1
		return rest[:q], false, false
	}
	span, escaped = s.escapedSpan(start)
	return span, escaped, false
}

// escapedSpan walks a string with escapes to its closing quote, jumping
// from one backslash to the next.
func (s *scanner) escapedSpan(start int) ([]byte, bool) {
	j := start
	for j < len(s.b) {
		q := bytes.IndexByte(s.b[j:], '"')
		if q < 0 {
			return nil, true // cannot happen in a validated value
		}
		bs := bytes.IndexByte(s.b[j:j+q], '\\')
		if bs < 0 {
			s.i = j + q + 1
			return s.b[start : j+q], true
		}
		j += bs + 2 // past the backslash and the character it escapes
	}
	return nil, true
}

// literal moves past a number, true, false or null and returns it.
func (s *scanner) literal() []byte {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:]
}

// value moves past the next value and returns its raw text.
func (s *scanner) value() []byte {
	s.ws()
	start := s.i
	if s.i >= len(s.b) {
		return nil
	}
	switch s.b[s.i] {
	case '"':
		s.stringSpan()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.stringSpan()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return s.b[start:s.i]
				}
			}
			s.i++
		}
	default:
		s.literal()
	}
	return s.b[start:s.i]
}

// isNull reports whether the next value is null, and if so moves past it.
func (s *scanner) isNull() bool {
	if s.peek() == 'n' {
		s.i += len("null")
		return true
	}
	return false
}

// members calls f for each member of the object at s.i with its name
// (unescaped if need be); f must move past the member's value. It reports
// false if f does, or if a name needs a form the fast path does not take.
func (s *scanner) members(d *Decoder, f func(name []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		name, escaped := s.stringSpan()
		if escaped {
			var ok bool
			if name, ok = d.unquote(name); !ok {
				return false
			}
		}
		if !s.consume(':') || !f(name) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// unquote decodes the escapes of a string's content (validated JSON)
// into the decoder's scratch buffer, which the next call reuses. Invalid
// UTF-8 or a lone surrogate is left to the general rules, which replace
// it with U+FFFD.
func (d *Decoder) unquote(span []byte) ([]byte, bool) {
	out := d.unquoted[:0]
	for {
		bs := bytes.IndexByte(span, '\\')
		if bs < 0 {
			out = append(out, span...)
			break
		}
		out = append(out, span[:bs]...)
		if bs+1 >= len(span) {
			return nil, false
		}
		c := span[bs+1]
		span = span[bs+2:]
		switch c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(span)
			if !ok {
				return nil, false
			}
			span = span[4:]
			if utf16.IsSurrogate(r) {
				if len(span) < 6 || span[0] != '\\' || span[1] != 'u' {
					return nil, false
				}
				r2, ok := hex4(span[2:])
				if !ok {
					return nil, false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false
				}
				span = span[6:]
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
	}
	d.unquoted = out
	if !utf8.Valid(out) {
		return nil, false
	}
	return out, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

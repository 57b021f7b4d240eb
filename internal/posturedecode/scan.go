package posturedecode

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner walks the bytes of one JSON value and checks their syntax as it
// goes, as strictly as the tokenizer would with jsonstream's rules (any
// bytes at or above 0x80 are allowed in strings, since invalid UTF-8 is
// accepted there; duplicate names are allowed). Every method reports
// false on a syntax error, on a form the fast path does not take, or on
// reaching the end of b; in the last case short is set, and the value may
// still be whole once more bytes are read. A value the scanner accepts is
// valid JSON; a value it refuses goes to the general decoder, which owns
// the error messages.
type scanner struct {
	b     []byte
	i     int
	depth int
	short bool
}

// maxDepth bounds the nesting the fast path takes: far below the
// tokenizer's own limit, so a deeper value goes to the tokenizer, which
// reports it.
const maxDepth = 256

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// peek returns the next non-space byte, or 0 at the end of the input.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	s.short = true
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

// word moves past one of the literals true, false and null.
func (s *scanner) word(w string) bool {
	rest := s.b[s.i:]
	if len(rest) < len(w) {
		if string(rest) == w[:len(rest)] {
			s.short = true
		}
		return false
	}
	if string(rest[:len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// SWAR constants: a byte repeated in each of a word's eight lanes.
const (
	lanes   = 0x0101010101010101
	laneTop = 0x8080808080808080
)

// stringSpan is stringSpanASCII without the ASCII report.
func (s *scanner) stringSpan() (span []byte, escaped, ok bool) {
	span, escaped, _, ok = s.stringSpanASCII()
	return span, escaped, ok
}

// stringSpanASCII moves past the quoted string at s.i and returns its
// content (quotes excluded, escapes left as they are), whether it holds
// escapes, and whether it is plain ASCII. It checks what the tokenizer
// checks: no control character, and each escape one of \" \\ \/ \b \f
// \n \r \t or \u with four hex digits (a lone surrogate is allowed, as
// invalid UTF-8 is). Eight bytes are looked at a time.
func (s *scanner) stringSpanASCII() (span []byte, escaped, ascii, ok bool) {
	b := s.b
	start := s.i + 1
	j := start
	var high uint64
	for {
		var h uint64
		j, h = plainRun(b, j)
		high |= h
		if j == len(b) {
			s.short = true
			return nil, false, false, false
		}
		switch b[j] {
		case '"':
			s.i = j + 1
			return b[start:j], escaped, !escaped && high&laneTop == 0, true
		case '\\':
			escaped = true
			if j+1 >= len(b) {
				s.short = true
				return nil, false, false, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					s.short = escapeCut(b[j:], false)
					return nil, false, false, false
				}
				if _, ok := hex4(b[j+2:]); !ok {
					return nil, false, false, false
				}
				j += 6
			default:
				return nil, false, false, false
			}
		default: // a control character
			return nil, false, false, false
		}
	}
}

// plainRun returns the index of the first quote, backslash or control
// character of b at or after j (len(b) when there is none) and the OR of
// the bytes before it, whose top bits tell whether any is above 0x7f.
// Eight bytes are looked at a time.
func plainRun(b []byte, j int) (int, uint64) {
	var high uint64
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		q := x ^ (lanes * '"')
		e := x ^ (lanes * '\\')
		// A lane is flagged if it is 0 after the XOR (a quote or a
		// backslash) or below 0x20; lanes above the first flagged one may
		// be flagged wrongly, so only the first is used.
		m := ((q - lanes) &^ q) | ((e - lanes) &^ e) | ((x - lanes*0x20) &^ x)
		if m &= laneTop; m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			return j + k, high | x&(1<<(8*k)-1)
		}
		high |= x
		j += 8
	}
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		high |= uint64(c)
	}
	return j, high
}

// stringText moves past the quoted string at s.i, checking it as
// stringSpanASCII does, and returns its text with the escapes decoded in
// the same pass: a slice of b when it has none, else *scratch, which the
// next call reuses. It also reports false for text the general rules
// would change (invalid UTF-8, a lone surrogate: they put U+FFFD there).
func (s *scanner) stringText(scratch *[]byte) ([]byte, bool) {
	b := s.b
	start := s.i + 1
	j, seg := start, start // seg: the first byte not yet copied to out
	var high uint64
	var out []byte
	escaped := false
	for {
		var h uint64
		j, h = plainRun(b, j)
		high |= h
		if j == len(b) {
			s.short = true
			return nil, false
		}
		switch b[j] {
		case '"':
			s.i = j + 1
			text := b[start:j]
			if escaped {
				out = append(out, b[seg:j]...)
				*scratch, text = out, out
			}
			// Escapes add only valid UTF-8; the raw bytes are checked
			// when there are bytes above 0x7f.
			if high&laneTop != 0 && !utf8.Valid(text) {
				return nil, false
			}
			return text, true
		case '\\':
			if !escaped {
				escaped, out = true, (*scratch)[:0]
			}
			out = append(out, b[seg:j]...)
			if j+1 >= len(b) {
				s.short = true
				return nil, false
			}
			if c, ok := simpleEscape(b[j+1]); ok {
				out = append(out, c)
				j += 2
			} else {
				r, n, ok := s.escapedRune(j)
				if !ok {
					return nil, false
				}
				out = utf8.AppendRune(out, r)
				j += n
			}
			seg = j
		default: // a control character
			return nil, false
		}
	}
}

// escapedRune decodes the escape at b[j] as unicodeEscape does and, when
// the end of the input cuts it, reports whether more input may make it
// whole.
func (s *scanner) escapedRune(j int) (rune, int, bool) {
	b := s.b
	r, n, ok := unicodeEscape(b[j:])
	switch {
	case ok || j+12 <= len(b):
	case j+6 > len(b):
		s.short = escapeCut(b[j:], false)
	default:
		// A high surrogate cut before its second half; a low surrogate
		// first is never whole.
		if hi, valid := hex4(b[j+2:]); valid && utf16.IsSurrogate(hi) {
			s.short = hi < 0xdc00 && escapeCut(b[j+6:], true)
		}
	}
	return r, n, ok
}

// simpleEscape decodes the character after a backslash of a one-character
// JSON escape; ok is false for \u and for what JSON does not allow.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// unicodeEscape decodes the \u escape at the start of b, with the second
// half of a surrogate pair, and returns the rune and the escape's length;
// a lone or reversed surrogate, or b too short, reports false.
func unicodeEscape(b []byte) (rune, int, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, 0, false
	}
	r, ok := hex4(b[2:])
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
		return 0, 0, false
	}
	r2, ok := hex4(b[8:])
	if !ok {
		return 0, 0, false
	}
	if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
		return 0, 0, false
	}
	return r, 12, true
}

// escapeCut reports whether rest, cut by the end of the input, could be
// the start of a \u escape with four hex digits (of a low surrogate, the
// second half of a pair, if low is set), so that more input may make it
// whole.
func escapeCut(rest []byte, low bool) bool {
	for i, c := range rest[:min(len(rest), 6)] {
		var ok bool
		switch {
		case i == 0:
			ok = c == '\\'
		case i == 1:
			ok = c == 'u'
		case low && i == 2:
			ok = c == 'd' || c == 'D'
		case low && i == 3:
			ok = 'c' <= c|0x20 && c|0x20 <= 'f'
		default:
			ok = isHex(c)
		}
		if !ok {
			return false
		}
	}
	return true
}

// number moves past a JSON number, checking its grammar.
func (s *scanner) number() bool {
	b, j := s.b, s.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j >= len(b) {
		s.short = true
		return false
	}
	switch c := b[j]; {
	case c == '0':
		j++
	case '1' <= c && c <= '9':
		j++
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j < len(b) && !isDigit(b[j]) {
			return false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && !isDigit(b[j]) {
			return false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j >= len(b) { // the number may go on past the input
		s.short = true
		return false
	}
	s.i = j
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// value moves past the next value, checking it, and returns its text.
func (s *scanner) value() ([]byte, bool) {
	c := s.peek()
	start := s.i
	ok := s.skip(c)
	return s.b[start:s.i], ok
}

// skip moves past the value at s.i, which starts with c.
func (s *scanner) skip(c byte) bool {
	switch c {
	case '"':
		_, _, ok := s.stringSpan()
		return ok
	case '{', '[':
		return s.skipContainer(c)
	case 't':
		return s.word("true")
	case 'f':
		return s.word("false")
	case 'n':
		return s.word("null")
	case 0:
		return false
	}
	return s.number()
}

// skipContainer moves past the object or array at s.i.
func (s *scanner) skipContainer(open byte) bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	s.i++
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	if s.consume(closing) {
		s.depth--
		return true
	}
	for {
		c := s.peek()
		if open == '{' {
			if c != '"' {
				return false
			}
			if _, _, ok := s.stringSpan(); !ok || !s.consume(':') {
				return false
			}
			c = s.peek()
		}
		if !s.skip(c) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case closing:
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// isNull reports whether the next value starts with n, and moves past it
// if it is null. Anything else that starts with n (or a null cut by the
// end of the input) is left in place, so the caller's next check fails.
func (s *scanner) isNull() bool {
	if s.peek() != 'n' {
		return false
	}
	s.word("null")
	return true
}

// members calls f for each member of the object at s.i with its name
// (unescaped if need be); f must move past the member's value. It reports
// false if f does, or if a name needs a form the fast path does not take.
func (s *scanner) members(d *Decoder, f func(name []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.depth++; s.depth > maxDepth {
		return false
	}
	if s.consume('}') {
		s.depth--
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		name, escaped, ok := s.stringSpan()
		if !ok {
			return false
		}
		if escaped {
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
			s.depth--
			return true
		default:
			return false
		}
	}
}

// unquote decodes the escapes of a string's content (already checked by
// stringSpan) into the decoder's scratch buffer, which the next call
// reuses. Invalid UTF-8 or a lone surrogate is left to the general rules,
// which replace it with U+FFFD.
func (d *Decoder) unquote(span []byte) ([]byte, bool) {
	out := d.unquoted[:0]
	for {
		bs := bytes.IndexByte(span, '\\')
		if bs < 0 {
			out = append(out, span...)
			break
		}
		out = append(out, span[:bs]...)
		span = span[bs:]
		if len(span) < 2 {
			return nil, false
		}
		if c, ok := simpleEscape(span[1]); ok {
			out = append(out, c)
			span = span[2:]
			continue
		}
		r, n, ok := unicodeEscape(span)
		if !ok {
			return nil, false
		}
		out = utf8.AppendRune(out, r)
		span = span[n:]
	}
	d.unquoted = out
	if !utf8.Valid(out) {
		return nil, false
	}
	return out, true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

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

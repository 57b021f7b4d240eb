// Package jsonstream decodes a JSON array one element at a time, in memory
// that does not grow with the size of the body: one element plus fixed
// buffers. It exists for PCRS posture info, which answers with one JSON
// array of posture records that can run to gigabytes, sent as plain JSON or
// as a raw gzip stream without Content-Encoding.
//
// # Body forms
//
// The body may be plain JSON or gzip (detected by its magic bytes 1f 8b,
// whatever the headers said; a caller passes the raw body). Leading
// whitespace is allowed. The top-level value must be:
//
//   - an array: each element is decoded and yielded in order; an empty array
//     yields nothing and no error;
//   - an object: it is yielded as the only element. Qualys documentation
//     prints a one-record posture answer as a bare object (PA 1.7 sample),
//     so a single record is accepted in either form.
//
// A caller may inspect that lone object first ([CheckObject]), e.g. to tell
// an error envelope from a record.
//
// Anything else (an HTML or XML error page, text, a JSON string, number,
// boolean or null, an empty body) yields one error that wraps [ErrNotArray]
// and quotes the first bytes that were found; an empty body also wraps
// [io.ErrUnexpectedEOF], since a stream cut before its first byte must not
// read as "no records". Only whitespace may follow the closing ']' (or the
// single object); anything else is an error.
//
// # Errors
//
// Every error is an [*Error] carrying the index of the element being read.
// It is yielded after all elements decoded before it, and it ends the
// iteration: a stream is never silently cut short. A body cut inside the
// array, plain or inside the gzip stream, matches [io.ErrUnexpectedEOF]
// with [errors.Is]. An element that does not fit T (a wrong JSON type, an
// id that is not an integer) also ends the iteration: the decoder cannot
// resynchronise reliably after it, and a caller that skipped it would
// silently lose a record.
//
// # Size bounds
//
// No element may take more than [MaxElementSize] bytes of decoded JSON
// (default [DefaultMaxElementSize]), counting the white space before it,
// and a run of white space between elements is bounded the same way. The
// bytes counted are those after decompression, so a small gzip body that
// expands to an endless string or an ocean of blanks fails as soon as the
// bound is passed, in memory of the order of the bound. Such an error wraps
// [ErrTooLarge].
//
// # Decoding rules
//
// Elements are decoded with github.com/go-json-experiment/json (the
// encoding/json/v2 API), which is two to three times faster than
// encoding/json, with options chosen so that a generated type decodes to
// the same Go value it would get from encoding/json (the generated
// ClientWithResponses path):
//
//   - object names match struct fields case-insensitively, exact match
//     first, as encoding/json does; underscores and dashes are significant,
//     so "CLOUD_RESOURCE_ID" never fills a "cloudResourceId" field;
//   - unknown object members are ignored (Qualys adds fields within a
//     version);
//   - duplicate object names are allowed and the last one wins, as in
//     encoding/json: one odd record must not fail a stream of millions
//     (and skipping the duplicate check is also faster); a later null
//     leaves a number, string or bool as it was and a later object merges
//     into the earlier one, as in encoding/json (v1's merge rules);
//   - invalid UTF-8 inside strings is replaced with U+FFFD, as encoding/json
//     does, instead of failing the element.
//
// Other v1 differences do not arise for fresh, generated values: each
// element is decoded into a new T. time.Time
// fields parse RFC 3339 in both packages; both reject "" (which Qualys sends
// for dates that never happened, so such fields must be strings), and only
// encoding/json accepts zone offsets of 24 hours or more.
//
// Types that implement only encoding/json's Unmarshaler still work; the
// wire types also implement the faster v2 UnmarshalJSONFrom. [DecodeOptions]
// adds or overrides options, for example json.RejectUnknownMembers(true)
// in a contract test.
//
// With an [ElementDecoder] ([WithElementDecoder]), the elements of an
// array are read in one pass: the decoder checks each element's syntax
// while it binds it, instead of the tokenizer validating the element and
// the decoder scanning it again. The tokenizer reads whatever the decoder
// refuses, one element at a time, so values and errors are the same.
//
// # Lifetime
//
// Breaking out of the range loop stops reading at once. [Elements] starts
// no goroutine. [ElementsCloser] inflates a gzip body on a second
// goroutine, a few chunks ahead of the decoder, so that inflating and
// decoding share two cores; it closes the body and waits for that
// goroutine before the iteration returns. A sequence reads its body once:
// ranging over it a second time yields an error. [Elements] never closes its reader; [ElementsCloser]
// closes it when the iteration ends, however it ends.
package jsonstream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync/atomic"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// ErrNotArray is wrapped by the error for a body whose top-level value is
// not a JSON array or object (an HTML error page, XML, text, an empty body).
var ErrNotArray = errors.New("body is not a JSON array")

// ErrTooLarge is wrapped by the error for an element (with the white space
// before it) larger than [MaxElementSize].
var ErrTooLarge = errors.New("element too large")

// errReused is the error for a second range over the same sequence.
var errReused = errors.New("sequence already used: a body can be read only once")

// Error is the error type of every error that [Elements] yields.
type Error struct {
	// Index is the position in the array of the element being read when
	// the error happened, which is also the number of elements decoded
	// before it.
	Index int
	// Err is the cause: a jsontext.SyntacticError, a json.SemanticError,
	// an error from the reader or the gzip stream, or one wrapping
	// [ErrNotArray].
	Err error

	stage stage
}

// stage says where in the body an error happened, for its message.
type stage uint8

const (
	beforeArray stage = iota
	inElement
	betweenElements
)

func (e *Error) Error() string {
	switch {
	case e.stage == inElement:
		return fmt.Sprintf("jsonstream: element %d: %v", e.Index, e.Err)
	case e.stage == betweenElements && e.Index == 1:
		return fmt.Sprintf("jsonstream: after 1 element: %v", e.Err)
	case e.stage == betweenElements:
		return fmt.Sprintf("jsonstream: after %d elements: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("jsonstream: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// An Option changes how [Elements] reads a body.
type Option func(*config)

type config struct {
	bufferSize     int
	maxElement     int64
	checkObject    func([]byte) error
	extra          []json.Options
	elementDecoder any // func() ElementDecoder[T], see WithElementDecoder
	// tokenizerOnly keeps the tokenizer as the reader of every element
	// (set by the tests, which compare the two paths).
	tokenizerOnly bool
}

// BufferSize sets the size of the read buffer in front of the body
// (default 64 KiB).
func BufferSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.bufferSize = n
		}
	}
}

// DefaultMaxElementSize is the default of [MaxElementSize].
const DefaultMaxElementSize = 16 << 20

// MaxElementSize bounds the decoded bytes of one element, white space
// before it included (default [DefaultMaxElementSize]); n <= 0 keeps the
// default. A bigger element ends the iteration with an error wrapping
// [ErrTooLarge].
func MaxElementSize(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxElement = n
		}
	}
}

// CheckObject runs check on the raw JSON of a body whose top-level value is
// a lone object, before it is decoded as the only element. An error from
// check is yielded instead of the element (wrapped in an [*Error]).
func CheckObject(check func(raw []byte) error) Option {
	return func(c *config) { c.checkObject = check }
}

// DecodeOptions adds json or jsontext options after the package's defaults,
// which they override (later options win).
func DecodeOptions(opts ...json.Options) Option {
	return func(c *config) { c.extra = append(c.extra, opts...) }
}

const defaultBufferSize = 64 << 10

// v1Compatible holds the decoding rules described in the package comment.
var v1Compatible = json.JoinOptions(
	json.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	json.RejectUnknownMembers(false),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv1.MergeWithLegacySemantics(true),
)

// Elements yields each element of the top-level JSON array read from r,
// decoded into T, one at a time. A gzip stream (detected by its magic bytes
// 1f 8b) is decompressed while reading. See the package comment for the
// accepted bodies, the errors and the decoding rules.
//
// The caller owns r; Elements does not close it.
func Elements[T any](r io.Reader, opts ...Option) iter.Seq2[T, error] {
	c := newConfig(opts)
	var used atomic.Bool
	return func(yield func(T, error) bool) {
		if used.Swap(true) {
			var zero T
			yield(zero, &Error{Err: errReused})
			return
		}
		decode(r, c, nil, yield)
	}
}

// ElementsCloser is [Elements] for a body that must be closed, such as an
// http.Response body: rc is closed when the iteration ends, whether it
// reached the end, stopped at an error, or the caller broke out of the loop
// (or panicked in it). Closing an unfinished HTTP body drops the connection
// instead of draining a large stream. An error from Close is not reported.
//
// If the sequence is never ranged over, rc is not closed; the caller must
// then close it.
func ElementsCloser[T any](rc io.ReadCloser, opts ...Option) iter.Seq2[T, error] {
	c := newConfig(opts)
	var used, closed atomic.Bool
	closeBody := func() {
		if !closed.Swap(true) {
			rc.Close()
		}
	}
	return func(yield func(T, error) bool) {
		defer closeBody()
		if used.Swap(true) {
			var zero T
			yield(zero, &Error{Err: errReused})
			return
		}
		decode(rc, c, closeBody, yield)
	}
}

func newConfig(opts []Option) config {
	c := config{bufferSize: defaultBufferSize, maxElement: DefaultMaxElementSize}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// decode reads the body r. stop, when set, closes it: a gzip body is then
// inflated on a second goroutine, which stop can interrupt.
func decode[T any](r io.Reader, c config, stop func(), yield func(T, error) bool) {
	var zero T
	fail := func(index int, where stage, err error) {
		yield(zero, &Error{Index: index, Err: err, stage: where})
	}

	br := bufio.NewReaderSize(r, c.bufferSize)
	var src io.Reader = br
	magic, err := br.Peek(2)
	switch {
	case err != nil && err != io.EOF:
		fail(0, beforeArray, err)
		return
	case len(magic) == 1 && magic[0] == 0x1f:
		// No JSON starts with 1f: a gzip stream cut after one byte.
		fail(0, beforeArray, fmt.Errorf("gzip: %w", io.ErrUnexpectedEOF))
		return
	case len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, wait, err := newGzipReader(br, stop)
		if err != nil {
			fail(0, beforeArray, err)
			return
		}
		defer wait()
		src = zr
	}

	codec, err := newElementCodec[T](c)
	if err != nil {
		fail(0, beforeArray, err)
		return
	}
	if codec.fast != nil && !c.tokenizerOnly {
		decodeFast(src, c, codec, yield)
		return
	}
	decodeTokens(src, c, codec, yield)
}

// decodeTokens reads the body src with the jsontext tokenizer, which
// validates each element before it is decoded.
func decodeTokens[T any](src io.Reader, c config, codec *elementCodec[T], yield func(T, error) bool) {
	var zero T
	// The bound sits after decompression: what counts is what the decoder
	// must hold, not what crossed the wire.
	budget := &budgetReader{r: src, limit: c.maxElement, max: c.maxElement}
	dec := jsontext.NewDecoder(budget, codec.opts)
	// fail reports a tripped bound as such, whatever the decoder made of
	// the refused read.
	fail := func(index int, where stage, err error) {
		if budget.tripped {
			err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.maxElement)
		}
		yield(zero, &Error{Index: index, Err: err, stage: where})
	}
	// The first token decides the form of the body.
	n := 0
	switch kind := dec.PeekKind(); kind {
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			fail(0, beforeArray, err)
			return
		}
		for {
			switch dec.PeekKind() {
			case ']':
				if _, err := dec.ReadToken(); err != nil {
					fail(n, betweenElements, err)
					return
				}
				checkEnd(dec, n, fail)
				return
			case 0: // an error, reported by the read that follows
				_, err := dec.ReadToken()
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				fail(n, betweenElements, err)
				return
			}
			var v T
			if err := codec.decode(dec, &v); err != nil {
				fail(n, inElement, err)
				return
			}
			if !yield(v, nil) {
				return
			}
			n++
			budget.next(dec.InputOffset())
		}
	case '{':
		var v T
		if c.checkObject != nil {
			raw, err := dec.ReadValue()
			if err != nil {
				fail(0, inElement, err)
				return
			}
			if err := c.checkObject(raw); err != nil {
				fail(0, inElement, err)
				return
			}
			if err := codec.decodeRaw(raw, &v); err != nil {
				fail(0, inElement, err)
				return
			}
		} else if err := codec.decode(dec, &v); err != nil {
			fail(0, inElement, err)
			return
		}
		budget.next(dec.InputOffset())
		if !yield(v, nil) {
			return
		}
		checkEnd(dec, 1, fail)
	case 0:
		prefix := describePrefix(dec.UnreadBuffer())
		_, err := dec.ReadToken()
		switch {
		case err == io.EOF:
			fail(0, beforeArray, fmt.Errorf("%w: the body is empty: %w", ErrNotArray, io.ErrUnexpectedEOF))
		case isSyntax(err) && prefix != "":
			fail(0, beforeArray, fmt.Errorf("%w: found %s", ErrNotArray, prefix))
		default: // an I/O or gzip error
			fail(0, beforeArray, err)
		}
	default:
		fail(0, beforeArray, fmt.Errorf("%w: found %s", ErrNotArray, describePrefix(dec.UnreadBuffer())))
	}
}

// checkEnd reports anything but whitespace after the top-level value. The
// read to the end also surfaces a gzip stream cut in its trailer or failing
// its checksum.
func checkEnd(dec *jsontext.Decoder, n int, fail func(int, stage, error)) {
	switch _, err := dec.ReadToken(); {
	case err == io.EOF:
	case err == nil:
		fail(n, betweenElements, errors.New("unexpected data after the top-level value"))
	default:
		fail(n, betweenElements, err)
	}
}

// budgetReader refuses to read more than max bytes past the end of the
// last element decoded, which bounds the decoder's buffer: it grows only
// to hold one element (and the white space before it).
type budgetReader struct {
	r       io.Reader
	read    int64 // bytes handed to the decoder
	limit   int64 // read may not pass this offset
	max     int64
	tripped bool
}

var errBudget = errors.New("read refused: element bound reached")

func (b *budgetReader) Read(p []byte) (int, error) {
	room := b.limit - b.read
	if room <= 0 {
		b.tripped = true
		return 0, errBudget
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// next starts the budget of the next element at offset, where the last
// one ended.
func (b *budgetReader) next(offset int64) {
	b.limit = offset + b.max
	if b.limit < offset { // overflow: no bound left to enforce
		b.limit = 1<<63 - 1
	}
}

func isSyntax(err error) bool {
	var se *jsontext.SyntacticError
	return errors.As(err, &se)
}

// describePrefix names what a body that is not an array starts with, as a
// short quoted (hence terminal-safe) excerpt.
func describePrefix(buf []byte) string {
	buf = bytes.TrimLeft(buf, " \t\r\n")
	if len(buf) == 0 {
		return ""
	}
	const limit = 48
	what := "text"
	switch c := buf[0]; {
	case c == '<':
		what = "HTML or XML"
	case c == '"':
		what = "a JSON string"
	case c == 't' || c == 'f':
		what = "a JSON boolean or text"
	case c == 'n':
		what = "a JSON null or text"
	case c == '-' || '0' <= c && c <= '9':
		what = "a JSON number or text"
	}
	excerpt := buf
	ellipsis := ""
	if len(excerpt) > limit {
		excerpt, ellipsis = excerpt[:limit], "..."
	}
	return fmt.Sprintf("%s starting %q%s", what, excerpt, ellipsis)
}

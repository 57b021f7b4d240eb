package jsonstream

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeFast reads an array whose elements an ElementDecoder takes, in one
// pass over their bytes: the decoder checks each element's syntax while it
// binds it (DecodePrefix), where the tokenizer would first validate the
// element and the decoder then scan it again. This loop reads the white
// space and commas between elements itself. Anything else goes to the
// tokenizer, one element at a time (fallback), so values and errors are
// the ones decodeTokens gives: an element the decoder refuses, a
// separator that is not a plain comma, the end of the array, a read
// error, an element near the size bound, and a body that is not an array
// (which decodeTokens reads whole).
func decodeFast[T any](src io.Reader, c config, codec *elementCodec[T], yield func(T, error) bool) {
	w := &window{src: src, chunk: c.bufferSize, buf: make([]byte, 0, 2*c.bufferSize)}
	f := &fastArray[T]{w: w, c: c, codec: codec, yield: yield, reach: max(4*int64(c.bufferSize), minReach)}
	i := 0
	for {
		for i < len(w.buf) && isSpace(w.buf[i]) {
			i++
		}
		if i < len(w.buf) || int64(i) >= f.reach || !w.fill(0) {
			break
		}
	}
	if i >= len(w.buf) || w.buf[i] != '[' || int64(i) >= c.maxElement {
		decodeTokens(&replay{w: w}, c, codec, yield)
		return
	}
	f.run(int64(i) + 1)
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// fastArray is the state of decodeFast inside the array. Positions are
// offsets in the (decompressed) stream.
type fastArray[T any] struct {
	w     *window
	c     config
	codec *elementCodec[T]
	yield func(T, error) bool
	// reach bounds how far past the end of the last element the fast
	// path reads before it leaves a long run of white space or a large
	// element to the tokenizer, so that its window stays small.
	reach int64
	dec   *jsontext.Decoder // the fallback tokenizer, made on first use
}

// retries bounds the fast attempts at an element cut by the end of the
// window, each after one more read: a body that trickles in would
// otherwise be scanned again and again. Only one read is made before each
// attempt, as the tokenizer reads only what it needs, so an element whose
// last bytes have arrived is yielded without waiting for the next ones.
const retries = 8

// minReach is the least of fastArray.reach.
const minReach = 256 << 10

// run reads the elements from p, just after the '['.
func (f *fastArray[T]) run(p int64) {
	budgetStart := int64(0) // the bound counts from the end of the last element
	for n := 0; ; n++ {
		var v T
		if start, ok := f.next(p, budgetStart, n); ok {
			if end, ok := f.element(start, p, budgetStart, &v); ok {
				if !f.yield(v, nil) {
					return
				}
				p, budgetStart = end, end
				continue
			}
		}
		end, ok := f.fallback(n, p, budgetStart)
		if !ok {
			return
		}
		p, budgetStart = end, end
	}
}

// next skips the white space and, after the first element, the comma
// before element n, and returns the offset of its first byte; ok is false
// for anything else (the end of the array, a stray byte, no more input).
func (f *fastArray[T]) next(p, budgetStart int64, n int) (int64, bool) {
	w := f.w
	needComma := n > 0
	j := p
	for {
		k := int(j - w.base)
		for ; k < len(w.buf); k++ {
			c := w.buf[k]
			switch {
			case isSpace(c):
			case needComma && c == ',':
				needComma = false
			case needComma || c == ']' || c == ',':
				return 0, false
			default:
				return w.base + int64(k), true
			}
		}
		j = w.base + int64(k)
		if !f.more(p, budgetStart) {
			return 0, false
		}
	}
}

// element decodes the element at start into v and returns its end.
func (f *fastArray[T]) element(start, p, budgetStart int64, v *T) (int64, bool) {
	w := f.w
	for try := 0; ; try++ {
		n, ok, more := f.codec.fast.DecodePrefix(w.buf[start-w.base:], v)
		if ok {
			end := start + int64(n)
			// At the bound, the tokenizer decides, as it would have.
			return end, end-budgetStart < f.c.maxElement
		}
		if !more || try == retries {
			return 0, false
		}
		if !f.more(p, budgetStart) {
			return 0, false
		}
		var zero T
		*v = zero
	}
}

// more reads more of the body into the window, keeping it from p on.
func (f *fastArray[T]) more(p, budgetStart int64) bool {
	end := f.w.end()
	if end-budgetStart >= f.c.maxElement || end-p >= f.reach {
		return false
	}
	return f.w.fill(p)
}

// fallback reads element n, or the end of the array, with the tokenizer
// from p, the end of element n-1 (or the '['), as decodeTokens would, and
// reports where the element ended, or false when the iteration is over.
// The tokenizer is shown "[{}" and then the body from p ("[" for the
// first element), so that it stands where it would in the whole body: the
// "{}" stands for the elements before (a number could run on into the
// body's next byte). The offsets and JSON pointers of its
// errors are then moved to the body's.
func (f *fastArray[T]) fallback(n int, p, budgetStart int64) (int64, bool) {
	var zero T
	prefix := "[{}"
	if n == 0 {
		prefix = "["
	}
	w := f.w
	rp := &replay{w: w, pre: prefix, pos: int(p - w.base)}
	shift := p - int64(len(prefix)) // the tokenizer's offset 0 in the body
	budget := &budgetReader{r: rp, limit: budgetStart + f.c.maxElement - shift, max: f.c.maxElement}
	if f.dec == nil {
		f.dec = jsontext.NewDecoder(budget, f.codec.opts)
	} else {
		f.dec.Reset(budget, f.codec.opts)
	}
	dec := f.dec
	fail := func(_ int, where stage, err error) {
		if budget.tripped {
			err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.c.maxElement)
		} else {
			relocate(err, shift, n)
		}
		f.yield(zero, &Error{Index: n, Err: err, stage: where})
	}
	if _, err := dec.ReadToken(); err != nil {
		fail(n, betweenElements, err)
		return 0, false
	}
	if n > 0 {
		if _, err := dec.ReadValue(); err != nil {
			fail(n, betweenElements, err)
			return 0, false
		}
	}
	switch dec.PeekKind() {
	case ']':
		if _, err := dec.ReadToken(); err != nil {
			fail(n, betweenElements, err)
			return 0, false
		}
		checkEnd(dec, n, fail)
		return 0, false
	case 0: // an error, reported by the read that follows
		_, err := dec.ReadToken()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		fail(n, betweenElements, err)
		return 0, false
	}
	var v T
	if err := f.codec.decode(dec, &v); err != nil {
		fail(n, inElement, err)
		return 0, false
	}
	end := dec.InputOffset() + shift
	// The window goes on from the element's end: what the tokenizer read
	// past it, then what it left in the window.
	leftover, rest := dec.UnreadBuffer(), w.buf[rp.pos:]
	buf := make([]byte, 0, max(cap(w.buf), len(leftover)+len(rest)+w.chunk))
	w.buf = append(append(buf, leftover...), rest...)
	w.base = end
	if !f.yield(v, nil) {
		return 0, false
	}
	return end, true
}

// relocate moves an error of the fallback tokenizer to the body: its
// offset by shift, and the index of the element in its JSON pointer from
// the tokenizer's (1 after the stand-in "{}") to n.
func relocate(err error, shift int64, n int) {
	var me *json.SemanticError
	if errors.As(err, &me) {
		me.ByteOffset += shift
		me.JSONPointer = renumber(me.JSONPointer, n)
		return
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		se.ByteOffset += shift
		se.JSONPointer = renumber(se.JSONPointer, n)
	}
}

func renumber(ptr jsontext.Pointer, n int) jsontext.Pointer {
	rest, ok := strings.CutPrefix(string(ptr), "/1")
	if n == 0 || !ok || rest != "" && rest[0] != '/' {
		return ptr
	}
	return jsontext.Pointer("/" + strconv.Itoa(n) + rest)
}

// window holds the bytes of the body from offset base that the fast path
// has read and not yet passed.
type window struct {
	src   io.Reader
	buf   []byte
	base  int64
	err   error // from src, returned once buf is drained
	chunk int
}

// end is the offset just past the window.
func (w *window) end() int64 { return w.base + int64(len(w.buf)) }

// fill reads once from src into the window's free room; it reports
// whether bytes were added. When the room is less than a chunk, the bytes
// before offset keep are dropped first, and the buffer grows if the
// room is then less than a chunk or than the bytes kept: so each byte is
// moved a bounded number of times however small the reads are, even when
// keep does not move for long (a long run of white space).
func (w *window) fill(keep int64) bool {
	if w.err != nil {
		return false
	}
	if cap(w.buf)-len(w.buf) < w.chunk {
		if k := int(keep - w.base); k > 0 {
			w.buf = w.buf[:copy(w.buf, w.buf[k:])]
			w.base = keep
		}
		if room := cap(w.buf) - len(w.buf); room < w.chunk || room < len(w.buf) {
			buf := make([]byte, len(w.buf), 2*len(w.buf)+w.chunk)
			copy(buf, w.buf)
			w.buf = buf
		}
	}
	n, err := w.src.Read(w.buf[len(w.buf):cap(w.buf)])
	w.buf = w.buf[:len(w.buf)+n]
	if err != nil {
		w.err = err
	}
	return n > 0
}

// replay reads pre, then the window from pos, then the rest of the body.
type replay struct {
	w   *window
	pre string
	pos int
}

func (r *replay) Read(p []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(p, r.pre)
		r.pre = r.pre[n:]
		return n, nil
	}
	if r.pos < len(r.w.buf) {
		n := copy(p, r.w.buf[r.pos:])
		r.pos += n
		return n, nil
	}
	if r.w.err != nil {
		return 0, r.w.err
	}
	n, err := r.w.src.Read(p)
	if err != nil {
		r.w.err = err
	}
	return n, err
}

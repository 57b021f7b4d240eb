package jsonstream

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// An ElementDecoder decodes one element of a stream from its raw JSON
// text, faster than reflection can, for a type whose shape is known in
// advance. Either method fills *v and reports true, or reports false, with
// *v in any state, when the element holds anything it does not handle
// exactly as the decoding rules of the package comment say (an unusual
// form, a duplicate name, a wrong type): the element is then read by the
// tokenizer and decoded by those rules, so the value or the error is the
// same as without an ElementDecoder.
type ElementDecoder[T any] interface {
	// DecodeElement decodes raw, a complete, syntactically valid JSON
	// value (strings may hold invalid UTF-8), only valid during the call.
	DecodeElement(raw []byte, v *T) bool
	// DecodePrefix decodes the JSON value at the start of buf (no white
	// space before it) and returns its length. Nothing has checked buf:
	// the decoder must check the syntax of every byte of the value as
	// the tokenizer would under the package's rules, and report ok
	// false for anything the tokenizer would refuse. more reports that
	// the value ran to the end of buf, so that it may be whole once more
	// bytes are read. buf is only valid during the call.
	DecodePrefix(buf []byte, v *T) (n int, ok, more bool)
}

// WithElementDecoder gives each stream a decoder made by newDecoder (one
// per stream, so it may keep state such as an intern table). It applies
// only when the element type is T and no [DecodeOptions] were given: other
// options change the rules the decoder implements. The elements of an
// array are then read in one pass over their bytes (see decodeFast),
// with the tokenizer as the fallback.
func WithElementDecoder[T any](newDecoder func() ElementDecoder[T]) Option {
	return func(c *config) { c.elementDecoder = newDecoder }
}

// elementCodec decodes elements by the package's options, with the
// stream's ElementDecoder first when one applies (fast is nil otherwise).
type elementCodec[T any] struct {
	opts json.Options
	fast ElementDecoder[T]
}

func newElementCodec[T any](c config) (*elementCodec[T], error) {
	codec := &elementCodec[T]{opts: v1Compatible}
	if len(c.extra) > 0 {
		codec.opts = json.JoinOptions(append([]json.Options{v1Compatible}, c.extra...)...)
		return codec, nil
	}
	if c.elementDecoder == nil {
		return codec, nil
	}
	newDecoder, ok := c.elementDecoder.(func() ElementDecoder[T])
	if !ok {
		var zero T
		return nil, fmt.Errorf("element decoder %T does not decode %T", c.elementDecoder, zero)
	}
	codec.fast = newDecoder()
	return codec, nil
}

// decodeRaw decodes an element already read as raw, complete JSON.
func (e *elementCodec[T]) decodeRaw(raw []byte, v *T) error {
	if e.fast == nil {
		return json.Unmarshal(raw, v, e.opts)
	}
	if e.fast.DecodeElement(raw, v) {
		return nil
	}
	// The value is valid JSON read whole, so decoding it alone gives
	// the same value or error as decoding it from the stream.
	var fresh T
	err := json.Unmarshal(raw, &fresh, e.opts)
	*v = fresh
	return err
}

// decode decodes the next element of dec into v.
func (e *elementCodec[T]) decode(dec *jsontext.Decoder, v *T) error {
	if e.fast == nil {
		return json.UnmarshalDecode(dec, v, e.opts)
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	err = e.decodeRaw(raw, v)
	// The error's position, made relative to the stream.
	var se *json.SemanticError
	if errors.As(err, &se) {
		se.ByteOffset += dec.InputOffset() - int64(len(raw))
		se.JSONPointer = dec.StackPointer() + se.JSONPointer
	}
	return err
}

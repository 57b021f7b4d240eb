package jsonstream

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// An ElementDecoder decodes one element of a stream from its raw JSON
// text, faster than reflection can, for a type whose shape is known in
// advance. raw is a complete, syntactically valid JSON value (strings
// may hold invalid UTF-8); it is only valid during the call. The decoder
// fills *v and reports true, or reports false, with *v in any state, when
// the element holds anything it does not handle exactly as the decoding
// rules of the package comment say (an unusual form, a duplicate name, a
// wrong type): the element is then decoded again by those rules, so the
// value or the error is the same as without an ElementDecoder.
type ElementDecoder[T any] interface {
	DecodeElement(raw []byte, v *T) bool
}

// WithElementDecoder gives each stream a decoder made by newDecoder (one
// per stream, so it may keep state such as an intern table). It applies
// only when the element type is T and no [DecodeOptions] were given: other
// options change the rules the decoder implements.
func WithElementDecoder[T any](newDecoder func() ElementDecoder[T]) Option {
	return func(c *config) { c.elementDecoder = newDecoder }
}

// elementUnmarshaler returns the functions that decode the next element
// of dec into v, and an element already read as raw, complete JSON: with
// the stream's ElementDecoder when one applies, else with the package's
// options.
func elementUnmarshaler[T any](c config, dec *jsontext.Decoder, opts json.Options) (
	unmarshal func(v *T) error, unmarshalRaw func(raw []byte, v *T) error, err error) {
	if c.elementDecoder == nil || len(c.extra) > 0 {
		return func(v *T) error { return json.UnmarshalDecode(dec, v, opts) },
			func(raw []byte, v *T) error { return json.Unmarshal(raw, v, opts) }, nil
	}
	newDecoder, ok := c.elementDecoder.(func() ElementDecoder[T])
	if !ok {
		var zero T
		return nil, nil, fmt.Errorf("element decoder %T does not decode %T", c.elementDecoder, zero)
	}
	fast := newDecoder()
	unmarshalRaw = func(raw []byte, v *T) error {
		if fast.DecodeElement(raw, v) {
			return nil
		}
		// The value is valid JSON read whole, so decoding it alone gives
		// the same value or error as decoding it from the stream.
		var fresh T
		err := json.Unmarshal(raw, &fresh, opts)
		*v = fresh
		return err
	}
	unmarshal = func(v *T) error {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		err = unmarshalRaw(raw, v)
		// The error's position, made relative to the stream.
		var se *json.SemanticError
		if errors.As(err, &se) {
			se.ByteOffset += dec.InputOffset() - int64(len(raw))
			se.JSONPointer = dec.StackPointer() + se.JSONPointer
		}
		return err
	}
	return unmarshal, unmarshalRaw, nil
}

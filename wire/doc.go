// Package wire holds the small JSON scalar types that Qualys sends in more
// than one form: ids that arrive as "1039" or 1039, numbers sent as quoted
// text, flags sent as true or "true", and base64 text.
//
// The OpenAPI documents declare each of these truthfully (oneOf, format:
// byte) for validators, and map them to these types with x-go-type so the
// generated Go code decodes every form without error. Each type keeps the
// form it was decoded from, so re-encoding gives back what the server sent.
package wire

package specproxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json/jsontext"
)

// checkResponse checks the status and media type of resp against the
// exchange's operation and, when there is a schema to check the body
// against, replaces resp.Body with one that validates what the client
// reads while it forwards it.
func (p *Proxy) checkResponse(ex *exchange, resp *http.Response) {
	if len(ex.routes) == 0 {
		return // reported as an unknown operation already
	}
	// /auth is in both documents; the answer is checked against the
	// first that declares its status.
	var ref *openapi3.ResponseRef
	for _, route := range ex.routes {
		op := route.Operation
		if ref = op.Responses.Status(resp.StatusCode); ref == nil {
			ref = op.Responses.Default()
		}
		if ref != nil {
			break
		}
	}
	if ref == nil || ref.Value == nil {
		ex.add("response", "", RuleUndeclaredStatus, fmt.Sprintf("status %d is not declared for %s", resp.StatusCode, ex.operation))
		return
	}
	content := ref.Value.Content
	if len(content) == 0 || resp.Request.Method == http.MethodHead {
		return
	}
	ct := resp.Header.Get("Content-Type")
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType = ""
	}
	mt := content.Get(mediaType)
	if mediaType == "" || mt == nil {
		ex.add("response", "", RuleContentType, fmt.Sprintf("media type %q is not declared for status %d", mediaType, resp.StatusCode))
		return
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return
	}
	pr, pw := io.Pipe()
	tb := &teeBody{src: resp.Body, pw: pw, done: make(chan struct{})}
	resp.Body = tb
	isJSON := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	go func() {
		defer close(tb.done)
		p.validateBody(ex, pr, mt.Schema.Value, isJSON)
		// Keep the forwarding side moving whatever the validator
		// stopped at.
		_, _ = io.Copy(io.Discard, pr)
	}()
}

// errClientClosed ends validation when the body is closed before its end:
// the client stopped reading, which says nothing about the upstream.
var errClientClosed = errors.New("specproxy: the client closed the body")

// teeBody is a response body that hands every byte the client reads to
// the validator as well. The validator reads through a pipe, so at most a
// read buffer is in flight: memory does not grow with the body.
type teeBody struct {
	src  io.ReadCloser
	pw   *io.PipeWriter
	done chan struct{}
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if n > 0 {
		// The validator drains the pipe to the end, so this returns.
		_, _ = b.pw.Write(p[:n])
	}
	switch {
	case err == io.EOF:
		b.pw.Close()
	case err != nil:
		b.pw.CloseWithError(err)
	}
	return n, err
}

// Close ends the body and waits for the validator, so that every finding
// of the response is in the report when the exchange ends.
func (b *teeBody) Close() error {
	err := b.src.Close()
	b.pw.CloseWithError(errClientClosed) // no effect after the end
	<-b.done
	return err
}

// validateBody checks a response body against schema as it arrives: a
// JSON array element by element, anything else whole (up to
// MaxCheckedBody). Bodies starting with the gzip magic number are
// decompressed first: PCRS sends gzip posture streams without a
// Content-Encoding header.
func (p *Proxy) validateBody(ex *exchange, r io.Reader, schema *openapi3.Schema, isJSON bool) {
	br := bufio.NewReaderSize(r, 32<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			p.readFailed(ex, err, "")
			return
		}
		src = zr
	}
	if !isJSON {
		raw, err := readAtMost(src, p.opts.MaxCheckedBody)
		if err != nil {
			p.readFailed(ex, err, "")
			return
		}
		addSchemaFindings(ex, "", schema.VisitJSON(string(raw), openapi3.MultiErrors(), openapi3.VisitAsResponse()))
		return
	}
	if schema.Type.Is(openapi3.TypeArray) && schema.Items != nil && schema.Items.Value != nil {
		p.validateArray(ex, src, schema.Items.Value)
		return
	}
	raw, err := readAtMost(src, p.opts.MaxCheckedBody)
	if err != nil {
		p.readFailed(ex, err, "")
		return
	}
	v, err := decodeValue(raw)
	if err != nil {
		ex.add("response", "", RuleInvalidJSON, "the body is not valid JSON")
		return
	}
	addSchemaFindings(ex, "", schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()))
}

// validateArray checks a JSON array one element at a time; only the
// element being checked is held in memory.
func (p *Proxy) validateArray(ex *exchange, src io.Reader, items *openapi3.Schema) {
	bound := &elementBound{r: src, max: p.opts.MaxCheckedBody}
	dec := jsontext.NewDecoder(bound)
	bound.mark = dec.InputOffset
	tok, err := dec.ReadToken()
	if err != nil {
		p.readFailed(ex, err, "")
		return
	}
	if tok.Kind() != '[' {
		ex.add("response", "", "type", "value must be an array")
		return
	}
	for i := 0; ; i++ {
		if dec.PeekKind() == ']' {
			break
		}
		pointer := "/" + strconv.Itoa(i)
		raw, err := dec.ReadValue()
		if err != nil {
			p.readFailed(ex, err, pointer)
			return
		}
		v, err := decodeValue(raw)
		if err != nil {
			ex.add("response", pointer, RuleInvalidJSON, "the element is not valid JSON")
			return
		}
		addSchemaFindings(ex, pointer, items.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()))
	}
	if _, err := dec.ReadToken(); err != nil {
		p.readFailed(ex, err, "")
		return
	}
	switch _, err := dec.ReadToken(); {
	case err == nil:
		ex.add("response", "", RuleInvalidJSON, "data follows the end of the array")
	case err != io.EOF:
		p.readFailed(ex, err, "")
	}
}

// readFailed reports why a body could not be read to its end: a client
// that stopped reading is not a finding; a body over the checked size, a
// body that broke off, or one that is not JSON is.
func (p *Proxy) readFailed(ex *exchange, err error, pointer string) {
	var syntax *jsontext.SyntacticError
	switch {
	case errors.Is(err, errClientClosed):
	case errors.Is(err, errTooLarge):
		ex.add("response", pointer, RuleBodyTooLarge, fmt.Sprintf("over %d bytes; forwarded unchecked", p.opts.MaxCheckedBody))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrChecksum):
		ex.add("response", pointer, RuleIncompleteBody, "the body ended before its value did")
	case errors.As(err, &syntax):
		ex.add("response", pointer, RuleInvalidJSON, fmt.Sprintf("the body is not valid JSON near byte %d", syntax.ByteOffset))
	case errors.Is(err, gzip.ErrHeader):
		ex.add("response", pointer, RuleInvalidJSON, "the body starts like gzip but is not")
	default:
		// A transport error: the connection broke mid-body.
		ex.add("response", pointer, RuleIncompleteBody, "the body broke off before its end")
	}
}

// elementBound fails a read once the decoder has buffered more than max
// bytes past the end of the last value it returned, so one huge element
// cannot take unbounded memory.
type elementBound struct {
	r    io.Reader
	mark func() int64
	read int64
	max  int64
}

func (b *elementBound) Read(p []byte) (int, error) {
	if b.mark != nil && b.read-b.mark() > b.max {
		return 0, errTooLarge
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// decodeValue decodes JSON the way kin-openapi validates it best: numbers
// kept exact as json.Number.
func decodeValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func addSchemaFindings(ex *exchange, prefix string, err error) {
	for _, se := range schemaErrors(err) {
		pointer, rule, reason := describe(se)
		ex.add("response", prefix+pointer, rule, reason)
	}
}

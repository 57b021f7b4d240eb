package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/contract_test/fixtures"
)

// fixture is a documented exchange with what these tests do to it.
type fixture struct{ fixtures.Exchange }

// loadFixtures reads every fixture of one API.
func loadFixtures(t *testing.T, api string) []*fixture {
	t.Helper()
	exchanges, err := fixtures.Load("testdata", api)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*fixture, len(exchanges))
	for i, e := range exchanges {
		out[i] = &fixture{*e}
	}
	return out
}

// requestBody returns the encoded request body and its content type.
func (fx *fixture) requestBody() ([]byte, string) {
	switch {
	case fx.Request.Form != nil:
		form := url.Values{}
		for k, v := range fx.Request.Form {
			form.Set(k, v)
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded"
	case len(fx.Request.Body) > 0:
		ct := fx.Request.ContentType
		if ct == "" {
			ct = "application/json"
		}
		return fx.Request.Body, ct
	}
	return nil, ""
}

// httpRequest builds the request against base (the test server URL of the spec copy).
func (fx *fixture) httpRequest(base string) (*http.Request, error) {
	u := base + fx.Request.Path
	if fx.Request.Query != "" {
		u += "?" + fx.Request.Query
	}
	body, ct := fx.requestBody()
	req, err := http.NewRequest(fx.Request.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer test-token")
	return req, nil
}

// responseBody returns the response body bytes and content type.
func (fx *fixture) responseBody() ([]byte, string) {
	ct := fx.Response.ContentType
	if fx.Response.Text != nil {
		if ct == "" {
			ct = "text/plain"
		}
		return []byte(*fx.Response.Text), ct
	}
	if ct == "" {
		ct = "application/json"
	}
	return fx.Response.Body, ct
}

func (fx *fixture) httpResponse() *http.Response {
	body, ct := fx.responseBody()
	return &http.Response{
		StatusCode: fx.Response.Status,
		Header:     http.Header{"Content-Type": {ct}},
		Body:       io.NopCloser(bytes.NewReader(body)),
	}
}

// mutated returns a copy of the fixture with m applied.
func (fx *fixture) mutated(m fixtures.Mutation) (*fixture, error) {
	cp := *fx
	switch m.In {
	case "request":
		b, err := patchJSON(fx.Request.Body, m)
		if err != nil {
			return nil, err
		}
		cp.Request.Body = b
	case "response":
		b, err := patchJSON(fx.Response.Body, m)
		if err != nil {
			return nil, err
		}
		cp.Response.Body = b
	case "query":
		q, err := url.ParseQuery(fx.Request.Query)
		if err != nil {
			return nil, err
		}
		switch m.Op {
		case "remove":
			if !q.Has(m.Pointer) {
				return nil, fmt.Errorf("query has no parameter %q to remove", m.Pointer)
			}
			q.Del(m.Pointer)
		case "replace", "add":
			var v string
			if err := json.Unmarshal(m.Value, &v); err != nil {
				return nil, fmt.Errorf("query value must be a JSON string: %w", err)
			}
			q.Set(m.Pointer, v)
		default:
			return nil, fmt.Errorf("unknown op %q", m.Op)
		}
		cp.Request.Query = q.Encode()
	case "form":
		form := make(map[string]string, len(fx.Request.Form))
		for k, v := range fx.Request.Form {
			form[k] = v
		}
		if _, ok := form[m.Pointer]; !ok && m.Op != "add" {
			return nil, fmt.Errorf("form has no field %q", m.Pointer)
		}
		switch m.Op {
		case "remove":
			delete(form, m.Pointer)
		case "replace", "add":
			var v string
			if err := json.Unmarshal(m.Value, &v); err != nil {
				return nil, fmt.Errorf("form value must be a JSON string: %w", err)
			}
			form[m.Pointer] = v
		default:
			return nil, fmt.Errorf("unknown op %q", m.Op)
		}
		cp.Request.Form = form
	case "path":
		if m.Op != "replace" {
			return nil, fmt.Errorf("path mutations only replace the whole path, not %q", m.Op)
		}
		if err := json.Unmarshal(m.Value, &cp.Request.Path); err != nil {
			return nil, fmt.Errorf("path value must be a JSON string: %w", err)
		}
	case "status":
		var s int
		if err := json.Unmarshal(m.Value, &s); err != nil {
			return nil, fmt.Errorf("status value must be an integer: %w", err)
		}
		cp.Response.Status = s
	default:
		return nil, fmt.Errorf("unknown mutation target %q", m.In)
	}
	return &cp, nil
}

// patchJSON applies one RFC 6902-style operation at an RFC 6901 pointer.
// The pointer must exist (replace, remove) or its parent must (add), so a
// stale mutation is reported rather than silently passing.
func patchJSON(doc json.RawMessage, m fixtures.Mutation) (json.RawMessage, error) {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	var value any
	if m.Op != "remove" {
		if err := json.Unmarshal(m.Value, &value); err != nil {
			return nil, fmt.Errorf("mutation value: %w", err)
		}
	}
	tokens := strings.Split(strings.TrimPrefix(m.Pointer, "/"), "/")
	if m.Pointer == "" || m.Pointer == "/" {
		if m.Op != "replace" {
			return nil, fmt.Errorf("only replace applies to the whole body")
		}
		return json.Marshal(value)
	}
	for i := range tokens {
		tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tokens[i])
	}
	parent := root
	for _, tok := range tokens[:len(tokens)-1] {
		next, err := child(parent, tok)
		if err != nil {
			return nil, fmt.Errorf("pointer %s: %w", m.Pointer, err)
		}
		parent = next
	}
	last := tokens[len(tokens)-1]
	switch p := parent.(type) {
	case map[string]any:
		_, exists := p[last]
		switch {
		case m.Op == "add":
			if exists {
				return nil, fmt.Errorf("pointer %s: add of an existing key", m.Pointer)
			}
			p[last] = value
		case !exists:
			return nil, fmt.Errorf("pointer %s: no such key", m.Pointer)
		case m.Op == "replace":
			p[last] = value
		case m.Op == "remove":
			delete(p, last)
		default:
			return nil, fmt.Errorf("unknown op %q", m.Op)
		}
		return json.Marshal(root)
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return nil, fmt.Errorf("pointer %s: bad index", m.Pointer)
		}
		switch m.Op {
		case "replace":
			p[i] = value
		case "remove":
			p = append(p[:i], p[i+1:]...)
			return replaceSlice(root, tokens[:len(tokens)-1], p)
		default:
			return nil, fmt.Errorf("op %q on an array element", m.Op)
		}
		return json.Marshal(root)
	}
	return nil, fmt.Errorf("pointer %s: parent is not an object or array", m.Pointer)
}

func child(v any, tok string) (any, error) {
	switch p := v.(type) {
	case map[string]any:
		c, ok := p[tok]
		if !ok {
			return nil, fmt.Errorf("no key %q", tok)
		}
		return c, nil
	case []any:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(p) {
			return nil, fmt.Errorf("bad index %q", tok)
		}
		return p[i], nil
	}
	return nil, fmt.Errorf("cannot descend into %T at %q", v, tok)
}

// replaceSlice stores a shortened slice back at path (slices are values).
func replaceSlice(root any, path []string, s []any) (json.RawMessage, error) {
	if len(path) == 0 {
		return json.Marshal(s)
	}
	parent := root
	for _, tok := range path[:len(path)-1] {
		parent, _ = child(parent, tok)
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = s
	case []any:
		i, _ := strconv.Atoi(last)
		p[i] = s
	}
	return json.Marshal(root)
}

//go:build prism

package prism

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/contract_test/fixtures"
)

// documented is a whole contract_test/testdata exchange with the
// mutations kin-openapi must reject (the contract tests prove it does).
type documented struct{ fixtures.Exchange }

func loadDocumented(t *testing.T) []*documented {
	t.Helper()
	var out []*documented
	for _, api := range []string{"car", "pcrs"} {
		all, err := fixtures.Load(filepath.Join("..", "testdata"), api)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			out = append(out, &documented{*e})
		}
	}
	if len(out) < 60 {
		t.Fatalf("only %d fixtures found", len(out))
	}
	return out
}

// requestDisagreements and answerDisagreements are the mutations
// kin-openapi rejects and Prism accepts, each with the reading of the
// OpenAPI 3.0.3 text that decides it. The tests fail on a disagreement not
// listed here, and on a listed one that has gone away. None is left; the
// package documentation says what was found and fixed.
var (
	requestDisagreements = map[string]string{}
	answerDisagreements  = map[string]string{}
)

// TestPrismRejectsRequestsKinRejects sends every request-side mutation of
// the fixtures (body, form, query, path) to the mocks, which must object
// to each one as kin-openapi does: with a violation, or for a path no
// operation has, with 404.
func TestPrismRejectsRequestsKinRejects(t *testing.T) {
	seen, n := map[string]bool{}, 0
	for _, d := range loadDocumented(t) {
		base := carMock.url
		if d.API == "pcrs" {
			base = pcrsMock.url
		}
		for _, m := range d.Mutations {
			if m.In == "response" || m.In == "status" {
				continue
			}
			n++
			key := d.File + ": " + m.Why
			resp, body := send(t, d.request(t, base, &m, ""))
			if violated(resp, body, "request") || (m.In == "path" && resp.StatusCode == http.StatusNotFound) {
				continue
			}
			seen[key] = true
			if _, known := requestDisagreements[key]; !known {
				t.Errorf("Prism accepts a request kin-openapi rejects: %s (%s %s %s): status %d", key, m.In, m.Op, m.Pointer, resp.StatusCode)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d request mutations", n)
	}
	stale(t, requestDisagreements, seen)
}

// TestPrismProxyAgreesOnAnswers replays every documented answer through
// Prism's proxy mode (Prism validating what an upstream answers): each
// original must pass, and each response mutation must be a violation.
func TestPrismProxyAgreesOnAnswers(t *testing.T) {
	seen, n := map[string]bool{}, 0
	for i, d := range loadDocumented(t) {
		base := carProxy.url
		if d.API == "pcrs" {
			base = pcrsProxy.url
		}
		id := strconv.Itoa(i)
		upstream.set(id, d.answer(t, nil))
		resp, body := send(t, d.request(t, base, nil, id))
		if v := responseViolations(resp); v != "" {
			t.Errorf("%s: Prism rejects the documented answer (kin-openapi accepts it): %s", d.File, v)
		}
		_ = body
		for j, m := range d.Mutations {
			if m.In != "response" && m.In != "status" {
				continue
			}
			n++
			key := d.File + ": " + m.Why
			mid := id + "." + strconv.Itoa(j)
			upstream.set(mid, d.answer(t, &m))
			resp, _ := send(t, d.request(t, base, nil, mid))
			if responseViolations(resp) != "" {
				continue
			}
			seen[key] = true
			if _, known := answerDisagreements[key]; !known {
				t.Errorf("Prism accepts an answer kin-openapi rejects: %s (%s %s %s)", key, m.In, m.Op, m.Pointer)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d response mutations", n)
	}
	stale(t, answerDisagreements, seen)
}

func stale(t *testing.T, listed map[string]string, seen map[string]bool) {
	t.Helper()
	for key := range listed {
		if !seen[key] {
			t.Errorf("listed disagreement no longer seen, remove it: %s", key)
		}
	}
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// violation is one element of Prism's sl-violations header.
type violation struct {
	Location []string `json:"location"`
	Message  string   `json:"message"`
}

func violations(resp *http.Response) []violation {
	var vs []violation
	if h := resp.Header.Get("sl-violations"); h != "" {
		if err := json.Unmarshal([]byte(h), &vs); err != nil {
			return []violation{{Location: []string{"request"}, Message: h}, {Location: []string{"response"}, Message: h}}
		}
	}
	return vs
}

// responseViolations lists Prism's violations about the answer.
func responseViolations(resp *http.Response) string {
	var out []string
	for _, v := range violations(resp) {
		if len(v.Location) > 0 && v.Location[0] == "response" {
			out = append(out, strings.Join(v.Location, ".")+": "+v.Message)
		}
	}
	return strings.Join(out, "; ")
}

// violated reports whether Prism objected to a request: with a violation
// in its sl-violations header or, where the operation declares no error
// answer to build, with a 422 problem document listing them.
func violated(resp *http.Response, body []byte, side string) bool {
	for _, v := range violations(resp) {
		if len(v.Location) > 0 && v.Location[0] == side {
			return true
		}
	}
	var problem struct {
		Validation []json.RawMessage `json:"validation"`
	}
	return resp.StatusCode == http.StatusUnprocessableEntity && json.Unmarshal(body, &problem) == nil && len(problem.Validation) > 0
}

// request builds the documented request, with m applied when it is a
// request-side mutation, aimed at base; fixture names the upstream
// answer for proxy mode.
func (d *documented) request(t *testing.T, base string, m *fixtures.Mutation, fixture string) *http.Request {
	t.Helper()
	r := d.Request
	form := map[string]string{}
	for k, v := range r.Form {
		form[k] = v
	}
	if m != nil {
		var text string
		if m.Op != "remove" && m.In != "request" {
			if err := json.Unmarshal(m.Value, &text); err != nil {
				t.Fatalf("%s: %s value: %v", d.File, m.In, err)
			}
		}
		switch m.In {
		case "request":
			b, err := patch(r.Body, m.Op, m.Pointer, m.Value)
			if err != nil {
				t.Fatalf("%s: %v", d.File, err)
			}
			r.Body = b
		case "form":
			if m.Op == "remove" {
				delete(form, m.Pointer)
			} else {
				form[m.Pointer] = text
			}
		case "query":
			q, _ := url.ParseQuery(r.Query)
			if m.Op == "remove" {
				q.Del(m.Pointer)
			} else {
				q.Set(m.Pointer, text)
			}
			r.Query = q.Encode()
		case "path":
			r.Path = text
		}
	}
	u := base + r.Path
	if r.Query != "" {
		u += "?" + r.Query
	}
	var body io.Reader
	ct := ""
	switch {
	case r.Form != nil:
		values := url.Values{}
		for k, v := range form {
			values.Set(k, v)
		}
		body, ct = strings.NewReader(values.Encode()), "application/x-www-form-urlencoded"
	case len(r.Body) > 0:
		body, ct = strings.NewReader(string(r.Body)), "application/json"
	}
	req, err := http.NewRequestWithContext(withTimeout(t), r.Method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer x")
	if fixture != "" {
		req.Header.Set("X-Fixture", fixture)
	}
	return req
}

// answer is the documented response, with m applied when it is a
// response-side mutation.
func (d *documented) answer(t *testing.T, m *fixtures.Mutation) answer {
	t.Helper()
	a := answer{status: d.Response.Status, contentType: d.Response.ContentType, body: d.Response.Body}
	if d.Response.Text != nil {
		a.body = []byte(*d.Response.Text)
		if a.contentType == "" {
			a.contentType = "text/plain"
		}
	}
	if a.contentType == "" && len(a.body) > 0 {
		a.contentType = "application/json"
	}
	if m == nil {
		return a
	}
	switch m.In {
	case "status":
		if err := json.Unmarshal(m.Value, &a.status); err != nil {
			t.Fatalf("%s: status value: %v", d.File, err)
		}
	case "response":
		b, err := patch(d.Response.Body, m.Op, m.Pointer, m.Value)
		if err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		a.body = b
	}
	return a
}

// patch applies add, replace or remove at an RFC 6901 pointer.
func patch(doc json.RawMessage, op, pointer string, value json.RawMessage) (json.RawMessage, error) {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	var v any
	if op != "remove" {
		if err := json.Unmarshal(value, &v); err != nil {
			return nil, err
		}
	}
	if pointer == "" {
		return json.Marshal(v)
	}
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	var set func(node any, i int) (any, error)
	set = func(node any, i int) (any, error) {
		key := strings.ReplaceAll(strings.ReplaceAll(parts[i], "~1", "/"), "~0", "~")
		last := i == len(parts)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				if op == "remove" {
					delete(n, key)
				} else {
					n[key] = v
				}
				return n, nil
			}
			child, err := set(n[key], i+1)
			n[key] = child
			return n, err
		case []any:
			idx, err := strconv.Atoi(key)
			if err != nil || idx < 0 || idx > len(n) || (idx == len(n) && op != "add") {
				return nil, fmt.Errorf("no element %q", key)
			}
			if last {
				switch op {
				case "remove":
					return append(n[:idx:idx], n[idx+1:]...), nil
				case "add":
					return append(n[:idx:idx], append([]any{v}, n[idx:]...)...), nil
				}
				n[idx] = v
				return n, nil
			}
			child, err := set(n[idx], i+1)
			n[idx] = child
			return n, err
		}
		return nil, fmt.Errorf("%q is inside a scalar", key)
	}
	root, err := set(root, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(root)
}

//go:build prism

package prism

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/qualyskit/qualys-go/contract_test/fixtures"
	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/specproxy"
	"github.com/qualyskit/qualys-go/spec"
)

// successFixtures returns, per operationId, the first fixture (by file
// name) of a successful exchange: the request Prism must accept.
func successFixtures(t *testing.T, api string) map[string]*fixtures.Exchange {
	t.Helper()
	all, err := fixtures.Load(filepath.Join("..", "testdata"), api)
	if err != nil || len(all) == 0 {
		t.Fatalf("no fixtures for %s: %v", api, err)
	}
	out := map[string]*fixtures.Exchange{}
	for _, fx := range all {
		if fx.Response.Status/100 == 2 && out[fx.OperationID] == nil {
			out[fx.OperationID] = fx
		}
	}
	return out
}

// operation is one operation of a document with what this test needs.
type operation struct {
	id, method, path string
	statuses         []int          // declared response codes
	content          map[int]string // media types declared per status, comma separated
}

func operationsOf(t *testing.T, data []byte) []operation {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{id: op.OperationID, method: method, path: path, content: map[int]string{}}
			for code, r := range op.Responses.Map() {
				if n, err := strconv.Atoi(code); err == nil {
					o.statuses = append(o.statuses, n)
					var types []string
					for mt := range r.Value.Content {
						types = append(types, mt)
					}
					o.content[n] = strings.Join(types, ",")
				}
			}
			sort.Ints(o.statuses)
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

// TestEveryOperationAgainstPrism sends, for every operation of both
// documents, its documented request through the generated client
// (decoded into the generated request types first, so that what goes out
// is what Go code sends) once per declared status, asking Prism for that
// status with a Prefer header. Prism must find nothing to object to in
// the request (no sl-violations header), answer with the status asked for,
// and the generated parser must decode the example answer.
func TestEveryOperationAgainstPrism(t *testing.T) {
	auth := func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJwcmlzbSJ9.c2ln")
		return nil
	}
	// Both directions also cross a strict specproxy, which checks them
	// with kin-openapi: a finding there is a place where kin-openapi and
	// Prism read the documents differently.
	var report bytes.Buffer
	carURL, pcrsURL := checkedBy(t, carMock.url, &report), checkedBy(t, pcrsMock.url, &report)
	carClient, err := car.NewClientWithResponses(carURL, car.WithRequestEditorFn(auth))
	if err != nil {
		t.Fatal(err)
	}
	pcrsClient, err := pcrs.NewClientWithResponses(pcrsURL, pcrs.WithRequestEditorFn(auth))
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []struct {
		name   string
		doc    []byte
		client any
		m      *mock
	}{
		{"car", spec.CAR(), carClient, carMock},
		{"pcrs", spec.PCRS(), pcrsClient, pcrsMock},
	} {
		fixtures := successFixtures(t, api.name)
		ops := operationsOf(t, api.doc)
		if len(ops) < 10 {
			t.Fatalf("%s: only %d operations found", api.name, len(ops))
		}
		for _, op := range ops {
			t.Run(api.name+"/"+op.id, func(t *testing.T) {
				fx := fixtures[op.id]
				if fx == nil {
					t.Fatalf("no successful fixture for %s in contract_test/testdata/%s", op.id, api.name)
				}
				if fx.Request.Method != op.method {
					t.Fatalf("%s: fixture method %s, operation %s", fx.File, fx.Request.Method, op.method)
				}
				for _, status := range op.statuses {
					resp, parsed := callOperation(t, api.client, op, fx, status)
					if v := resp.Header.Get("sl-violations"); v != "" {
						t.Errorf("status %d: Prism found the request of %s invalid: %s", status, fx.File, v)
					}
					if resp.StatusCode != status {
						t.Errorf("asked Prism for %d, got %d", status, resp.StatusCode)
						continue
					}
					checkDecoded(t, resp, parsed, status, op.content[status])
				}
			})
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(report.String()), "\n") {
		if line != "" {
			t.Errorf("kin-openapi rejects what Prism accepts or produces: %s", line)
		}
	}
}

// checkedBy starts a strict specproxy in front of upstream, reporting to
// report, and returns its URL.
func checkedBy(t *testing.T, upstream string, report io.Writer) string {
	t.Helper()
	p, err := specproxy.New(specproxy.Options{Upstream: upstream, Report: report, Strict: true, PlainHTTPLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// callOperation calls the generated <Operation>WithResponse method with
// arguments built from the fixture: path parameters, a params struct from
// the query, the body decoded into the generated body type.
func callOperation(t *testing.T, client any, op operation, fx *fixtures.Exchange, status int) (*http.Response, reflect.Value) {
	t.Helper()
	cv := reflect.ValueOf(client)
	method, ok := findMethod(cv, op.id, fx.Request.Form != nil)
	if !ok {
		t.Fatalf("the generated client has no method for %s", op.id)
	}
	mt := method.Type()
	pathValues := pathParams(t, op.path, fx.Request.Path)
	query, err := url.ParseQuery(fx.Request.Query)
	if err != nil {
		t.Fatalf("%s: query: %v", fx.File, err)
	}
	args := []reflect.Value{reflect.ValueOf(withTimeout(t))}
	// oapi-codegen puts the path parameters first, in path order.
	for i := 1; i <= len(pathValues); i++ {
		v := reflect.New(mt.In(i)).Elem()
		if err := setString(v, pathValues[i-1]); err != nil {
			t.Fatalf("%s: path parameter %q: %v", fx.File, pathValues[i-1], err)
		}
		args = append(args, v)
	}
	for i := len(pathValues) + 1; i < mt.NumIn(); i++ {
		in := mt.In(i)
		if mt.IsVariadic() && i == mt.NumIn()-1 {
			prefer := func(_ context.Context, req *http.Request) error {
				req.Header.Set("Prefer", fmt.Sprintf("code=%d", status))
				return nil
			}
			editors := reflect.MakeSlice(in, 1, 1)
			editors.Index(0).Set(reflect.ValueOf(prefer).Convert(in.Elem()))
			args = append(args, editors)
			continue
		}
		switch {
		case in.Kind() == reflect.Pointer && strings.HasSuffix(in.Elem().Name(), "Params"):
			p := reflect.New(in.Elem())
			fillParams(t, p.Elem(), query)
			args = append(args, p)
		default:
			body := reflect.New(in)
			raw := []byte(fx.Request.Body)
			if fx.Request.Form != nil {
				raw, _ = json.Marshal(fx.Request.Form)
			}
			if err := json.Unmarshal(raw, body.Interface()); err != nil {
				t.Fatalf("%s: the body does not decode into %s: %v", fx.File, in, err)
			}
			args = append(args, body.Elem())
		}
	}
	out := method.CallSlice(args)
	if err, _ := out[1].Interface().(error); err != nil {
		t.Fatalf("%s (asking for %d): %v", op.id, status, err)
	}
	parsed := out[0].Elem()
	resp := parsed.FieldByName("HTTPResponse").Interface().(*http.Response)
	return resp, parsed
}

// findMethod finds <OperationId>WithResponse (the form-body variant for
// /auth); names differ from operationIds only in initialisms' case.
func findMethod(cv reflect.Value, opID string, form bool) (reflect.Value, bool) {
	suffix := "WithResponse"
	if form {
		suffix = "WithFormdataBodyWithResponse"
	}
	ct := cv.Type()
	for i := 0; i < ct.NumMethod(); i++ {
		name := ct.Method(i).Name
		if base, ok := strings.CutSuffix(name, suffix); ok && strings.EqualFold(base, opID) {
			return cv.Method(i), true
		}
	}
	return reflect.Value{}, false
}

// pathParams returns the values of the template's {parameters} in path.
func pathParams(t *testing.T, template, path string) []string {
	t.Helper()
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		t.Fatalf("path %s does not fit %s", path, template)
	}
	var out []string
	for i, seg := range ts {
		if strings.HasPrefix(seg, "{") {
			out = append(out, ps[i])
		} else if seg != ps[i] {
			t.Fatalf("path %s does not fit %s", path, template)
		}
	}
	return out
}

// fillParams sets each field of a generated params struct from the query
// parameter its form tag names; a query parameter the struct lacks is an
// error (the generated client could not send it).
func fillParams(t *testing.T, s reflect.Value, q url.Values) {
	t.Helper()
	used := map[string]bool{}
	for i := 0; i < s.NumField(); i++ {
		name, _, _ := strings.Cut(s.Type().Field(i).Tag.Get("form"), ",")
		if name == "" || q.Get(name) == "" {
			continue
		}
		used[name] = true
		if err := setString(s.Field(i), q.Get(name)); err != nil {
			t.Fatalf("query %s=%q: %v", name, q.Get(name), err)
		}
	}
	for name := range q {
		if !used[name] {
			t.Fatalf("query parameter %q has no field in %s", name, s.Type())
		}
	}
}

// setString sets v from its text form, as a query or path holds it.
func setString(v reflect.Value, s string) error {
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
			return u.UnmarshalText([]byte(s))
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return setString(v.Elem(), s)
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Slice:
		parts := strings.Split(s, ",")
		sl := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setString(sl.Index(i), p); err != nil {
				return err
			}
		}
		v.Set(sl)
	default:
		return fmt.Errorf("cannot set a %s from text", v.Type())
	}
	return nil
}

// checkDecoded fails the test when decodeProblem finds one.
func checkDecoded(t *testing.T, resp *http.Response, parsed reflect.Value, status int, declared string) {
	t.Helper()
	if err := decodeProblem(resp, parsed, status, declared); err != nil {
		t.Error(err)
	}
}

// decodeProblem requires the parser's JSON<status> field, where the
// generated code has one, to hold the decoded answer, and a declared text
// body (the JWT) to have come through.
func decodeProblem(resp *http.Response, parsed reflect.Value, status int, declared string) error {
	field := parsed.FieldByName(fmt.Sprintf("JSON%d", status))
	body := parsed.FieldByName("Body").Bytes()
	if !field.IsValid() {
		if strings.Contains(declared, "text/") && len(body) == 0 {
			return fmt.Errorf("status %d: empty body where %s is declared", status, declared)
		}
		return nil
	}
	if field.IsNil() {
		return fmt.Errorf("status %d: the generated parser decoded nothing from %s %.300s", status, resp.Header.Get("Content-Type"), body)
	}
	return nil
}

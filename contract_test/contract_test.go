// Package contract_test replays every documented Qualys sample against the
// OpenAPI documents (kin-openapi, strict, with every object closed) and
// through the generated Go types (decode, re-encode, compare), and proves
// with mutated samples that each check can fail.
package contract_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// api is one OpenAPI document with its fixtures and generated code.
type api struct {
	name string // testdata folder
	spec string // file under spec/
	ops  operations
}

var apis = []api{
	{name: "car", spec: "qualys-car.yaml", ops: carOperations},
	{name: "pcrs", spec: "qualys-pcrs.yaml", ops: pcrsOperations},
}

// validator checks exchanges against one closed document.
type validator struct {
	doc    *openapi3.T
	router routers.Router
}

func newValidator(t *testing.T, specFile string) *validator {
	t.Helper()
	doc := closedDocument(t, specFile)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router for %s: %v", specFile, err)
	}
	return &validator{doc: doc, router: router}
}

var strict = &openapi3filter.Options{
	MultiError:            true,
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true,
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
}

// validate checks the fixture's request and response against its
// operation and returns every problem found.
func (v *validator) validate(fx *fixture) error {
	req, err := fx.httpRequest(testServer)
	if err != nil {
		return err
	}
	route, pathParams, err := v.router.FindRoute(req)
	if err != nil {
		return errors.Join(errors.New("no operation matches "+fx.Request.Method+" "+fx.Request.Path), err)
	}
	if route.Operation.OperationID != fx.OperationID {
		return errors.New("request matches operation " + route.Operation.OperationID + ", fixture names " + fx.OperationID)
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: strict}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	body, ct := fx.responseBody()
	respErr := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 fx.Response.Status,
		Header:                 http.Header{"Content-Type": {ct}},
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                strict,
	})
	return errors.Join(wrapIf("request", reqErr), wrapIf("response", respErr))
}

func wrapIf(what string, err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(errors.New(what+":"), err)
}

// TestSamplesValidate: every fixture's request and response pass strict
// validation against their operation.
func TestSamplesValidate(t *testing.T) {
	for _, a := range apis {
		v := newValidator(t, a.spec)
		for _, fx := range loadFixtures(t, a.name) {
			t.Run(a.name+"/"+fx.Name(), func(t *testing.T) {
				if err := v.validate(fx); err != nil {
					t.Errorf("%s (%s):\n%v", fx.File, fx.Source, err)
				}
			})
		}
	}
}

// TestMutationsFail: every mutation of every fixture must be rejected.
func TestMutationsFail(t *testing.T) {
	for _, a := range apis {
		v := newValidator(t, a.spec)
		for _, fx := range loadFixtures(t, a.name) {
			if len(fx.Mutations) == 0 {
				continue // TestEveryOperationCovered requires one per operation
			}
			t.Run(a.name+"/"+fx.Name(), func(t *testing.T) {
				for _, m := range fx.Mutations {
					bad, err := fx.mutated(m)
					if err != nil {
						t.Errorf("mutation %q cannot be applied (fixture bug): %v", m.Why, err)
						continue
					}
					if err := v.validate(bad); err == nil {
						t.Errorf("mutation %q (%s %s %s) passed validation but must fail", m.Why, m.In, m.Op, m.Pointer)
					}
				}
			})
		}
	}
}

// TestSamplesRoundTrip: every fixture decodes through the generated types
// and re-encodes to the same JSON, and the generated parser puts the body
// where callers look for it (JSON<status>).
func TestSamplesRoundTrip(t *testing.T) {
	for _, a := range apis {
		for _, fx := range loadFixtures(t, a.name) {
			t.Run(a.name+"/"+fx.Name(), func(t *testing.T) {
				op, ok := a.ops[fx.OperationID]
				if !ok {
					t.Fatalf("no generated-code entry for %s in registry_%s_test.go", fx.OperationID, a.name)
				}
				note := func(s string) { t.Log("tolerated:", s) }
				if len(fx.Request.Body) > 0 {
					if op.newBody == nil {
						t.Fatalf("%s sends a JSON body but the registry has no body type", fx.OperationID)
					}
					if err := roundTrip(fx.Request.Body, op.newBody(), note); err != nil {
						t.Errorf("request: %v", err)
					}
				}
				parsed, err := op.parse(fx.httpResponse())
				if err != nil {
					t.Fatalf("generated parser: %v", err)
				}
				body, ct := fx.responseBody()
				if !strings.Contains(ct, "json") {
					raw := reflectBytes(parsed, "Body")
					if !bytes.Equal(raw, body) {
						t.Errorf("text body changed: got %q", raw)
					}
					return
				}
				val, declared := responseValue(parsed, fx.Response.Status)
				if !declared {
					t.Fatalf("generated response has no JSON%d field: status %d has no JSON schema in the spec", fx.Response.Status, fx.Response.Status)
				}
				if val == nil {
					t.Fatalf("JSON%d is nil after parsing a JSON body", fx.Response.Status)
				}
				if err := roundTrip(body, newLike(val), note); err != nil {
					t.Errorf("response: %v", err)
				}
			})
		}
	}
}

// TestEveryOperationCovered: each operation of each document has a
// generated-code entry, at least one fixture and at least one mutation;
// every registry entry names a real operation.
func TestEveryOperationCovered(t *testing.T) {
	for _, a := range apis {
		doc := closedDocument(t, a.spec)
		fixtures := map[string]int{}
		mutations := map[string]int{}
		for _, fx := range loadFixtures(t, a.name) {
			fixtures[fx.OperationID]++
			mutations[fx.OperationID] += len(fx.Mutations)
		}
		inSpec := map[string]bool{}
		var ids []string
		for _, item := range doc.Paths.Map() {
			for _, o := range item.Operations() {
				inSpec[o.OperationID] = true
				ids = append(ids, o.OperationID)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			if _, ok := a.ops[id]; !ok {
				t.Errorf("%s: %s has no entry in registry_%s_test.go", a.spec, id, a.name)
			}
			if fixtures[id] == 0 {
				t.Errorf("%s: %s has no fixture", a.spec, id)
			}
			if mutations[id] == 0 {
				t.Errorf("%s: %s has no mutation", a.spec, id)
			}
		}
		for id := range a.ops {
			if !inSpec[id] {
				t.Errorf("registry_%s_test.go names %s, which %s does not define", a.name, id, a.spec)
			}
		}
		for id := range fixtures {
			if !inSpec[id] {
				t.Errorf("a %s fixture names %s, which %s does not define", a.name, id, a.spec)
			}
		}
	}
}

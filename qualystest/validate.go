package qualystest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/qualyskit/qualys-go/internal/closedschema"
	"github.com/qualyskit/qualys-go/spec"
)

// apiSpec is one of the embedded OpenAPI documents, loaded for this server:
// its servers replaced by the simulator's URL and every response object
// closed (see closeResponses).
type apiSpec struct {
	name   string
	doc    *openapi3.T
	router routers.Router
}

func loadSpecs(serverURL string) (car, pcrs *apiSpec, err error) {
	pcrs, err = loadSpec("PCRS", spec.PCRS(), serverURL)
	if err != nil {
		return nil, nil, err
	}
	// The simulator sends the Qualys Detection Score under "qdScore"
	// (1 to 100); Qualys has not published the key, so the document does
	// not declare it. Declare it on this copy so that closing the record
	// schema still accepts it.
	if rec := pcrs.doc.Components.Schemas["PostureRecord"]; rec != nil && rec.Value != nil {
		qds := openapi3.NewInt32Schema().WithMin(1).WithMax(100)
		rec.Value.Properties["qdScore"] = qds.NewRef()
	}
	closedschema.Responses(pcrs.doc)
	if _, err := fs.Stat(spec.FS, spec.CARFile); err != nil {
		return nil, pcrs, nil // TEMPORARY until the CAR document exists
	}
	car, err = loadSpec("CAR", spec.CAR(), serverURL)
	if err != nil {
		return nil, nil, err
	}
	closedschema.Responses(car.doc)
	return car, pcrs, nil
}

func loadSpec(name string, data []byte, serverURL string) (*apiSpec, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load the %s spec: %w", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the %s spec is invalid: %w", name, err)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the %s spec: %w", name, err)
	}
	return &apiSpec{name: name, doc: doc, router: router}, nil
}

// validateRequest checks r against its operation. Authentication is the
// simulator's own business (it has already happened), so the security
// requirement is accepted as is.
func (s *Server) validateRequest(r *http.Request, c *call) error {
	c.input = &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: c.params,
		Route:      c.route,
		Options: &openapi3filter.Options{
			MultiError:          true,
			SkipSettingDefaults: true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		},
	}
	return openapi3filter.ValidateRequest(r.Context(), c.input)
}

// validateResponse checks a response about to be sent and records a
// mismatch. Success responses must be declared; an error status the
// operation does not declare (the simulator's answer to something Qualys
// documents no error for) is only checked when declared.
func (s *Server) validateResponse(r *http.Request, c *call, status int, header http.Header, body []byte) {
	if c.route == nil {
		return
	}
	if status >= 400 && c.route.Operation.Responses.Status(status) == nil && c.route.Operation.Responses.Default() == nil {
		return
	}
	in := c.input
	if in == nil {
		in = &openapi3filter.RequestValidationInput{Request: r, PathParams: c.params, Route: c.route}
	}
	err := openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			MultiError:            true,
			IncludeResponseStatus: true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		},
	})
	if err != nil {
		s.recordResponseError(fmt.Errorf("%s %s (%s) answered %d: %w", r.Method, r.URL.Path, c.opID, status, err))
	}
}

// problem is one thing wrong with a request, as validation found it.
type problem struct {
	param  string // query or path parameter, "" for the body or others
	reason string
}

// problems flattens a validation error into its parts, in a stable order.
func problems(err error) []problem {
	var out []problem
	var walk func(error)
	walk = func(err error) {
		// Look at the error itself before unwrapping: a RequestError
		// wraps the schema errors of its parameter, and only it names it.
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
			return
		case *openapi3filter.RequestError:
			if inner, ok := e.Err.(openapi3.MultiError); ok && e.Parameter == nil && e.RequestBody == nil {
				walk(inner)
				return
			}
			p := problem{reason: e.Error()}
			if e.Parameter != nil {
				p.param = e.Parameter.Name
				p.reason = fmt.Sprintf("parameter %q in %s: %s", e.Parameter.Name, e.Parameter.In, shortReason(e.Err, e.Reason))
			} else if e.RequestBody != nil {
				p.reason = "request body: " + shortReason(e.Err, e.Reason)
			}
			out = append(out, p)
			return
		}
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			walk(multi)
			return
		}
		out = append(out, problem{reason: err.Error()})
	}
	walk(err)
	sort.SliceStable(out, func(i, j int) bool { return out[i].param < out[j].param })
	return out
}

// shortReason is the reason of a schema error without the schema dump
// kin-openapi appends, with the JSON pointer of the value at fault.
func shortReason(err error, fallback string) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		// allOf and oneOf failures carry the member's error as Origin:
		// follow it to the field actually at fault.
		ptr := se.JSONPointer()
		for {
			var inner *openapi3.SchemaError
			if !errors.As(se.Origin, &inner) {
				break
			}
			se = inner
			ptr = append(ptr, se.JSONPointer()...)
		}
		if len(ptr) > 0 {
			return "/" + strings.Join(ptr, "/") + ": " + se.Reason
		}
		return se.Reason
	}
	if err != nil {
		return err.Error()
	}
	return fallback
}

// describe is a one-line summary of validation problems for error bodies.
func describe(ps []problem) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		reason := strings.Join(strings.Fields(p.reason), " ")
		if len(reason) > 300 {
			reason = reason[:300] + "..."
		}
		parts = append(parts, reason)
	}
	return strings.Join(parts, "; ")
}

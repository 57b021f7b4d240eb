package specproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/qualyskit/qualys-go/internal/closedschema"
	"github.com/qualyskit/qualys-go/spec"
)

// specs routes requests to the operations of both documents. /auth is in
// both; the CAR document, tried first, answers for it.
type specs struct {
	routers []routers.Router
}

func loadSpecs(strict bool) (*specs, error) {
	sp := &specs{}
	for _, d := range []struct {
		name string
		data []byte
	}{{"CAR", spec.CAR()}, {"PCRS", spec.PCRS()}} {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		doc, err := loader.LoadFromData(d.data)
		if err != nil {
			return nil, fmt.Errorf("specproxy: loading the %s document: %w", d.name, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			return nil, fmt.Errorf("specproxy: the %s document is invalid: %w", d.name, err)
		}
		// Match paths whatever host the client used: the upstream is not
		// necessarily one of the documented servers.
		doc.Servers = nil
		if strict {
			closedschema.Document(doc)
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("specproxy: routing the %s document: %w", d.name, err)
		}
		sp.routers = append(sp.routers, r)
	}
	return sp, nil
}

// find returns the routes of r in both documents, CAR first; only /auth
// is in both.
func (sp *specs) find(r *http.Request) (routes []*routers.Route, params map[string]string) {
	for _, rt := range sp.routers {
		if route, p, err := rt.FindRoute(r); err == nil {
			if routes == nil {
				params = p
			}
			routes = append(routes, route)
		}
	}
	return routes, params
}

var requestOptions = &openapi3filter.Options{
	MultiError:          true,
	SkipSettingDefaults: true,
	// Whether a token is valid is the upstream's business.
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
}

// checkRequest finds the operation of r and validates r with body.
func (p *Proxy) checkRequest(ex *exchange, r *http.Request, body []byte) {
	req := r.Clone(r.Context())
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	routes, params := p.specs.find(req)
	if len(routes) == 0 {
		ex.operation = r.Method + " " + r.URL.Path
		ex.add("request", "", RuleUnknownOperation, "no operation of either document has this method and path")
		return
	}
	ex.routes, ex.operation = routes, routes[0].Operation.OperationID
	err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: routes[0], Options: requestOptions,
	})
	for _, e := range topLevel(err) {
		var re *openapi3filter.RequestError
		switch {
		case errors.As(e, &re) && re.Parameter != nil:
			p.parameterFindings(ex, re)
		case errors.As(e, &re) && re.RequestBody != nil:
			bodyFindings(ex, "request", re.Err, "the request body")
		default:
			ex.add("request", "", "request", "the request does not match the operation")
		}
	}
}

func (p *Proxy) parameterFindings(ex *exchange, re *openapi3filter.RequestError) {
	name := re.Parameter.Name
	schemaErrs := schemaErrors(re.Err)
	if len(schemaErrs) == 0 {
		// A missing or unparseable parameter. The reason names the
		// problem; the underlying parse error would repeat the value.
		msg := "parameter " + strconv.Quote(name) + " (" + re.Parameter.In + ")"
		if re.Reason != "" {
			msg += ": " + re.Reason
		} else {
			msg += ": not a value of its schema"
		}
		ex.add("request", name, RuleParameter, msg)
		return
	}
	for _, se := range schemaErrs {
		_, rule, reason := describe(se)
		ex.add("request", name, rule, "parameter "+strconv.Quote(name)+": "+reason)
	}
}

// bodyFindings reports the schema errors of a body; a body that could not
// be decoded at all is one invalid-json finding.
func bodyFindings(ex *exchange, direction string, err error, what string) {
	schemaErrs := schemaErrors(err)
	if len(schemaErrs) == 0 {
		ex.add(direction, "", RuleInvalidJSON, what+" could not be decoded as its media type")
		return
	}
	for _, se := range schemaErrs {
		pointer, rule, reason := describe(se)
		ex.add(direction, pointer, rule, reason)
	}
}

// topLevel lists the errors ValidateRequest collected, one per parameter
// or body, without opening them.
func topLevel(err error) []error {
	if me, ok := err.(openapi3.MultiError); ok {
		return me
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// flatten lists the errors of a MultiError (recursively), or err alone.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// schemaErrors lists the schema errors inside err; nil if it holds none.
func schemaErrors(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	for _, e := range flatten(err) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			out = append(out, se)
		}
	}
	return out
}

// describe turns a schema error into pointer, rule and message. kin-openapi
// keeps values out of Reason (they can be secrets), so Reason is safe to
// report; Error() is not.
func describe(se *openapi3.SchemaError) (pointer, rule, reason string) {
	path := se.JSONPointer()
	rule, reason = se.SchemaField, se.Reason
	if name, ok := unsupportedProperty(reason); ok {
		// The error points at the object; the finding points at the
		// member, which is what a reader looks for.
		path = append(path, name)
		rule = RuleUndeclaredField
		reason = fmt.Sprintf("member %q is not declared", name)
	}
	if rule == "" {
		rule = "schema"
	}
	return encodePointer(path), rule, reason
}

// unsupportedProperty recognises kin-openapi's reason for an undeclared
// member: property "name" is unsupported.
func unsupportedProperty(reason string) (string, bool) {
	rest, ok := strings.CutPrefix(reason, "property ")
	if !ok {
		return "", false
	}
	quoted, ok := strings.CutSuffix(rest, " is unsupported")
	if !ok {
		return "", false
	}
	name, err := strconv.Unquote(quoted)
	return name, err == nil
}

// encodePointer builds an RFC 6901 pointer from reference tokens.
func encodePointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

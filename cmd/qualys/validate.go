package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/qualyskit/qualys-go/spec"
	"github.com/qualyskit/qualys-go/wire"
)

// The command line is checked against the API documents' own constraints
// (enums, patterns, request schemas), so that a mistake exits 2 with the
// allowed values before any request, instead of coming back from the
// server as a raw regular expression.

// loadSpec parses one embedded API document.
func loadSpec(name string) (*openapi3.T, error) {
	data := spec.CAR()
	if name == "pcrs" {
		data = spec.PCRS()
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("reading the %s API document: %w", strings.ToUpper(name), err)
	}
	return doc, nil
}

// specEnum lists the values a component schema allows.
func specEnum(api, schema string) ([]string, error) {
	doc, err := loadSpec(api)
	if err != nil {
		return nil, err
	}
	ref := doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
		return nil, fmt.Errorf("the %s API document has no enum %s", strings.ToUpper(api), schema)
	}
	out := make([]string, len(ref.Value.Enum))
	for i, v := range ref.Value.Enum {
		out[i] = fmt.Sprint(v)
	}
	return out, nil
}

// checkEnum checks each of values against the enum of a schema; the
// message lists the allowed values.
func checkEnum(flagName, api, schema string, values ...string) error {
	allowed, err := specEnum(api, schema)
	if err != nil {
		return err
	}
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			if i := slices.IndexFunc(allowed, func(a string) bool { return strings.EqualFold(a, v) }); i >= 0 {
				return usagef("%s %q: did you mean %s? (allowed: %s; case matters)", flagName, v, allowed[i], strings.Join(allowed, ", "))
			}
			return usagef("%s %q: want one of %s", flagName, v, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// checkDateParam checks a date against the pattern of a PCRS parameter.
func checkDateParam(flagName, param, value string) error {
	if value == "" {
		return nil
	}
	doc, err := loadSpec("pcrs")
	if err != nil {
		return err
	}
	p := doc.Components.Parameters[param]
	if p == nil || p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
		return fmt.Errorf("the PCRS API document has no parameter %s", param)
	}
	if err := p.Value.Schema.Value.VisitJSON(value); err != nil {
		return usagef("%s %q: want a date such as 2024-11-01 or a UTC date-time such as 2024-11-01T08:00:00Z", flagName, value)
	}
	return nil
}

// dateFlag checks a date flag against a PCRS parameter's pattern and
// reads it: a day is midnight UTC. Empty is the zero time (unset).
func dateFlag(flagName, param, value string) (time.Time, error) {
	if err := checkDateParam(flagName, param, value); err != nil || value == "" {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.DateOnly, value); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, usagef("%s %q: want a date such as 2024-11-01 or a UTC date-time such as 2024-11-01T08:00:00Z", flagName, value)
	}
	return t, nil
}

// checkRequestBody validates a request body read from a file against the
// operation's schema in the CAR document.
func checkRequestBody(file, operationID string, body any) error {
	doc, err := loadSpec("car")
	if err != nil {
		return err
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != operationID {
				continue
			}
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				return nil
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				return nil
			}
			if err := mt.Schema.Value.VisitJSON(body, openapi3.MultiErrors()); err != nil {
				return usagef("%s: %s", file, schemaProblems(err))
			}
			return nil
		}
	}
	return fmt.Errorf("the CAR API document has no operation %s", operationID)
}

// schemaProblems says what is wrong with a body in one line: the field and
// the rule it breaks.
func schemaProblems(err error) string {
	var me openapi3.MultiError
	var errs []error
	if errors.As(err, &me) {
		errs = me
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			field := strings.Join(se.JSONPointer(), ".")
			if field == "" {
				field = "the body"
			}
			out = append(out, field+": "+se.Reason)
			continue
		}
		out = append(out, oneLine(e.Error()))
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), "; ")
}

var idPattern = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// parseID checks a numeric id given on the command line.
func parseID(what, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if !idPattern.MatchString(s) {
		return 0, usagef("%s %q is not an id: want a positive number such as 32533", what, s)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usagef("%s %q is not an id: want a positive number such as 32533", what, s)
	}
	return id, nil
}

// parseIDs reads comma-separated ids.
func parseIDs(what string, values []string) ([]int64, error) {
	var out []int64
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			id, err := parseID(what, part)
			if err != nil {
				return nil, err
			}
			out = append(out, id)
		}
	}
	return out, nil
}

var uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// wireIDs are ids as the SDK takes them.
func wireIDs(ids []int64) []wire.ID {
	out := make([]wire.ID, len(ids))
	for i, id := range ids {
		out[i] = wire.NewID(id)
	}
	return out
}

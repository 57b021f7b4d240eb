// Package closedschema closes the object schemas of a loaded OpenAPI
// document (additionalProperties: false), so that validating against it
// catches fields the document does not declare. The published documents
// stay open because Qualys adds fields within a version; the contract tests
// and the simulator close private copies to catch misspelt or undeclared
// keys in what they check or send.
package closedschema

import "github.com/getkin/kin-openapi/openapi3"

// Document closes every schema of doc: components, parameters, request
// bodies and responses.
func Document(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	if doc.Components != nil {
		for _, s := range doc.Components.Schemas {
			Schema(s, seen)
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					Schema(p.Value.Schema, seen)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					Schema(mt.Schema, seen)
				}
			}
			closeResponses(op, seen)
		}
	}
}

// Responses closes only what responses can contain, leaving requests as
// open as the published document (a server must accept what it does not
// know; it must send only what it declares).
func Responses(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			closeResponses(op, seen)
		}
	}
}

func closeResponses(op *openapi3.Operation, seen map[*openapi3.Schema]bool) {
	for _, r := range op.Responses.Map() {
		if r.Value == nil {
			continue
		}
		for _, mt := range r.Value.Content {
			Schema(mt.Schema, seen)
		}
	}
}

// Schema closes one schema and everything it contains; seen prevents
// revisiting shared and recursive schemas.
func Schema(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	for _, p := range s.Properties {
		Schema(p, seen)
	}
	Schema(s.Items, seen)
	Schema(s.AdditionalProperties.Schema, seen)
	Schema(s.Not, seen)
	for _, alt := range append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...) {
		Schema(alt, seen)
	}
	if len(s.AllOf) > 0 {
		// Each allOf member sees only its own properties, so members stay
		// open (on a private copy) and the composite closes over the union.
		union := openapi3.Schemas{}
		for k, v := range s.Properties {
			union[k] = v
		}
		for i, member := range s.AllOf {
			Schema(member, seen)
			if member.Value == nil {
				continue
			}
			for k, v := range member.Value.Properties {
				union[k] = v
			}
			open := *member.Value
			open.AdditionalProperties = openapi3.AdditionalProperties{}
			s.AllOf[i] = &openapi3.SchemaRef{Value: &open}
		}
		if len(union) > 0 {
			s.Properties = union
		}
	}
	// A free-form object (no properties declared) stays open: it declares
	// no fields to hold a record to.
	declared := len(s.Properties) > 0
	if declared && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		no := false
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	}
}

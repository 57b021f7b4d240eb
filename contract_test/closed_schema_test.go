package contract_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// closedDocument loads a spec and closes every object schema
// (additionalProperties: false) on the loaded copy, so a sample carrying a
// field the spec does not declare fails validation. The published documents
// stay open because Qualys adds fields within a version.
func closedDocument(t *testing.T, specFile string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("..", "spec", specFile))
	if err != nil {
		t.Fatalf("load %s: %v", specFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid: %v", specFile, err)
	}
	closeAll(doc)
	// Route on a fixed host so test requests need no real gateway name.
	doc.Servers = openapi3.Servers{{URL: testServer}}
	return doc
}

const testServer = "https://gateway.qualys.test"

func closeAll(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	for _, s := range doc.Components.Schemas {
		closeSchema(s, seen)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					closeSchema(p.Value.Schema, seen)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					closeSchema(mt.Schema, seen)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					closeSchema(mt.Schema, seen)
				}
			}
		}
	}
}

func closeSchema(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	for _, p := range s.Properties {
		closeSchema(p, seen)
	}
	closeSchema(s.Items, seen)
	closeSchema(s.AdditionalProperties.Schema, seen)
	closeSchema(s.Not, seen)
	for _, alt := range append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...) {
		closeSchema(alt, seen)
	}
	if len(s.AllOf) > 0 {
		// Each allOf member sees only its own properties, so members stay
		// open (on a private copy) and the composite closes over the union.
		union := openapi3.Schemas{}
		for k, v := range s.Properties {
			union[k] = v
		}
		for i, member := range s.AllOf {
			closeSchema(member, seen)
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
		s.Properties = union
	}
	isObject := s.Type.Is("object") || len(s.Properties) > 0
	if isObject && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		no := false
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	}
}

// TestClosingCatchesUndeclaredFields proves the closing step itself works:
// an open schema accepts an extra field, the closed copy rejects it, and an
// allOf composite still accepts the union of its members' fields.
func TestClosingCatchesUndeclaredFields(t *testing.T) {
	base := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema())
	ext := openapi3.NewObjectSchema().WithProperty("b", openapi3.NewStringSchema())
	composite := &openapi3.Schema{AllOf: openapi3.SchemaRefs{base.NewRef(), ext.NewRef()}}
	open := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema())

	extra := map[string]any{"a": "x", "bogus": "y"}
	if err := open.VisitJSON(extra); err != nil {
		t.Fatalf("open schema should accept an undeclared field: %v", err)
	}
	seen := map[*openapi3.Schema]bool{}
	closeSchema(open.NewRef(), seen)
	closeSchema(composite.NewRef(), seen)
	if err := open.VisitJSON(extra); err == nil {
		t.Fatal("closed schema accepted an undeclared field")
	}
	if err := composite.VisitJSON(map[string]any{"a": "x", "b": "y"}); err != nil {
		t.Fatalf("closed allOf rejected its own fields: %v", err)
	}
	if err := composite.VisitJSON(map[string]any{"a": "x", "b": "y", "c": "z"}); err == nil {
		t.Fatal("closed allOf accepted an undeclared field")
	}
}

package closedschema

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestSchemaCatchesUndeclaredFields: an open schema accepts an extra
// field, the closed copy rejects it, and an allOf composite still accepts
// the union of its members' fields but nothing more.
func TestSchemaCatchesUndeclaredFields(t *testing.T) {
	base := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema())
	ext := openapi3.NewObjectSchema().WithProperty("b", openapi3.NewStringSchema())
	composite := &openapi3.Schema{AllOf: openapi3.SchemaRefs{base.NewRef(), ext.NewRef()}}
	open := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema())

	extra := map[string]any{"a": "x", "bogus": "y"}
	if err := open.VisitJSON(extra); err != nil {
		t.Fatalf("open schema should accept an undeclared field: %v", err)
	}
	seen := map[*openapi3.Schema]bool{}
	Schema(open.NewRef(), seen)
	Schema(composite.NewRef(), seen)
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

// TestResponsesLeavesRequestsOpen: Responses closes response bodies only.
func TestResponsesLeavesRequestsOpen(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {in: {type: string}}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {out: {type: string}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	Responses(doc)
	op := doc.Paths.Find("/x").Post
	req := op.RequestBody.Value.Content["application/json"].Schema.Value
	resp := op.Responses.Status(200).Value.Content["application/json"].Schema.Value
	if err := req.VisitJSON(map[string]any{"in": "a", "new": 1}); err != nil {
		t.Errorf("request closed: %v", err)
	}
	if err := resp.VisitJSON(map[string]any{"out": "a", "new": 1}); err == nil {
		t.Error("response left open")
	}
	Document(doc)
	if err := req.VisitJSON(map[string]any{"in": "a", "new": 1}); err == nil {
		t.Error("Document left the request open")
	}
}

package qualystest

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestResponsesClosed: on the simulator's copy of a document, response
// objects reject fields the document does not declare, while an allOf
// composite still accepts the fields of all its members.
func TestResponsesClosed(t *testing.T) {
	_, pcrs, err := loadSpecs("https://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	rec := pcrs.doc.Components.Schemas["PostureRecord"].Value
	ok := map[string]any{"id": 1, "policyId": 2, "controlId": 3, "hostId": 4, "status": "Passed", "qdScore": 50}
	if err := rec.VisitJSON(ok); err != nil {
		t.Fatalf("a declared record (with the simulator's qdScore) is rejected: %v", err)
	}
	extra := map[string]any{"id": 1, "policyId": 2, "controlId": 3, "hostId": 4, "status": "Passed", "policyID": 2}
	if err := rec.VisitJSON(extra); err == nil {
		t.Fatal("an undeclared field passes")
	}

	a := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema())
	b := openapi3.NewObjectSchema().WithProperty("b", openapi3.NewStringSchema())
	both := &openapi3.Schema{AllOf: openapi3.SchemaRefs{a.NewRef(), b.NewRef()}}
	closeSchema(both.NewRef(), map[*openapi3.Schema]bool{})
	if err := both.VisitJSON(map[string]any{"a": "x", "b": "y"}); err != nil {
		t.Errorf("closed allOf rejects its members' fields: %v", err)
	}
	if err := both.VisitJSON(map[string]any{"a": "x", "c": "z"}); err == nil {
		t.Error("closed allOf accepts an undeclared field")
	}
}

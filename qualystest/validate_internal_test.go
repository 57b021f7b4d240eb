package qualystest

import "testing"

// TestResponsesClosed: on the simulator's copy of a document, response
// objects reject fields the document does not declare (the closing itself
// is tested in internal/closedschema).
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

}

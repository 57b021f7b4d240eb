package qualystest

import (
	"sort"
	"testing"
)

// TestEveryOperationSimulated: every operation of both documents has a
// handler, and no handler serves an operation the documents lack.
func TestEveryOperationSimulated(t *testing.T) {
	t.Parallel()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	declared := map[string]bool{}
	for _, sp := range []*apiSpec{s.car, s.pcrs} {
		if sp == nil {
			t.Error("a document is missing")
			continue
		}
		for path, item := range sp.doc.Paths.Map() {
			for _, op := range item.Operations() {
				declared[op.OperationID] = true
				if path == "/auth" {
					continue
				}
				if operations[op.OperationID] == nil {
					t.Errorf("%s %s (%s) has no handler", sp.name, path, op.OperationID)
				}
			}
		}
	}
	var extra []string
	for id := range operations {
		if !declared[id] {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("handlers for undeclared operations: %v", extra)
	}
}

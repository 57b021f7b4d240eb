package apisurface

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The budgets the project keeps for its public surface.
const (
	maxPointerShare      = 0.15 // pointer fields / fields of generated model, param and header structs
	maxGeneratedTypes    = 230  // exported types of gen/car and gen/pcrs together
	maxWrapperIdentifier = 100  // exported identifiers of package qualys
)

// TestSurface prints the three numbers for this checkout (go test -v) and
// fails when one is over its budget.
func TestSurface(t *testing.T) {
	g, err := MeasureGenerated("../../gen/car", "../../gen/pcrs")
	if err != nil {
		t.Fatal(err)
	}
	w, err := MeasureWrapper("../../wrapper")
	if err != nil {
		t.Fatal(err)
	}
	share := float64(g.PointerFields) / float64(g.Fields)
	t.Logf("pointer fields: %d of %d (%.1f%%, budget %.0f%%)", g.PointerFields, g.Fields, 100*share, 100*maxPointerShare)
	t.Logf("exported types in gen/: %d (budget %d)", g.ExportedTypes, maxGeneratedTypes)
	t.Logf("exported identifiers of the wrapper: %d (budget %d)", w.Identifiers, maxWrapperIdentifier)
	if share > maxPointerShare {
		t.Errorf("%.1f%% of generated fields are pointers, budget %.0f%%", 100*share, 100*maxPointerShare)
	}
	if g.ExportedTypes > maxGeneratedTypes {
		t.Errorf("gen/ exports %d types, budget %d", g.ExportedTypes, maxGeneratedTypes)
	}
	if w.Identifiers > maxWrapperIdentifier {
		sort.Strings(w.Names)
		t.Errorf("the wrapper exports %d identifiers, budget %d: %v", w.Identifiers, maxWrapperIdentifier, w.Names)
	}
}

// TestMeasureCounts proves the counters see what they are meant to: a
// pointer field, a response wrapper left aside, methods of exported types
// only.
func TestMeasureCounts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", `package p
type Model struct { A *string; B, C int }
type GetResponse struct { Body []byte; HTTPResponse *int; JSON200 *Model }
type ClientOption func()
type hidden struct { X *int }
const K, k = 1, 2
var V int
func F() {}
func (Model) M() {}
func (*hidden) N() {}
`)
	write("a_test.go", `package p
func Exported() {}
`)
	g, err := MeasureGenerated(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g != (Generated{ExportedTypes: 3, Fields: 3, PointerFields: 1}) {
		t.Errorf("generated: %+v", g)
	}
	w, err := MeasureWrapper(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ClientOption", "F", "GetResponse", "K", "Model", "Model.M", "V"}
	sort.Strings(w.Names)
	if w.Identifiers != len(want) || len(w.Names) != len(want) {
		t.Fatalf("wrapper: %d %v, want %v", w.Identifiers, w.Names, want)
	}
	for i := range want {
		if w.Names[i] != want[i] {
			t.Fatalf("wrapper: %v, want %v", w.Names, want)
		}
	}
}

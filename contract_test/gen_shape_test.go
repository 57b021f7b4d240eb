package contract_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// genShape counts what a generated package exports: its types, and the
// fields of its struct types with how many are pointers. Client types and
// <Operation>Response wrappers are left out: their pointers are the
// generator's way of saying "this status did not occur".
type genShape struct{ types, fields, pointers int }

func shapeOf(t *testing.T, name string, src any) genShape {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s genShape
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			if !ts.Name.IsExported() {
				continue
			}
			s.types++
			st, ok := ts.Type.(*ast.StructType)
			if !ok || strings.HasPrefix(ts.Name.Name, "Client") || strings.HasSuffix(ts.Name.Name, "Response") {
				continue
			}
			for _, field := range st.Fields.List {
				n := max(len(field.Names), 1)
				s.fields += n
				if _, ptr := field.Type.(*ast.StarExpr); ptr {
					s.pointers += n
				}
			}
		}
	}
	return s
}

// problems says where a package is over its budget.
func (s genShape) problems(maxTypes int, maxPointerShare float64) []string {
	var out []string
	if s.types > maxTypes {
		out = append(out, "too many exported types")
	}
	if s.fields > 0 && float64(s.pointers)/float64(s.fields) > maxPointerShare {
		out = append(out, "too many pointer fields")
	}
	return out
}

// TestCARGeneratedShape keeps gen/car small and made of value fields:
// at most 160 exported types, and pointers only where absent must differ
// from zero (at most 15% of the struct fields).
func TestCARGeneratedShape(t *testing.T) {
	s := shapeOf(t, "../gen/car/car.gen.go", nil)
	t.Logf("gen/car: %d exported types, %d of %d struct fields are pointers", s.types, s.pointers, s.fields)
	for _, p := range s.problems(160, 0.15) {
		t.Error("gen/car: " + p)
	}
}

func TestGeneratedShapeCheckCanFail(t *testing.T) {
	src := `package p
type A struct{ X *int; Y *string; Z int }
type B = A
type ListResponse struct{ JSON200 *A }
type unexported struct{ p *int }
`
	s := shapeOf(t, "p.go", src)
	if s != (genShape{types: 3, fields: 3, pointers: 2}) {
		t.Fatalf("counted %+v", s)
	}
	if got := s.problems(2, 0.5); len(got) != 2 {
		t.Errorf("want both budgets reported, got %q", got)
	}
	if got := s.problems(3, 0.7); len(got) != 0 {
		t.Errorf("within budget, got %q", got)
	}
}

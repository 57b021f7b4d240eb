// Package apisurface measures the size and shape of the SDK's public
// surface: how many fields of the generated models are pointers, how many
// types the generated packages export, and how many identifiers the
// wrapper exports. The numbers are budgets the project keeps; the test
// beside this file prints them and fails when one is exceeded.
package apisurface

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// Generated is what the generated packages expose.
type Generated struct {
	ExportedTypes int // every exported type declaration
	Fields        int // fields of model, parameter and header structs
	PointerFields int // of which pointers
}

// Wrapper is what the hand-written package exposes.
type Wrapper struct {
	Identifiers int      // exported consts, vars, funcs, types and methods of exported types
	Names       []string // the same, by name, for a readable failure
}

// MeasureGenerated reads the non-test Go files of each directory.
func MeasureGenerated(dirs ...string) (Generated, error) {
	var g Generated
	for _, dir := range dirs {
		files, err := parseDir(dir)
		if err != nil {
			return g, err
		}
		for _, f := range files {
			for _, decl := range f.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.TYPE {
					continue
				}
				for _, spec := range gen.Specs {
					ts := spec.(*ast.TypeSpec)
					if !ts.Name.IsExported() {
						continue
					}
					g.ExportedTypes++
					st, ok := ts.Type.(*ast.StructType)
					if !ok || isPlumbing(ts.Name.Name, st) {
						continue
					}
					for _, field := range st.Fields.List {
						n := max(len(field.Names), 1)
						g.Fields += n
						if _, ptr := field.Type.(*ast.StarExpr); ptr {
							g.PointerFields += n
						}
					}
				}
			}
		}
	}
	return g, nil
}

// isPlumbing reports the generated client types and the per-operation
// response wrappers (the structs holding HTTPResponse), which callers do
// not build or read field by field.
func isPlumbing(name string, st *ast.StructType) bool {
	if strings.HasPrefix(name, "Client") {
		return true
	}
	for _, field := range st.Fields.List {
		for _, n := range field.Names {
			if n.Name == "HTTPResponse" {
				return true
			}
		}
	}
	return false
}

// MeasureWrapper counts the exported identifiers of the package in dir.
func MeasureWrapper(dir string) (Wrapper, error) {
	var w Wrapper
	files, err := parseDir(dir)
	if err != nil {
		return w, err
	}
	add := func(name string) {
		w.Identifiers++
		w.Names = append(w.Names, name)
	}
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					add(d.Name.Name)
				} else if recv := receiverName(d.Recv.List[0].Type); ast.IsExported(recv) {
					add(recv + "." + d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							add(s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								add(n.Name)
							}
						}
					}
				}
			}
		}
	}
	return w, nil
}

// receiverName gives the type name of a method receiver (T, *T, T[P]).
func receiverName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverName(t.X)
	case *ast.IndexExpr:
		return receiverName(t.X)
	case *ast.IndexListExpr:
		return receiverName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

func parseDir(dir string) ([]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if f.Name.Name == "tools" || f.Name.Name == "qualysgo" {
			continue
		}
		files = append(files, f)
	}
	return files, nil
}

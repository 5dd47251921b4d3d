package main

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// The committed file is what celgen writes: no list changed without
// make manifests, and no hand edit.
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := render()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", outFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run make manifests", outFile)
	}
}

// The generated declarations have no doc comment: gofmt would rewrite the
// markers in one, and controller-gen would take its text for the CRD
// description instead of the hand-written type's. The file is gofmt-clean,
// so make fmt leaves it as celgen wrote it.
func TestGeneratedDeclarationsHaveNoDocComment(t *testing.T) {
	src, err := render()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), outFile, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	types := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			t.Errorf("unexpected declaration %T in %s", d, outFile)
			continue
		}
		types++
		if g.Doc != nil {
			t.Errorf("%s: type %s has a doc comment", outFile, g.Specs[0].(*ast.TypeSpec).Name)
		}
	}
	if types != 2 {
		t.Errorf("%s declares %d types, want 2 (the spec and Neo4jConfig)", outFile, types)
	}
	if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
		t.Errorf("%s is not gofmt-clean (%v)", outFile, err)
	}
}

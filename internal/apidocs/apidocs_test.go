package apidocs

import (
	"os"
	"testing"
)

// docs/api.md must be what `make api-docs` writes from the current CRD.
func TestAPIReferenceIsCurrent(t *testing.T) {
	crd, err := os.ReadFile("../../config/crd/bases/neo4j.graphops.dev_neo4jenterpriseclusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Markdown(crd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatalf("%v (run make api-docs)", err)
	}
	if string(got) != want {
		t.Error("docs/api.md is out of date: run make api-docs")
	}
}

// Command apidocs writes docs/api.md from the generated CRD.
package main

import (
	"fmt"
	"os"

	"github.com/graphops-dev/neo4j-operator/internal/apidocs"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: apidocs <crd.yaml> <out.md>")
		os.Exit(2)
	}
	crd, err := os.ReadFile(os.Args[1])
	if err == nil {
		var md string
		if md, err = apidocs.Markdown(crd); err == nil {
			err = os.WriteFile(os.Args[2], []byte(md), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

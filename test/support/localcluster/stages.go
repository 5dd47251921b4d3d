package localcluster

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// stageFiles are kwok's stage definitions, copied into the repository (see
// stages/README.md) so that a run never depends on where, or whether, the Go
// module cache holds kwok's sources. kwok exits when it has no stages.
//
//go:embed stages/*.yaml
var stageFiles embed.FS

// writeStages joins the embedded stages into one multi-document YAML file in
// dir, which kwok reads with --config, and returns its path.
func writeStages(dir string) (string, error) {
	names, err := fs.Glob(stageFiles, "stages/*.yaml")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, n := range names {
		b, err := stageFiles.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&buf, "---\n# from %s\n", n)
		buf.Write(b)
		if !bytes.HasSuffix(b, []byte("\n")) {
			buf.WriteByte('\n')
		}
	}
	path := filepath.Join(dir, "kwok-stages.yaml")
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}

// Command pluginrelease builds the kubectl-neo4j release beside the
// manager's: one archive per platform, reproducible (same sources, same
// bytes: -trimpath, no VCS stamp, fixed file times and owners), their
// SHA-256 sums, and a krew plugin manifest that points at the release's
// download addresses.
//
//	go run ./hack/pluginrelease -version 0.1.0 -out bin/release [-platforms linux/amd64,...]
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// epoch is the archives' file time: fixed, so the bytes depend only on the
// sources. 2026-11-25, the bundle's createdAt.
var epoch = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

const defaultPlatforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64"

func main() {
	version := flag.String("version", "", "release version, without v")
	out := flag.String("out", "bin/release", "output folder")
	platforms := flag.String("platforms", defaultPlatforms, "GOOS/GOARCH list")
	download := flag.String("download", "https://github.com/graphops-dev/neo4j-operator/releases/download", "base address of release downloads")
	flag.Parse()
	if *version == "" {
		fail(fmt.Errorf("-version is required"))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	var sums []asset
	for _, p := range strings.Split(*platforms, ",") {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			fail(fmt.Errorf("platform %q: want GOOS/GOARCH", p))
		}
		a, err := release(*version, goos, goarch, *out)
		if err != nil {
			fail(fmt.Errorf("%s: %w", p, err))
		}
		sums = append(sums, a)
		fmt.Printf("%s  %s\n", a.SHA256, a.File)
	}
	var b strings.Builder
	for _, a := range sums {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.File)
	}
	if err := os.WriteFile(filepath.Join(*out, "checksums.txt"), []byte(b.String()), 0o644); err != nil {
		fail(err)
	}
	if err := krewManifest(filepath.Join(*out, "neo4j.yaml"), *version, *download, sums); err != nil {
		fail(err)
	}
}

type asset struct {
	OS, Arch, File, SHA256, Binary string
}

// release builds one platform's binary and packs it: tar.gz, or zip for
// Windows as krew expects.
func release(version, goos, goarch, out string) (asset, error) {
	bin := "kubectl-neo4j"
	if goos == "windows" {
		bin += ".exe"
	}
	tmp, err := os.MkdirTemp("", "kubectl-neo4j-")
	if err != nil {
		return asset{}, err
	}
	defer os.RemoveAll(tmp)
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+version, "-o", filepath.Join(tmp, bin), "./cmd/kubectl-neo4j")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return asset{}, err
	}
	data, err := os.ReadFile(filepath.Join(tmp, bin))
	if err != nil {
		return asset{}, err
	}
	name := fmt.Sprintf("kubectl-neo4j_v%s_%s_%s", version, goos, goarch)
	var archive []byte
	if goos == "windows" {
		name += ".zip"
		archive, err = zipped(bin, data)
	} else {
		name += ".tar.gz"
		archive, err = tarred(bin, data)
	}
	if err != nil {
		return asset{}, err
	}
	if err := os.WriteFile(filepath.Join(out, name), archive, 0o644); err != nil {
		return asset{}, err
	}
	sum := sha256.Sum256(archive)
	return asset{OS: goos, Arch: goarch, File: name, SHA256: hex.EncodeToString(sum[:]), Binary: bin}, nil
}

func tarred(name string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	gz.ModTime = epoch
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Uname: "root", Gname: "root", Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zipped(name string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// manifest is krew's plugin manifest (krew.sigs.k8s.io/v1alpha2 Plugin):
// install with kubectl krew install --manifest=neo4j.yaml.
var manifest = template.Must(template.New("krew").Parse(`apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: neo4j
spec:
  version: v{{.Version}}
  homepage: https://github.com/graphops-dev/neo4j-operator
  shortDescription: Neo4j clusters at a glance, a churn doctor, Helm migration
  description: |
    kubectl neo4j status shows Neo4jEnterpriseClusters, their rolls and pods.
    kubectl neo4j doctor finds pod churn in any StatefulSet: new revisions,
    recreated pods, two writers of a pod template, write conflicts.
    kubectl neo4j migrate-from-helm moves a cluster installed with Neo4j's
    Helm chart to the operator, keeping its volumes.
  platforms:
{{- range .Assets}}
  - selector:
      matchLabels:
        os: {{.OS}}
        arch: {{.Arch}}
    uri: {{$.Download}}/v{{$.Version}}/{{.File}}
    sha256: {{.SHA256}}
    bin: {{.Binary}}
{{- end}}
`))

func krewManifest(path, version, download string, assets []asset) error {
	var b bytes.Buffer
	if err := manifest.Execute(&b, struct {
		Version, Download string
		Assets            []asset
	}{version, download, assets}); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pluginrelease:", err)
	os.Exit(1)
}

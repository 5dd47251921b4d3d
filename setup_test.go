package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The test hook's resolver follows the file as FollowPods rewrites it
// (a new file renamed over the old one), even at the same size.
func TestFileResolverFollowsRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolve")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	resolve := fileResolver(path)
	steps := []struct {
		content, ask, want string
	}{
		{"", "a:7687", "a:7687"}, // no file yet: dialled as it is
		{"a:7687 127.0.0.1:1001\nb:7687 127.0.0.1:1002\n", "b:7687", "127.0.0.1:1002"},
		{"a:7687 127.0.0.1:1001\nb:7687 127.0.0.1:1003\n", "b:7687", "127.0.0.1:1003"}, // same size
		{"a:7687 127.0.0.1:1001\n", "b:7687", "b:7687"},
	}
	for i, s := range steps {
		if i > 0 {
			write(s.content)
		}
		if got := resolve(s.ask); got != s.want {
			t.Errorf("step %d: resolve(%q) = %q, want %q", i, s.ask, got, s.want)
		}
	}
}

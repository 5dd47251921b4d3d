package localcluster

import (
	"os"
	"strings"
	"testing"
)

// The stage file must hold every stage kwok needs, and the pod-delete stage
// must carry the fix for kwok's delete race (see stages/pod-delete.yaml).
func TestWriteStages(t *testing.T) {
	path, err := writeStages(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, name := range []string{"node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete"} {
		if !strings.Contains(s, "\n  name: "+name+"\n") {
			t.Errorf("stage %s missing", name)
		}
	}
	if !strings.Contains(s, ".metadata.deletionGracePeriodSeconds | tostring") {
		t.Error("pod-delete stage lacks the delete-race fix")
	}
}

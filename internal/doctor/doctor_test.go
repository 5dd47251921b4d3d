package doctor

import (
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes/scheme"
)

// load decodes a multi-document file of recorded objects.
func load(t *testing.T, path string, since, now time.Time) Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Since: since, Now: now}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch o := obj.(type) {
		case *appsv1.StatefulSet:
			in.StatefulSets = append(in.StatefulSets, *o)
		case *appsv1.ControllerRevision:
			in.Revisions = append(in.Revisions, *o)
		case *corev1.Event:
			in.Events = append(in.Events, *o)
		case *corev1.Pod:
			in.Pods = append(in.Pods, *o)
		}
	}
	return in
}

var (
	now   = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	since = now.Add(-time.Hour)
)

func TestChurnIsFound(t *testing.T) {
	r := Examine(load(t, "testdata/churn.yaml", since, now))
	if !r.Churning || r.Verdict != "churn: 1 of 2 StatefulSets in the last 1h0m0s" {
		t.Fatalf("verdict %q", r.Verdict)
	}
	g := r.StatefulSets[0]
	want := []string{
		"5 new revisions",
		"pod 2 (graph-primary-2) recreated 14 times",
		"the pod template has 2 writers: neo4j-legacy-operator (Update), platform-sidecar-injector (Update)",
		"37 write conflicts reported in Events",
	}
	if g.Name != "graph-primary" || strings.Join(g.Findings, "|") != strings.Join(want, "|") {
		t.Errorf("findings %q\nwant %q", g.Findings, want)
	}
	if g.Recreations["graph-primary-0"] != 1 {
		t.Errorf("pod 0 created once in the window: %v", g.Recreations)
	}
	c := r.StatefulSets[1]
	if c.Name != "cache" || len(c.Findings) != 0 || c.Recreations["cache-0"] != 0 {
		t.Errorf("an old event or one writer is no churn: %+v", c)
	}
	out := Print(r)
	if !strings.Contains(out, "CHURN team-a/graph-primary") || !strings.HasSuffix(out, r.Verdict+"\n") {
		t.Errorf("printed:\n%s", out)
	}
}

// The same objects seen over a window after the churn stopped are calm.
func TestCalmWindow(t *testing.T) {
	later := now.Add(24 * time.Hour)
	r := Examine(load(t, "testdata/churn.yaml", later.Add(-time.Hour), later))
	if r.StatefulSets[0].NewRevisions != 0 || r.StatefulSets[0].Recreations["graph-primary-2"] != 0 {
		t.Errorf("%+v", r.StatefulSets[0])
	}
	// Two template writers remain a finding whatever the window: they
	// fight at the next change.
	if !r.Churning || len(r.StatefulSets[0].Findings) != 1 {
		t.Errorf("findings %q", r.StatefulSets[0].Findings)
	}
}

// The operator's counters, as its metrics endpoint serves them, scoped to
// the namespace looked at.
func TestOperatorCounters(t *testing.T) {
	text, err := os.ReadFile("testdata/operator-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseOperatorMetrics("neo4j-system/metrics:8080", text)
	if err != nil {
		t.Fatal(err)
	}
	if m.Writes != 26 || m.Conflicts != 2 || m.ClusterWrites["prod/graph"] != 17 || m.ClusterWrites["helm/legacy"] != 9 {
		t.Fatalf("%+v", m)
	}
	now := time.Unix(1796601600+3600, 0)
	r := Examine(Input{Since: now.Add(-time.Hour), Now: now, Namespace: "helm", Operators: []OperatorMetrics{m,
		{Service: "other/metrics:8443", Error: proxyError(apierrors.NewUnauthorized("the server has asked for the client to provide credentials"), nil)}}})
	got := Print(r)
	want := "operator neo4j-system/metrics:8080: 26 writes, 2 conflicts since it started 1h0m0s ago\n" +
		"      cluster helm/legacy: 9 writes\n" +
		"operator other/metrics:8443: counters not read: the server has asked for the client to provide credentials (the endpoint authenticates its callers, and the API server's proxy passes no credentials: run the manager with --metrics-secure=false behind a NetworkPolicy, or scrape it with Prometheus)\n" +
		"calm: 0 StatefulSets, no churn in the last 1h0m0s\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Just started, nothing written: the vectors have no series yet.
	if m, err := ParseOperatorMetrics("x", []byte("process_start_time_seconds 1.7966016e+09\n")); err != nil || m.Writes != 0 || m.Conflicts != 0 || m.Started.IsZero() {
		t.Errorf("a fresh operator: %+v %v", m, err)
	}
	if _, err := ParseOperatorMetrics("x", []byte("not prometheus {\n")); err == nil {
		t.Error("a page that is not metrics was read")
	}
}

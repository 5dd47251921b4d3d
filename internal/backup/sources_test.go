package backup

import (
	"strings"
	"testing"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Backup addresses of testCluster's servers (3 primaries, 2 secondaries).
const (
	p0 = "graph-primary-0-internals.db.svc.cluster.local:6362"
	p1 = "graph-primary-1-internals.db.svc.cluster.local:6362"
	p2 = "graph-primary-2-internals.db.svc.cluster.local:6362"
	s0 = "graph-secondary-0-internals.db.svc.cluster.local:6362"
	s1 = "graph-secondary-1-internals.db.svc.cluster.local:6362"
)

// server is a status.servers row as the observer writes it: the pod read
// from the advertised Bolt address.
func server(pod, state, health string) v1alpha1.ServerStatus {
	return v1alpha1.ServerStatus{Name: "id-" + pod, Address: pod + "-internals.db.svc.cluster.local:7687", Pod: pod, State: state, Health: health}
}

// healthy are every server of testCluster, Enabled and Available, with
// the ones named in down replaced.
func healthy(down ...v1alpha1.ServerStatus) []v1alpha1.ServerStatus {
	out := []v1alpha1.ServerStatus{}
	for _, pod := range []string{"graph-primary-0", "graph-primary-1", "graph-primary-2", "graph-secondary-0", "graph-secondary-1"} {
		s := server(pod, "Enabled", "Available")
		for _, d := range down {
			if d.Pod == pod {
				s = d
			}
		}
		out = append(out, s)
	}
	return out
}

func observed(servers []v1alpha1.ServerStatus) *v1alpha1.Neo4jEnterpriseCluster {
	c := testCluster()
	c.Status.Servers = servers
	return c
}

// The --from of a backup Job: through BackupArgs, so each case checks the
// argv the Job runs.
func TestSourcesInFrom(t *testing.T) {
	for _, tc := range []struct {
		name    string
		servers []v1alpha1.ServerStatus
		want    []string
	}{
		{"not observed: every server, secondaries first", nil, []string{s0, s1, p0, p1, p2}},
		{"every server usable: secondaries first, each by ordinal", healthy(), []string{s0, s1, p0, p1, p2}},
		{"status order does not matter", reversed(healthy()), []string{s0, s1, p0, p1, p2}},
		{"a secondary Unavailable is left out", healthy(server("graph-secondary-0", "Enabled", "Unavailable")), []string{s1, p0, p1, p2}},
		{"a primary Unavailable is left out", healthy(server("graph-primary-1", "Enabled", "Unavailable")), []string{s0, s1, p0, p2}},
		{"no secondary usable: the primaries", healthy(server("graph-secondary-0", "Enabled", "Unavailable"), server("graph-secondary-1", "Enabled", "Unavailable")), []string{p0, p1, p2}},
		{"Cordoned is left out", healthy(server("graph-secondary-1", "Cordoned", "Available")), []string{s0, p0, p1, p2}},
		{"Deallocating is left out", healthy(server("graph-secondary-1", "Deallocating", "Available")), []string{s0, p0, p1, p2}},
		{"Deallocated is left out", healthy(server("graph-secondary-1", "Deallocated", "Available")), []string{s0, p0, p1, p2}},
		{"Free is left out", healthy(server("graph-primary-2", "Free", "Available")), []string{s0, s1, p0, p1}},
		{"Dropped is left out", healthy(server("graph-primary-2", "Dropped", "Available")), []string{s0, s1, p0, p1}},
		{"a server Neo4j does not report is left out", healthy()[1:], []string{s0, s1, p1, p2}},
		{"a row with no pod (another address form) names nobody", append(healthy()[:4], v1alpha1.ServerStatus{Name: "x", Address: "10.0.0.9:7687", State: "Enabled", Health: "Available"}), []string{s0, p0, p1, p2}},
		{"a usable server of a pod the spec no longer has is not named", append(healthy(), server("graph-primary-3", "Enabled", "Available")), []string{s0, s1, p0, p1, p2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BackupArgs("nightly-1", Defaulted(v1alpha1.Neo4jBackupSpec{Target: volumeTarget}), observed(tc.servers))[2]
			if want := "--from=" + strings.Join(tc.want, ","); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func reversed(in []v1alpha1.ServerStatus) []v1alpha1.ServerStatus {
	out := make([]v1alpha1.ServerStatus, 0, len(in))
	for i := len(in) - 1; i >= 0; i-- {
		out = append(out, in[i])
	}
	return out
}

// Without secondaries the order is the primaries' (no empty role first).
func TestSourcesPrimariesOnly(t *testing.T) {
	c := testCluster()
	c.Spec.Topology.Secondaries = 0
	if got, want := strings.Join(Sources(c), ","), p0+","+p1+","+p2; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSourcesNoneUsable(t *testing.T) {
	all := healthy()
	for i := range all {
		all[i].Health = "Unavailable"
	}
	if got := Sources(observed(all)); len(got) != 0 {
		t.Errorf("Sources = %q, want none", got)
	}
}

func TestUsable(t *testing.T) {
	for _, state := range []string{"Free", "Enabled", "Cordoned", "Deallocating", "Deallocated", "Dropped"} {
		for _, health := range []string{"Available", "Unavailable"} {
			want := state == "Enabled" && health == "Available"
			if got := Usable(v1alpha1.ServerStatus{State: state, Health: health}); got != want {
				t.Errorf("Usable(%s/%s) = %t, want %t", state, health, got, want)
			}
		}
	}
}

func TestDeferred(t *testing.T) {
	rolling := &v1alpha1.RolloutStatus{Pod: "graph-primary-1", Step: v1alpha1.RolloutWaitHealthy}
	scaling := &v1alpha1.ScalingStatus{Direction: v1alpha1.ScaleIn, Role: "secondary", Servers: []string{"graph-secondary-1"}, Replicas: 1, Step: v1alpha1.StepCordon}
	down := healthy()
	for i := range down {
		down[i].Health = "Unavailable"
	}
	down[0].State = "Cordoned"
	for _, tc := range []struct {
		name    string
		mutate  func(*v1alpha1.Neo4jEnterpriseCluster)
		want    string
		wantHas string
	}{
		{"nothing under way, not observed", func(*v1alpha1.Neo4jEnterpriseCluster) {}, "", ""},
		{"nothing under way, every server usable", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Servers = healthy() }, "", ""},
		{"one server usable is enough", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Status.Servers = append(append([]v1alpha1.ServerStatus(nil), down[:4]...), server("graph-secondary-1", "Enabled", "Available"))
		}, "", ""},
		{"a roll", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Rollout = rolling }, "", "a roll of the servers is in progress (status.rollout)"},
		{"a roll, whatever the servers", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Rollout, c.Status.Servers = rolling, healthy() }, "", "a roll of the servers is in progress"},
		{"a scaling step", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Scaling = scaling }, "", "a scaling operation is in progress (status.scaling: In, secondary servers)"},
		{"a roll and a scaling step: the roll is named", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Rollout, c.Status.Scaling = rolling, scaling }, "", "a roll of the servers"},
		{"no usable server", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Servers = down[:4] },
			"no reachable server to back up from: Neo4j reports none of the cluster's servers Enabled and Available (" +
				"graph-primary-0=Cordoned/Unavailable, graph-primary-1=Enabled/Unavailable, graph-primary-2=Enabled/Unavailable, " +
				"graph-secondary-0=Enabled/Unavailable, graph-secondary-1=not reported); the backup starts once one is", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCluster()
			tc.mutate(c)
			got := Deferred(c)
			switch {
			case tc.wantHas != "" && !strings.HasPrefix(got, tc.wantHas):
				t.Errorf("Deferred = %q, want it to start with %q", got, tc.wantHas)
			case tc.wantHas == "" && got != tc.want:
				t.Errorf("Deferred = %q, want %q", got, tc.want)
			}
		})
	}
}

package status

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
)

func cluster3() *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Name: "g", Namespace: "ns"}}
	c.Spec.Topology.Primaries = 3
	return c
}

func server(pod, state, health string) neo4j.Server {
	return neo4j.Server{Name: pod, Address: pod + "-internals.ns.svc.cluster.local:7687", State: state, Health: health}
}

func TestNeo4jVerdicts(t *testing.T) {
	leader := neo4j.Database{Name: "system", Writer: true, CurrentStatus: "online", RequestedStatus: "online", Address: "a"}
	for _, tc := range []struct {
		name            string
		obs             *observer.Observation
		formed, healthy string // reasons
		ready, issue    bool
	}{
		{"all well", &observer.Observation{Servers: []neo4j.Server{server("g-primary-0", "Enabled", "Available"),
			server("g-primary-1", "Enabled", "Available"), server("g-primary-2", "Enabled", "Available")}, Databases: []neo4j.Database{leader}},
			"Formed", "AllAvailable", true, false},
		{"one unavailable", &observer.Observation{Servers: []neo4j.Server{server("g-primary-0", "Enabled", "Available"),
			server("g-primary-1", "Enabled", "Unavailable"), server("g-primary-2", "Enabled", "Available")}, Databases: []neo4j.Database{leader}},
			"Formed", "ServersUnavailable", false, false},
		{"one pod's server still Free", &observer.Observation{Servers: []neo4j.Server{server("g-primary-0", "Enabled", "Available"),
			server("g-primary-1", "Enabled", "Available"), server("g-primary-2", "Free", "Available")}, Databases: []neo4j.Database{leader}},
			"Formed", "ServersNotEnabled", false, false},
		{"no leader", &observer.Observation{Servers: []neo4j.Server{server("g-primary-0", "Enabled", "Available"),
			server("g-primary-1", "Enabled", "Available"), server("g-primary-2", "Enabled", "Available")}},
			"NotFormed", "AllAvailable", false, false},
		{"a database offline", &observer.Observation{Servers: []neo4j.Server{server("g-primary-0", "Enabled", "Available"),
			server("g-primary-1", "Enabled", "Available"), server("g-primary-2", "Enabled", "Available")},
			Databases: []neo4j.Database{leader, {Name: "neo4j", CurrentStatus: "starting", RequestedStatus: "online"}}},
			"Formed", "AllAvailable", false, false},
		{"wrong password: Degraded", &observer.Observation{Failure: neo4j.AuthFailed, Message: "a: AuthFailed"}, "AuthFailed", "AuthFailed", false, true},
		{"no Secret: Degraded", &observer.Observation{Failure: observer.SecretUnusable, Message: "x"}, "SecretUnusable", "SecretUnusable", false, true},
		{"timeout", &observer.Observation{Failure: neo4j.Timeout, Message: "a: Timeout"}, "Timeout", "Timeout", false, false},
		{"an untrusted Bolt certificate: Degraded", &observer.Observation{Failure: neo4j.Untrusted, Message: "a: Untrusted"}, "CertificateUntrusted", "CertificateUntrusted", false, true},
		{"a Bolt TLS Secret problem: TLSReady says it, not Degraded", &observer.Observation{Failure: observer.TLSUnusable, Message: "x"}, "TLSUnusable", "TLSUnusable", false, false},
	} {
		n := Neo4j(cluster3(), tc.obs)
		if n.Formed.Reason != tc.formed || n.Healthy.Reason != tc.healthy || n.Ready() != tc.ready || (n.Issue() != nil) != tc.issue {
			t.Errorf("%s: formed %s healthy %s ready %v issue %v", tc.name, n.Formed.Reason, n.Healthy.Reason, n.Ready(), n.Issue())
		}
	}
}

// An operator that just started has no observation: the status it wrote
// before stands, so a restart flips nothing.
func TestNoObservationKeepsThePreviousStatus(t *testing.T) {
	c := cluster3()
	for _, t := range []string{v1alpha1.ConditionClusterFormed, v1alpha1.ConditionServersHealthy} {
		c.Status.Conditions = append(c.Status.Conditions, metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: "Before", Message: "m"})
	}
	c.Status.Servers = []v1alpha1.ServerStatus{{Name: "g-primary-0", State: "Enabled", Health: "Available"}}
	c.Status.Databases = []v1alpha1.DatabaseStatus{{Name: "neo4j", Status: "online"}}
	n := Neo4j(c, nil)
	if !n.Ready() || n.Formed.Reason != "Before" || len(n.Servers) != 1 || len(n.Databases) != 1 {
		t.Errorf("%+v", n)
	}
	if fresh := Neo4j(cluster3(), nil); fresh.Formed.Reason != "NotObservedYet" || fresh.Ready() {
		t.Errorf("a new cluster: %+v", fresh)
	}
}

// Issue 26, point 11: with Neo4j unreachable, a restarted operator (no
// observation yet) computes the status its predecessor wrote, for every
// kind of failed poll: a restart writes nothing, and the next failed poll
// writes nothing either.
func TestRestartWithNeo4jUnreachableChangesNothing(t *testing.T) {
	ready := map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: sts(3, 3, 3, "a", "a")}
	for kind := range failureReasons {
		t.Run(string(kind), func(t *testing.T) {
			c := cluster(3, 0)
			failed := Observed{StatefulSets: ready, Neo4jObserved: true, Neo4j: &observer.Observation{Failure: kind, Message: "every server: " + string(kind)}}
			c.Status = Compute(c, failed)
			restarted := Observed{StatefulSets: ready, Neo4jObserved: true}
			after := c.DeepCopy()
			if after.Status = Compute(c, restarted); !equality.Semantic.DeepEqual(after.Status, c.Status) {
				t.Fatalf("a restart rewrites the status:\nbefore %+v\nafter  %+v", c.Status.Conditions, after.Status.Conditions)
			}
			if again := Compute(after, failed); !equality.Semantic.DeepEqual(again, c.Status) {
				t.Errorf("the next failed poll rewrites the status:\n%+v", again.Conditions)
			}
		})
	}
}

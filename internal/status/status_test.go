package status

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

func cluster(p, s int32) *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	c.Name, c.Namespace, c.Generation = "g", "ns", 4
	c.Spec.Topology = v1alpha1.Topology{Primaries: p, Secondaries: s}
	return c
}

func sts(replicas, ready, updated int32, cur, upd string) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{}
	s.Generation = 2
	s.Status = appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: replicas, ReadyReplicas: ready, UpdatedReplicas: updated, CurrentRevision: cur, UpdateRevision: upd}
	return s
}

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     *v1alpha1.Neo4jEnterpriseCluster
		obs   Observed
		phase v1alpha1.ClusterPhase
		ready string
	}{
		{"nothing yet", cluster(3, 0), Observed{}, v1alpha1.PhasePending, "0/3"},
		{"starting", cluster(3, 0), Observed{StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: sts(3, 1, 3, "a", "a")}}, v1alpha1.PhaseProgressing, "1/3"},
		{"ready", cluster(3, 2), Observed{StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{
			neo4jconf.Primary: sts(3, 3, 3, "a", "a"), neo4jconf.Secondary: sts(2, 2, 2, "b", "b")}}, v1alpha1.PhaseReady, "5/5"},
		{"rolling", cluster(3, 0), Observed{StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: sts(3, 3, 1, "a", "b")}}, v1alpha1.PhaseProgressing, "3/3"},
		{"secondaries missing", cluster(3, 2), Observed{StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: sts(3, 3, 3, "a", "a")}}, v1alpha1.PhaseProgressing, "3/5"},
		{"degraded wins over ready", cluster(1, 0), Observed{Issues: []Issue{{Reason: "AuthSecretMissing", Message: "x"}},
			StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: sts(1, 1, 1, "a", "a")}}, v1alpha1.PhaseDegraded, "1/1"},
		{"paused wins", cluster(1, 0), Observed{Paused: true, Issues: []Issue{{Reason: "X", Message: "x"}}}, v1alpha1.PhasePaused, "0/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Compute(tc.c, tc.obs)
			if s.Phase != tc.phase || s.ReadyServers != tc.ready {
				t.Errorf("phase %s ready %s; want %s %s", s.Phase, s.ReadyServers, tc.phase, tc.ready)
			}
			wantGen := int64(4)
			if tc.obs.Paused {
				wantGen = 0 // never applied: the status says so
			}
			if s.ObservedGeneration != wantGen {
				t.Errorf("observedGeneration %d, want %d", s.ObservedGeneration, wantGen)
			}
			for _, cond := range s.Conditions {
				if cond.ObservedGeneration != wantGen {
					t.Errorf("%s has observedGeneration %d", cond.Type, cond.ObservedGeneration)
				}
			}
			// Computing again from the result changes nothing: no write.
			again := tc.c.DeepCopy()
			again.Status = s
			if next := Compute(again, tc.obs); !equality.Semantic.DeepEqual(next, s) {
				t.Error("a second computation from the same observation differs")
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	cond := func(typ string, st metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: typ, Status: st, Reason: "R"}
	}
	old := []metav1.Condition{cond("Ready", metav1.ConditionFalse), cond("Degraded", metav1.ConditionFalse)}
	if got := Transitions(old, old); len(got) != 0 {
		t.Errorf("no change, got %v", got)
	}
	if got := Transitions(nil, old); len(got) != 0 {
		t.Errorf("a first False is no news, got %v", got)
	}
	next := []metav1.Condition{cond("Ready", metav1.ConditionTrue), cond("Degraded", metav1.ConditionFalse)}
	got := Transitions(old, next)
	if len(got) != 1 || got[0].Type != "Ready" {
		t.Errorf("want one Ready transition, got %v", got)
	}
}

package rollout

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// clusterTLS turns the cluster channel on in both StatefulSets' templates
// (the update revision): the pods, at the old revision, run without it.
func (w *world) clusterTLS() *world {
	for _, s := range w.in.StatefulSets {
		s.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "tls-cluster"}}
	}
	return w
}

func (w *world) allowed() *world { w.in.FullRestartAllowed = true; return w }

// fullRestarting records a full restart of every pod, started at t.
func (w *world) fullRestarting(t time.Time, gate string) *world {
	w.in.Cluster.Status.Rollout = &v1alpha1.RolloutStatus{Step: v1alpha1.RolloutFullRestart, Gate: gate,
		Pending:   []string{"g-secondary-1", "g-secondary-0", "g-primary-2", "g-primary-0", "g-primary-1"},
		StartedAt: metav1.NewTime(t), LastTransitionTime: metav1.NewTime(t)}
	return w
}

// allNewTLS: every pod recreated at the new revision, with the cluster
// channel, Ready at t.
func (w *world) allNewTLS(t time.Time) *world {
	for _, p := range w.in.Pods {
		w.replaced(p.Name, t)
	}
	for i := range w.in.Pods {
		w.in.Pods[i].Spec.Volumes = []corev1.Volume{{Name: "tls-cluster"}}
	}
	return w
}

func TestFullRestart(t *testing.T) {
	all := []string{"g-secondary-1", "g-secondary-0", "g-primary-2", "g-primary-0", "g-primary-1"}
	later := t0.Add(90 * time.Second) // Ready after the poll at t0+1m
	cases := []struct {
		name       string
		w          *world
		restart    []string
		waiting    string
		stuck      string
		transition bool
		finished   bool
		step       v1alpha1.RolloutStep
	}{
		{name: "a policy change without consent: waits, records nothing, evicts nothing",
			w:       newWorld().clusterTLS(),
			waiting: "FullRestartAllowed: g-secondary-1 runs the other cluster TLS policy: every server must restart together; annotate the cluster neo4j.graphops.dev/allow-full-restart=true"},
		{name: "allowed: records the full restart and deletes every outdated pod at once",
			w: newWorld().clusterTLS().allowed(), restart: all, transition: true, step: v1alpha1.RolloutFullRestart,
			waiting: ""},
		{name: "allowed, while the cluster is unhealthy: starts anyway (every server stops)",
			w: newWorld().clusterTLS().allowed().set("g-primary-2", notReady).server("g-primary-0", unavailable), restart: all, transition: true, step: v1alpha1.RolloutFullRestart},
		{name: "allowed, during a scaling step: waits for it",
			w: newWorld().clusterTLS().allowed().scaling(), waiting: "NotScaling: a scale-in of the secondary servers is in progress"},
		{name: "a one-pod-at-a-time roll under way turns into a full restart",
			w: newWorld().clusterTLS().allowed().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, ""), restart: all, transition: true, step: v1alpha1.RolloutFullRestart},
		{name: "recorded, some pods not deleted yet (an operator restart): deletes those, no new record",
			w:       newWorld().clusterTLS().fullRestarting(t0, "").allNewBut("g-primary-0", "g-primary-1").set("g-primary-1", terminating),
			restart: []string{"g-primary-0"}, waiting: "the deletion of every outdated pod"},
		{name: "recorded, consent withdrawn after the deletions began: finishes what it started",
			w:       newWorld().clusterTLS().fullRestarting(t0, "").allNewBut("g-primary-0"),
			restart: []string{"g-primary-0"}, waiting: "the deletion of every outdated pod"},
		{name: "every pod back, one not Ready: waits, records the gate",
			w:       newWorld().clusterTLS().fullRestarting(t0, "").allNewTLS(later).set("g-primary-2", notReady),
			waiting: "PodsReady: g-primary-2 is not Ready", transition: true, step: v1alpha1.RolloutFullRestart},
		{name: "every pod back and Ready, no poll since: waits",
			w:       newWorld().clusterTLS().fullRestarting(t0, "").allNewTLS(later),
			waiting: "Neo4jPolled: no poll since g-primary-0 became Ready", transition: true, step: v1alpha1.RolloutFullRestart},
		{name: "unhealthy for longer than StuckAfter: stuck",
			w: newWorld().clusterTLS().fullRestarting(t0.Add(-9*time.Minute), "ServersAvailable: the server of g-primary-0 is Unavailable").
				allNewTLS(t0).server("g-primary-0", unavailable),
			waiting: "ServersAvailable: the server of g-primary-0 is Unavailable",
			stuck:   "the full restart of 2026-12-01T11:51:00Z has not come back healthy: ServersAvailable: the server of g-primary-0 is Unavailable"},
		{name: "every pod back, the gate passes: finished",
			w: newWorld().clusterTLS().fullRestarting(t0, "").allNewTLS(t0), transition: true, finished: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.w.in)
			var restart []string
			for _, e := range d.Restart {
				restart = append(restart, e.Pod)
				if e.UID != e.Pod+"-old" {
					t.Errorf("deletes %s by UID %s, want the outdated pod's", e.Pod, e.UID)
				}
			}
			if !reflect.DeepEqual(restart, tc.restart) || d.Waiting != tc.waiting || d.Stuck != tc.stuck || d.Transition != tc.transition || d.Finished != tc.finished || d.Evict != nil {
				t.Fatalf("restart %v waiting %q stuck %q transition %v finished %v evict %v\nwant %v %q %q %v %v <nil>",
					restart, d.Waiting, d.Stuck, d.Transition, d.Finished, d.Evict, tc.restart, tc.waiting, tc.stuck, tc.transition, tc.finished)
			}
			if tc.step != "" && (d.Rollout == nil || d.Rollout.Step != tc.step) {
				t.Fatalf("rollout %+v, want step %s", d.Rollout, tc.step)
			}
			if tc.step == v1alpha1.RolloutFullRestart && len(tc.restart) == len(all) && !reflect.DeepEqual(d.Rollout.Pending, all) {
				t.Errorf("pending %v, want every pod %v", d.Rollout.Pending, all)
			}
		})
	}
}

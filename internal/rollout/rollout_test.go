package rollout

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// world is a 3+2 cluster "g": every pod Ready at revision "old" since t0,
// the StatefulSets at update revision "new", Neo4j polled at t0+1m with
// every server Available and neo4j led by g-primary-0, system by
// g-primary-1, and every primary host's dbms.cluster.statusCheck
// reporting every member APPLYING and following the writer (replicate).
type world struct {
	in Input
}

func newWorld() *world {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Name: "g", Namespace: "ns"}}
	w := &world{in: Input{Cluster: c, StatefulSets: map[neo4jconf.Role]*appsv1.StatefulSet{
		neo4jconf.Primary: sts("g-primary", 3), neo4jconf.Secondary: sts("g-secondary", 2)},
		CacheSynced: true, Neo4jObserved: true, Now: t0.Add(2 * time.Minute), StuckAfter: 10 * time.Minute, MaxLag: 1000}}
	obs := &observer.Observation{At: t0.Add(time.Minute)}
	for _, role := range []string{"primary", "secondary"} {
		n := map[string]int{"primary": 3, "secondary": 2}[role]
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("g-%s-%d", role, i)
			w.in.Pods = append(w.in.Pods, pod(name, role, "old", true))
			obs.Servers = append(obs.Servers, neo4j.Server{ID: name, Address: addr(name), State: neo4j.StateEnabled, Health: neo4j.HealthAvailable})
			for _, db := range []string{"system", "neo4j"} {
				obs.Databases = append(obs.Databases, neo4j.Database{Name: db, Address: addr(name), CurrentStatus: "online", RequestedStatus: "online",
					Role: role, Type: map[bool]string{true: "system", false: "standard"}[db == "system"], Access: "read-write",
					Writer:             (db == "neo4j" && name == "g-primary-0") || (db == "system" && name == "g-primary-1"),
					RequestedPrimaries: 3, CurrentPrimaries: 3, RequestedSecondaries: 2, CurrentSecondaries: 2, ReplicationLag: ptr.To[int64](0)})
			}
		}
	}
	w.in.Neo4j = obs
	return w.replicate()
}

func addr(pod string) string { return pod + "-internals.ns.svc.cluster.local:7687" }

func sts(name string, replicas int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 2}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(replicas)},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: replicas, UpdateRevision: name + "-new"}}
}

func pod(name, role, rev string, ready bool) corev1.Pod {
	owner := name[:strings.LastIndex(name, "-")]
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-" + rev),
		Labels:          map[string]string{render.LabelRole: role, appsv1.ControllerRevisionHashLabelKey: owner + "-" + rev},
		OwnerReferences: []metav1.OwnerReference{{Kind: "StatefulSet", Name: owner, Controller: ptr.To(true)}}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.NewTime(t0)}}}}
}

func (w *world) set(name string, edit func(*corev1.Pod)) *world {
	for i := range w.in.Pods {
		if w.in.Pods[i].Name == name {
			edit(&w.in.Pods[i])
		}
	}
	return w
}

// replaced: the pod was recreated at the new revision, Ready at t.
func (w *world) replaced(name string, t time.Time) *world {
	return w.set(name, func(p *corev1.Pod) {
		role := p.Labels[render.LabelRole]
		*p = pod(name, role, "new", true)
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(t)
	})
}

func (w *world) server(pod string, edit func(*neo4j.Server)) *world {
	for i := range w.in.Neo4j.Servers {
		if w.in.Neo4j.Servers[i].ID == pod {
			edit(&w.in.Neo4j.Servers[i])
		}
	}
	return w
}

func (w *world) copies(pod string, edit func(*neo4j.Database)) *world {
	for i := range w.in.Neo4j.Databases {
		if w.in.Neo4j.Databases[i].Address == addr(pod) {
			edit(&w.in.Neo4j.Databases[i])
		}
	}
	return w
}

// rolling records a roll at pod (UID of revision rev), chosen at t, gate g.
func (w *world) rolling(pod, rev string, t time.Time, step v1alpha1.RolloutStep, gate string, done ...string) *world {
	w.in.Cluster.Status.Rollout = &v1alpha1.RolloutStatus{Pod: pod, PodUID: pod + "-" + rev, Step: step, Gate: gate, Done: done,
		StartedAt: metav1.NewTime(t0), LastTransitionTime: metav1.NewTime(t)}
	return w
}

func TestDecide(t *testing.T) {
	later := t0.Add(90 * time.Second) // Ready after the poll at t0+1m
	cases := []struct {
		name string
		w    *world
		// want
		evict, waiting, stuck string
		transition, finished  bool
		pending               []string
		step                  v1alpha1.RolloutStep
	}{
		{name: "calm: every pod at its update revision, no roll",
			w: newWorld().set("g-primary-0", func(p *corev1.Pod) {}).allNew()},
		{name: "starts with the highest secondary; system leader last, neo4j's leader before it",
			w: newWorld(), evict: "g-secondary-1", transition: true, step: v1alpha1.RolloutEvict,
			pending: []string{"g-secondary-0", "g-primary-2", "g-primary-0", "g-primary-1"}},
		{name: "does not start while a pod is not Ready",
			w: newWorld().allNewBut("g-primary-2").set("g-secondary-0", notReady), waiting: "PodsReady: g-secondary-0 is not Ready"},
		{name: "a pod already down goes first, whatever Neo4j says",
			w: newWorld().set("g-primary-2", notReady).server("g-primary-2", unavailable), evict: "g-primary-2", transition: true, step: v1alpha1.RolloutEvict,
			pending: []string{"g-secondary-1", "g-secondary-0", "g-primary-0", "g-primary-1"}},
		{name: "two pods down: waits",
			w:       newWorld().set("g-primary-2", notReady).set("g-primary-1", notReady),
			waiting: "PodsReady: g-primary-1 is not Ready"},
		{name: "does not start during a scaling operation",
			w: newWorld().scaling(), waiting: "NotScaling: a scale-in of the secondary servers is in progress"},
		{name: "does not start before the StatefulSet controller saw the spec",
			w: newWorld().unobserved("g-secondary"), evict: "", waiting: "StatefulSetsObserved: the StatefulSet controller has not seen generation 3 of g-secondary"},
		{name: "waits for the cache to show the operator's writes",
			w: newWorld().unsynced(), waiting: "StatefulSetsObserved: the cache does not show the operator's last StatefulSet write yet"},
		{name: "resumes an eviction recorded before a restart: same pod, same UID, no new record",
			w: newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutEvict, ""), evict: "g-secondary-1",
			waiting: "eviction of g-secondary-1"},
		{name: "the recorded pod terminating: waits, records the gate",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutEvict, "").set("g-secondary-1", terminating),
			waiting: "PodReplaced: g-secondary-1 is terminating", transition: true, step: v1alpha1.RolloutEvict},
		{name: "the replacement Ready but not polled since: waits for a poll",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutEvict, "").replaced("g-secondary-1", later),
			waiting: "Neo4jPolled: no poll since g-secondary-1 became Ready", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "the same gate again: no write",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "Neo4jPolled: no poll since g-secondary-1 became Ready").replaced("g-secondary-1", later),
			waiting: "Neo4jPolled: no poll since g-secondary-1 became Ready"},
		{name: "a failed poll holds the roll",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).failed(),
			waiting: "Neo4jPolled: the last poll failed: Unavailable", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "the restarted server not yet Available",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).server("g-secondary-1", unavailable),
			waiting: "ServersAvailable: the server of g-secondary-1 is Unavailable", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "the restarted server not listed",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).server("g-secondary-1", func(s *neo4j.Server) { s.Address = "elsewhere:7687" }),
			waiting: "ServersAvailable: Neo4j lists no server for g-secondary-1", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "another server Unavailable",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).server("g-primary-0", unavailable),
			waiting: "ServersAvailable: the server of g-primary-0 is Unavailable", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "a copy still store copying",
			w: newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).copies("g-secondary-1", func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.CurrentStatus = "store copying"
				}
			}), waiting: "DatabasesAllocated: neo4j on g-secondary-1 is store copying", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "a database short of its topology",
			w:       newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).copies("g-primary-0", func(d *neo4j.Database) { d.CurrentSecondaries = 1 }),
			waiting: "DatabasesAllocated: system has 3 of 3 primaries and 1 of 2 secondaries", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "the restarted server behind its writer by more than MaxLag",
			w: newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).copies("g-secondary-1", func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.ReplicationLag = ptr.To[int64](-1001)
				}
			}),
			waiting: "CaughtUp: neo4j on g-secondary-1 is more than 1000 transactions behind its writer", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "within MaxLag: the next pod",
			w:     newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).copies("g-secondary-1", func(d *neo4j.Database) { d.ReplicationLag = ptr.To[int64](-1000) }),
			evict: "g-secondary-0", transition: true, step: v1alpha1.RolloutEvict, pending: []string{"g-primary-2", "g-primary-0", "g-primary-1"}},
		{name: "stuck: the gate failed for longer than StuckAfter",
			w: newWorld().rolling("g-secondary-1", "old", t0.Add(-9*time.Minute), v1alpha1.RolloutWaitHealthy, "ServersAvailable: the server of g-secondary-1 is Unavailable").
				replaced("g-secondary-1", t0).server("g-secondary-1", unavailable),
			waiting: "ServersAvailable: the server of g-secondary-1 is Unavailable",
			stuck:   "the roll halted at g-secondary-1 (WaitHealthy since 2026-12-01T11:51:00Z): ServersAvailable: the server of g-secondary-1 is Unavailable"},
		{name: "the stuck clock starts at the eviction, not at the record",
			w: newWorld().rolling("g-secondary-1", "old", t0.Add(-9*time.Minute), v1alpha1.RolloutEvict, "EvictionAllowed: Cannot evict pod").
				replaced("g-secondary-1", t0).server("g-secondary-1", unavailable),
			waiting: "ServersAvailable: the server of g-secondary-1 is Unavailable", transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "an eviction refused for longer than StuckAfter is reported",
			w:     newWorld().rolling("g-secondary-1", "old", t0.Add(-9*time.Minute), v1alpha1.RolloutEvict, "EvictionAllowed: Cannot evict pod"),
			evict: "g-secondary-1", waiting: "eviction of g-secondary-1",
			stuck: "the roll halted at g-secondary-1 (Evict since 2026-12-01T11:51:00Z): EvictionAllowed: Cannot evict pod"},
		{name: "a recorded pod not evicted yet: the gate is checked again first",
			w:       newWorld().rolling("g-primary-2", "old", t0, v1alpha1.RolloutEvict, "").allNewBut("g-primary-2", "g-primary-0", "g-primary-1").server("g-primary-0", unavailable),
			waiting: "ServersAvailable: the server of g-primary-0 is Unavailable", transition: true, step: v1alpha1.RolloutEvict},
		{name: "a recorded pod no longer outdated (the template went back): not evicted, not done",
			w: newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutEvict, "").reverted("g-secondary"), evict: "g-primary-2",
			transition: true, step: v1alpha1.RolloutEvict, pending: []string{"g-primary-0", "g-primary-1"}},
		{name: "a pod not Ready for less than a minute is not down: the gate waits",
			w:       newWorld().set("g-primary-2", notReadyAt(t0.Add(90*time.Second))).server("g-primary-2", unavailable),
			waiting: "PodsReady: g-primary-2 is not Ready"},
		{name: "a pod not Ready whose server Neo4j still reports Available is not down",
			w: newWorld().set("g-primary-2", notReady), waiting: "PodsReady: g-primary-2 is not Ready"},
		{name: "two pods down: one at a time, the first evicted",
			w:     newWorld().set("g-primary-2", notReady).server("g-primary-2", unavailable).set("g-primary-1", notReady).server("g-primary-1", unavailable),
			evict: "g-primary-2", transition: true, step: v1alpha1.RolloutEvict,
			pending: []string{"g-secondary-1", "g-secondary-0", "g-primary-0", "g-primary-1"}},
		{name: "two pods down, the first being replaced: the second waits",
			w: newWorld().rolling("g-primary-2", "old", t0, v1alpha1.RolloutEvict, "").set("g-primary-2", terminating).
				set("g-primary-1", notReady).server("g-primary-1", unavailable),
			waiting: "PodReplaced: g-primary-2 is terminating", transition: true, step: v1alpha1.RolloutEvict},
		{name: "a stopped database has no lag and does not hold the roll",
			w: newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", t0).copies("g-secondary-1", func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.RequestedStatus, d.CurrentStatus, d.ReplicationLag = "offline", "offline", nil
				}
			}).allDatabases(func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.RequestedStatus, d.CurrentStatus = "offline", "offline"
				}
			}),
			evict: "g-secondary-0", transition: true, step: v1alpha1.RolloutEvict, pending: []string{"g-primary-2", "g-primary-0", "g-primary-1"}},
		{name: "the primaries' turn: one the status check reports UNAVAILABLE (SHOW SERVERS: Available) holds the roll; the old gate let it through",
			w: newWorld().rolling("g-primary-2", "old", t0, v1alpha1.RolloutWaitHealthy, "", "g-secondary-1", "g-secondary-0").allNewBut("g-primary-0", "g-primary-1").
				everywhere("g-primary-1", status(neo4j.MemberUnavailable)),
			waiting:    "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-0 are healthy, 2 needed: g-primary-1 is UNAVAILABLE",
			transition: true, step: v1alpha1.RolloutWaitHealthy},
		{name: "the next pod is the unhealthy primary itself: it goes",
			w: newWorld().rolling("g-primary-2", "old", t0, v1alpha1.RolloutWaitHealthy, "", "g-secondary-1", "g-secondary-0").allNewBut("g-primary-0", "g-primary-1").
				everywhere("g-primary-0", status(neo4j.MemberUnavailable)),
			evict: "g-primary-0", transition: true, step: v1alpha1.RolloutEvict, pending: []string{"g-primary-1"}},
		{name: "a recorded pod not evicted yet is the one judged safe to shut down",
			w: newWorld().rolling("g-primary-1", "old", t0, v1alpha1.RolloutEvict, "").allNewBut("g-primary-0", "g-primary-1").
				everywhere("g-primary-0", status(neo4j.MemberUnavailable)),
			waiting:    "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-1 are healthy, 2 needed: g-primary-0 is UNAVAILABLE",
			transition: true, step: v1alpha1.RolloutEvict},
		{name: "the last pod healthy: the roll is over",
			w:          newWorld().allNew().rolling("g-primary-1", "old", t0, v1alpha1.RolloutWaitHealthy, ""),
			transition: true, finished: true},
		{name: "without Neo4j observed, Kubernetes gates only",
			w:     newWorld().blind().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "").replaced("g-secondary-1", later),
			evict: "g-secondary-0", transition: true, step: v1alpha1.RolloutEvict, pending: []string{"g-primary-2", "g-primary-1", "g-primary-0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.w.in)
			gotEvict := ""
			if d.Evict != nil {
				gotEvict = d.Evict.Pod
				if d.Evict.UID != d.Evict.Pod+"-old" {
					t.Errorf("evicts UID %s", d.Evict.UID)
				}
			}
			if gotEvict != tc.evict || d.Waiting != tc.waiting || d.Stuck != tc.stuck || d.Transition != tc.transition || d.Finished != tc.finished {
				t.Fatalf("got evict %q waiting %q stuck %q transition %v finished %v", gotEvict, d.Waiting, d.Stuck, d.Transition, d.Finished)
			}
			if d.Transition && !d.Finished {
				if d.Rollout.Step != tc.step {
					t.Errorf("step %s, want %s", d.Rollout.Step, tc.step)
				}
				if d.Rollout.Step == v1alpha1.RolloutEvict && d.Evict != nil && strings.Join(d.Rollout.Pending, ",") != strings.Join(tc.pending, ",") {
					t.Errorf("pending %v, want %v", d.Rollout.Pending, tc.pending)
				}
			}
			if d.Finished && d.Rollout != nil {
				t.Errorf("a finished roll keeps a record: %+v", d.Rollout)
			}
		})
	}
}

func TestDecideRecordsProgress(t *testing.T) {
	w := newWorld().rolling("g-secondary-1", "old", t0, v1alpha1.RolloutWaitHealthy, "", "").replaced("g-secondary-1", t0)
	w.in.Cluster.Status.Rollout.Done = nil
	w.in.Cluster.Status.Rollout.Revisions = []v1alpha1.RolloutRevision{{StatefulSet: "g-secondary", From: "g-secondary-old", To: "g-secondary-new"}}
	d := Decide(w.in)
	r := d.Rollout
	if d.Evict == nil || r.Pod != "g-secondary-0" || r.PodUID != "g-secondary-0-old" || strings.Join(r.Done, ",") != "g-secondary-1" {
		t.Fatalf("got %+v", r)
	}
	if !r.StartedAt.Time.Equal(t0) || !r.LastTransitionTime.Time.Equal(w.in.Now) {
		t.Errorf("times %v %v", r.StartedAt, r.LastTransitionTime)
	}
	want := "g-primary:g-primary-old→g-primary-new g-secondary:g-secondary-old→g-secondary-new"
	if got := revs(r.Revisions); got != want {
		t.Errorf("revisions %s, want %s", got, want)
	}
	// The template changes again mid-roll: To follows, From stays.
	w.in.Cluster.Status.Rollout = r
	w.in.StatefulSets[neo4jconf.Secondary].Status.UpdateRevision = "g-secondary-newer"
	w.in.Pods = w.in.Pods[:0]
	for _, p := range newWorld().in.Pods {
		w.in.Pods = append(w.in.Pods, p)
	}
	w.replaced("g-secondary-0", t0)
	d = Decide(w.in)
	if got := revs(d.Rollout.Revisions); got != "g-primary:g-primary-old→g-primary-new g-secondary:g-secondary-old→g-secondary-newer" {
		t.Errorf("revisions after a second change: %s", got)
	}
}

func revs(rs []v1alpha1.RolloutRevision) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.StatefulSet+":"+r.From+"→"+r.To)
	}
	return strings.Join(out, " ")
}

func TestNeeded(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		observed, updated, reps int32
		want                    bool
	}{
		{"every pod updated", 2, 3, 3, false},
		{"a pod outdated", 2, 2, 3, true},
		{"the controller has not seen the spec", 1, 2, 3, false},
	} {
		s := sts("x", 3)
		s.Status.ObservedGeneration, s.Status.UpdatedReplicas, s.Status.Replicas = int64(tc.observed), tc.updated, tc.reps
		if got := Needed(map[neo4jconf.Role]*appsv1.StatefulSet{neo4jconf.Primary: s}); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestGateNames(t *testing.T) {
	want := "NotScaling StatefulSetsObserved PodsReady Neo4jPolled ServersAvailable DatabasesAllocated DatabasesHaveWriter CaughtUp SafeToShutDown NoneReplacing"
	if got := strings.Join(GateNames(), " "); got != want {
		t.Errorf("%s", got)
	}
}

func notReady(p *corev1.Pod)      { p.Status.Conditions[0].Status = corev1.ConditionFalse }
func terminating(p *corev1.Pod)   { p.DeletionTimestamp = ptr.To(metav1.NewTime(t0)) }
func unavailable(s *neo4j.Server) { s.Health = "Unavailable" }
func (w *world) allNew() *world   { return w.allNewBut() }
func (w *world) blind() *world    { w.in.Neo4jObserved, w.in.Neo4j = false, nil; return w }
func (w *world) unsynced() *world { w.in.CacheSynced = false; return w }
func (w *world) failed() *world   { w.in.Neo4j.Failure = "Unavailable"; return w }
func (w *world) unobserved(name string) *world {
	for _, s := range w.in.StatefulSets {
		if s.Name == name {
			s.Generation = 3
		}
	}
	return w
}
func (w *world) scaling() *world {
	w.in.Cluster.Status.Scaling = &v1alpha1.ScalingStatus{Direction: v1alpha1.ScaleIn, Role: "secondary", Servers: []string{"g-secondary-1"}}
	return w
}

// allNewBut puts every pod but those named at the new revision.
func (w *world) allNewBut(names ...string) *world {
	for i := range w.in.Pods {
		p := &w.in.Pods[i]
		keep := false
		for _, n := range names {
			keep = keep || n == p.Name
		}
		if !keep {
			w.replaced(p.Name, t0)
		}
	}
	return w
}

func notReadyAt(t time.Time) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions[0].Status, p.Status.Conditions[0].LastTransitionTime = corev1.ConditionFalse, metav1.NewTime(t)
	}
}

// reverted: the StatefulSet's update revision is the old one again.
func (w *world) reverted(name string) *world {
	for _, s := range w.in.StatefulSets {
		if s.Name == name {
			s.Status.UpdateRevision = name + "-old"
		}
	}
	return w
}

func (w *world) allDatabases(edit func(*neo4j.Database)) *world {
	for i := range w.in.Neo4j.Databases {
		edit(&w.in.Neo4j.Databases[i])
	}
	return w
}

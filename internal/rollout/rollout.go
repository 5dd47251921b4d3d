// Package rollout decides, purely, how a cluster's pods are restarted
// when their template changed: one pod at a time, through the Eviction
// API, in a safe order, each next pod only after the health gate passed
// (gates.go). The StatefulSets use the OnDelete strategy, so no pod is
// replaced unless the operator evicts it; the StatefulSet controller then
// recreates it at the update revision.
//
// The roll's record is status.rollout, written (under an optimistic lock)
// before each eviction: the pod's name and UID. A pod is evicted only
// while the live pod has that UID, so a restarted operator, or a second
// one, can repeat the decision but never evicts a pod twice.
package rollout

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Input is what a roll is decided from.
type Input struct {
	Cluster *v1alpha1.Neo4jEnterpriseCluster
	// StatefulSets the cluster controls, by role (from the cache).
	StatefulSets map[neo4jconf.Role]*appsv1.StatefulSet
	// Pods of the cluster, read from the API server: only when Needed or a
	// roll is recorded (nil otherwise).
	Pods []corev1.Pod
	// CacheSynced: the cache shows the operator's last StatefulSet writes.
	CacheSynced bool
	// Neo4jObserved is true when the operator observes Neo4j; Neo4j is
	// then its last poll (nil before the first) and the Neo4j gates apply.
	Neo4jObserved bool
	Neo4j         *observer.Observation
	Now           time.Time
	// StuckAfter is how long a restarted pod may fail the gate before the
	// roll is reported stuck.
	StuckAfter time.Duration
	// MaxLag is how many transactions a restarted server's databases may
	// be behind their writer (replicationLag) and count as caught up.
	MaxLag int64
	// FullRestartAllowed: the user allows a full restart
	// (fullrestart.go).
	FullRestartAllowed bool
}

// Eviction is a pod to evict, exactly that one (its UID).
type Eviction struct {
	Pod string
	UID string
}

// Decision is what to do about the roll now.
type Decision struct {
	// Rollout is what status.rollout should be (nil: no roll).
	Rollout *v1alpha1.RolloutStatus
	// Transition: write Rollout (optimistic lock) before anything else.
	Transition bool
	// Evict is the pod to evict now, after the transition.
	Evict *Eviction
	// Restart are the pods to delete now, all together, after the
	// transition: a full restart (fullrestart.go).
	Restart []Eviction
	// Waiting names the gate the roll waits on and what it saw.
	Waiting string
	// Stuck says why the roll halted, once it waited longer than
	// StuckAfter on a restarted pod ("" otherwise).
	Stuck string
	// Started and Finished mark the roll's ends (for Events and metrics).
	Started, Finished bool
	// Outdated are the pods not running their update revision yet, in
	// roll order (none when the pods were not read).
	Outdated []string
}

// Needed is true when a StatefulSet has pods of an older revision: the
// StatefulSet controller saw the latest template and counts fewer updated
// pods than it has. It needs no pod read, so a calm cluster reads none.
func Needed(sets map[neo4jconf.Role]*appsv1.StatefulSet) bool {
	for _, s := range sets {
		st := s.Status
		if st.ObservedGeneration >= s.Generation && st.UpdateRevision != "" && st.UpdatedReplicas < st.Replicas {
			return true
		}
	}
	return false
}

// Decide returns what to do. It never chooses a pod while a gate fails,
// and never a second pod while the first one's eviction is in flight.
func Decide(in Input) Decision {
	d := decide(in)
	for _, p := range in.outdated() {
		d.Outdated = append(d.Outdated, p.Name)
	}
	return d
}

func decide(in Input) Decision {
	cur := in.Cluster.Status.Rollout
	outdated := in.outdated()
	if (cur != nil && cur.Step == v1alpha1.RolloutFullRestart) || in.policyChanges(outdated) != "" {
		return in.fullRestart(cur, outdated)
	}
	if cur != nil && cur.Pod != "" && in.stillThere(cur) {
		p := in.pod(cur.Pod)
		if p.DeletionTimestamp != nil {
			return in.wait(cur, Gate{Name: "PodReplaced", Saw: p.Name + " is terminating"})
		}
		if slices.ContainsFunc(outdated, func(o corev1.Pod) bool { return o.Name == p.Name }) {
			// Recorded, not evicted yet (a kill, a refusal): the gate is
			// checked again before the eviction is sent.
			if g := in.gateFor(p, lastDone(cur)); g != nil {
				return in.wait(cur, *g)
			}
			d := Decision{Rollout: cur, Evict: &Eviction{Pod: p.Name, UID: cur.PodUID}, Waiting: "eviction of " + p.Name}
			if strings.HasPrefix(cur.Gate, "Eviction") {
				d.Stuck = in.stuck(cur, cur.Gate)
			}
			return d
		}
		// No longer outdated (the template went back): choose afresh.
	}
	if cur == nil && len(outdated) == 0 {
		return Decision{}
	}
	next, gate := in.choose(outdated, cur)
	if gate != nil {
		return in.wait(cur, *gate)
	}
	if next == nil { // every pod runs its update revision and passed the gate
		return Decision{Transition: true, Finished: true}
	}
	return in.start(cur, next, outdated)
}

// choose picks the next pod and checks the gate for it. A pod that is down
// is taken first: evicting it costs no availability, and its new revision
// may be the fix for why it is down.
func (in Input) choose(outdated []corev1.Pod, cur *v1alpha1.RolloutStatus) (*corev1.Pod, *Gate) {
	restarted := lastDone(cur)
	if cur != nil && cur.Pod != "" && !in.stillThere(cur) {
		restarted = cur.Pod
	}
	for i := range outdated {
		if p := &outdated[i]; in.down(p) {
			return p, in.gateFor(p, restarted)
		}
	}
	if len(outdated) == 0 {
		return nil, in.firstFailing(in.gates(), Subject{Restarted: restarted})
	}
	if g := in.firstFailing(in.gates(), Subject{Restarted: restarted, Next: outdated[0].Name}); g != nil {
		return nil, g
	}
	return &outdated[0], nil
}

// gateFor checks the gate for evicting p: the down gate if p is down,
// else the whole gate, with the last restarted pod's catch-up and p as
// the pod to shut down.
func (in Input) gateFor(p *corev1.Pod, restarted string) *Gate {
	if in.down(p) {
		return in.firstFailing(DownGates, Subject{Down: p.Name})
	}
	return in.firstFailing(in.gates(), Subject{Restarted: restarted, Next: p.Name})
}

// DownAfter is how long a pod must have been not Ready to count as down:
// a readiness probe that fails once does not put a pod first in line.
const DownAfter = time.Minute

// down: the pod has not been Ready for DownAfter, and Neo4j (when
// observed) does not report its server Available either.
func (in Input) down(p *corev1.Pod) bool {
	if podReady(p) || p.DeletionTimestamp != nil || in.Now.Sub(notReadySince(p)) < DownAfter {
		return false
	}
	if in.Neo4jObserved && in.Neo4j != nil {
		for _, srv := range in.Neo4j.Servers {
			if render.PodOfAddress(srv.Address) == p.Name && srv.Health == neo4j.HealthAvailable {
				return false
			}
		}
	}
	return true
}

// lastDone is the pod restarted last ("" for none).
func lastDone(cur *v1alpha1.RolloutStatus) string {
	if cur == nil || len(cur.Done) == 0 {
		return ""
	}
	return cur.Done[len(cur.Done)-1]
}

func (in Input) gates() []Predicate {
	if in.Neo4jObserved {
		return append(slices.Clone(KubernetesGates), Neo4jGates...)
	}
	return KubernetesGates
}

// start records the next pod (and the roll, if new); the eviction follows
// the record.
func (in Input) start(cur *v1alpha1.RolloutStatus, next *corev1.Pod, outdated []corev1.Pod) Decision {
	now := metav1.NewTime(in.Now).Rfc3339Copy() // as the API server will store it
	r := &v1alpha1.RolloutStatus{StartedAt: now}
	if cur != nil {
		r = cur.DeepCopy()
		if cur.Pod != "" && !in.stillThere(cur) {
			r.Done = append(r.Done, cur.Pod)
		}
	}
	r.Pod, r.PodUID, r.Step, r.Gate, r.LastTransitionTime = next.Name, string(next.UID), v1alpha1.RolloutEvict, "", now
	r.Pending = nil
	for _, p := range outdated {
		if p.Name != next.Name {
			r.Pending = append(r.Pending, p.Name)
		}
	}
	r.Revisions = in.revisions(r.Revisions, outdated)
	return Decision{Rollout: r, Transition: true, Evict: &Eviction{Pod: next.Name, UID: string(next.UID)}, Started: cur == nil}
}

// wait keeps the roll where it is and records the gate it waits on. A
// pod evicted longer than StuckAfter ago whose replacement still fails
// the gate halts the roll (Stuck).
func (in Input) wait(cur *v1alpha1.RolloutStatus, g Gate) Decision {
	d := Decision{Rollout: cur, Waiting: g.String()}
	if cur == nil {
		return d
	}
	r := cur.DeepCopy()
	r.Gate = g.String()
	if cur.Pod != "" && !in.stillThere(cur) && cur.Step != v1alpha1.RolloutWaitHealthy {
		// Evicted: the stuck clock starts now.
		r.Step, r.LastTransitionTime = v1alpha1.RolloutWaitHealthy, metav1.NewTime(in.Now).Rfc3339Copy()
	}
	if r.Gate != cur.Gate || r.Step != cur.Step {
		d.Rollout, d.Transition = r, true
	}
	if r.Pod != "" && (r.Step == v1alpha1.RolloutWaitHealthy || g.Name == "PodReplaced") {
		d.Stuck = in.stuck(r, g.String())
	}
	return d
}

// stuck says why the roll halted once its current step has lasted longer
// than StuckAfter. The text is stable (no elapsed time): it goes to the
// status.
func (in Input) stuck(r *v1alpha1.RolloutStatus, gate string) string {
	if in.Now.Sub(r.LastTransitionTime.Time) <= in.StuckAfter {
		return ""
	}
	return fmt.Sprintf("the roll halted at %s (%s since %s): %s", r.Pod, r.Step,
		r.LastTransitionTime.UTC().Format(time.RFC3339), gate)
}

// stillThere is true while the recorded pod (its UID) exists, even if
// terminating.
func (in Input) stillThere(cur *v1alpha1.RolloutStatus) bool {
	p := in.pod(cur.Pod)
	return p != nil && string(p.UID) == cur.PodUID
}

// revisions records, per StatefulSet with outdated pods, the revisions
// they run and the one they go to; a StatefulSet already listed keeps its
// From, and gets a new To if the template changed again.
func (in Input) revisions(have []v1alpha1.RolloutRevision, outdated []corev1.Pod) []v1alpha1.RolloutRevision {
	from := map[string]map[string]bool{}
	for _, p := range outdated {
		s := owner(&p)
		if from[s] == nil {
			from[s] = map[string]bool{}
		}
		from[s][p.Labels[appsv1.ControllerRevisionHashLabelKey]] = true
	}
	out := slices.Clone(have)
	for _, sts := range in.StatefulSets {
		i := slices.IndexFunc(out, func(r v1alpha1.RolloutRevision) bool { return r.StatefulSet == sts.Name })
		switch {
		case i >= 0:
			out[i].To = sts.Status.UpdateRevision
		case from[sts.Name] != nil:
			revs := make([]string, 0, len(from[sts.Name]))
			for r := range from[sts.Name] {
				revs = append(revs, r)
			}
			sort.Strings(revs)
			out = append(out, v1alpha1.RolloutRevision{StatefulSet: sts.Name, From: strings.Join(revs, ","), To: sts.Status.UpdateRevision})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StatefulSet < out[j].StatefulSet })
	return out
}

// outdated are the pods not running their StatefulSet's update revision,
// in the order they are restarted (order.go). Pods of a StatefulSet the
// controller has not caught up with are left out: its update revision is
// not known yet (the StatefulSetsObserved gate waits for it).
func (in Input) outdated() []corev1.Pod {
	var out []corev1.Pod
	for _, p := range in.Pods {
		sts := in.statefulSet(owner(&p))
		if sts == nil || sts.Status.ObservedGeneration < sts.Generation || sts.Status.UpdateRevision == "" {
			continue
		}
		if p.Labels[appsv1.ControllerRevisionHashLabelKey] != sts.Status.UpdateRevision {
			out = append(out, p)
		}
	}
	in.order(out)
	return out
}

func (in Input) statefulSet(name string) *appsv1.StatefulSet {
	for _, s := range in.StatefulSets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (in Input) pod(name string) *corev1.Pod {
	for i := range in.Pods {
		if in.Pods[i].Name == name {
			return &in.Pods[i]
		}
	}
	return nil
}

// owner is the name of the StatefulSet controlling a pod.
func owner(p *corev1.Pod) string {
	if ref := metav1.GetControllerOf(p); ref != nil && ref.Kind == "StatefulSet" {
		return ref.Name
	}
	return ""
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// notReadySince is when a pod stopped being Ready (its creation if it
// never was).
func notReadySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return p.CreationTimestamp.Time
}

// readySince is when a pod last became Ready.
func readySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

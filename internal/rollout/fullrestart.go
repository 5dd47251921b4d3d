package rollout

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// A full restart: the change some pods are outdated by is one every
// server must make at the same moment, so they cannot be restarted one at
// a time. Today that is the cluster channel's TLS turned on or off: Neo4j
// needs the same cluster policy on every server (Operations Manual 5.x,
// clustering/setup/encryption.adoc: "The policy must be configured on
// every server with the same settings"), and a server restarted with the
// other policy could not talk to those still running.
//
// It starts only when the user allows it (the allow-full-restart
// annotation), and only between scaling steps. Its record comes first:
// status.rollout with step FullRestart and every outdated pod pending.
// Then every outdated pod is deleted at once: deleted, not evicted, since
// a disruption budget allows one pod at a time and the user asked for all
// of them. The StatefulSets create the pods again at the update revision
// (Parallel pod management: all together). The record stays until every
// pod is back and the whole health gate passes; a restarted operator
// finds it and deletes any outdated pod still running, which a pod
// recreated at the update revision never is.

// FullRestartGates must hold before a full restart starts: no scaling
// step in flight, and the update revisions known. The cluster's health is
// not asked for: every server is about to stop anyway.
var FullRestartGates = []Predicate{
	{"NotScaling", notScaling},
	{"StatefulSetsObserved", statefulSetsObserved},
}

// policyChanges names an outdated pod whose cluster-channel policy differs
// from its StatefulSet's template ("" when none does).
func (in Input) policyChanges(outdated []corev1.Pod) string {
	for i := range outdated {
		p := &outdated[i]
		if sts := in.statefulSet(owner(p)); sts != nil && render.ClusterTLS(&p.Spec) != render.ClusterTLS(&sts.Spec.Template.Spec) {
			return p.Name
		}
	}
	return ""
}

// fullRestart decides a full restart: start it, delete the outdated pods
// still running, or wait for the cluster to be whole again.
func (in Input) fullRestart(cur *v1alpha1.RolloutStatus, outdated []corev1.Pod) Decision {
	if cur == nil || cur.Step != v1alpha1.RolloutFullRestart {
		return in.startFullRestart(cur, outdated)
	}
	if victims := running(outdated); len(victims) > 0 {
		return Decision{Rollout: cur, Restart: victims, Waiting: "the deletion of every outdated pod"}
	}
	if g := in.firstFailing(in.gates(), Subject{}); g != nil {
		d := in.wait(cur, *g)
		if in.Now.Sub(cur.LastTransitionTime.Time) > in.StuckAfter {
			d.Stuck = fmt.Sprintf("the full restart of %s has not come back healthy: %s",
				cur.LastTransitionTime.UTC().Format(time.RFC3339), g)
		}
		return d
	}
	return Decision{Transition: true, Finished: true}
}

// startFullRestart records the full restart and deletes every outdated
// pod, once allowed and between scaling steps.
func (in Input) startFullRestart(cur *v1alpha1.RolloutStatus, outdated []corev1.Pod) Decision {
	if !in.FullRestartAllowed {
		return in.wait(cur, Gate{Name: "FullRestartAllowed", Saw: fmt.Sprintf(
			"%s runs the other cluster TLS policy: every server must restart together; annotate the cluster %s=true",
			in.policyChanges(outdated), v1alpha1.AnnotationAllowFullRestart)})
	}
	if g := in.firstFailing(FullRestartGates, Subject{}); g != nil {
		return in.wait(cur, *g)
	}
	now := metav1.NewTime(in.Now).Rfc3339Copy()
	r := &v1alpha1.RolloutStatus{StartedAt: now}
	if cur != nil {
		r = cur.DeepCopy()
	}
	r.Pod, r.PodUID, r.Step, r.Gate, r.LastTransitionTime = "", "", v1alpha1.RolloutFullRestart, "", now
	r.Pending = nil
	for _, p := range outdated {
		r.Pending = append(r.Pending, p.Name)
	}
	r.Revisions = in.revisions(r.Revisions, outdated)
	return Decision{Rollout: r, Transition: true, Restart: running(outdated), Started: cur == nil}
}

// running are the pods not terminating yet, each with its UID: a
// deletion must never reach the pod that replaced it.
func running(pods []corev1.Pod) []Eviction {
	var out []Eviction
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			out = append(out, Eviction{Pod: p.Name, UID: string(p.UID)})
		}
	}
	return out
}

package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/rollout"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// RolloutOptions tune the roll's health gate.
type RolloutOptions struct {
	// StuckAfter is how long a restarted pod may fail the gate before
	// RolloutStuck reports it.
	StuckAfter time.Duration
	// MaxLag is the replication lag, in transactions, a restarted
	// server's databases may have for the roll to go on.
	MaxLag int64
}

// rolloutPoll is how soon a cluster with a roll in progress is looked at
// again, on top of the StatefulSets' and the observers' events: pods are
// not watched.
const rolloutPoll = 2 * time.Second

// evictTimeout bounds an eviction request, its client-side retries
// included.
const evictTimeout = 3 * time.Second

// observeRollout reads what a roll is decided from. Pods are read from the
// API server, and only when a roll is recorded or a StatefulSet counts
// outdated pods: a calm cluster reads none.
func (r *Neo4jEnterpriseClusterReconciler) observeRollout(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, o plan.Observed, synced bool) (*rollout.Input, error) {
	if r.Observers != nil {
		// The gate's SafeToShutDown reads dbms.cluster.statusCheck from
		// every primary host, which the observers ask only while a roll
		// needs it (observer.Replication): from the moment pods are to be
		// restarted, before the roll is recorded, to its end.
		r.Observers.NeedStatusCheck(client.ObjectKeyFromObject(c), c.Status.Rollout != nil || rollout.Needed(o.StatefulSets))
	}
	if len(o.StatefulSets) == 0 {
		return nil, nil
	}
	in := &rollout.Input{Cluster: c, StatefulSets: o.StatefulSets, CacheSynced: synced,
		Neo4jObserved: r.Observers != nil, Neo4j: o.Neo4j, Now: time.Now(),
		StuckAfter: r.Rollout.StuckAfter, MaxLag: r.Rollout.MaxLag}
	if c.Status.Rollout == nil && !rollout.Needed(o.StatefulSets) {
		return in, nil
	}
	pods := &corev1.PodList{}
	if err := r.APIReader.List(ctx, pods, client.InNamespace(c.Namespace), client.MatchingLabels{render.LabelCluster: c.Name}); err != nil {
		return nil, fmt.Errorf("listing pods for the roll: %w", err)
	}
	// The StatefulSets too, read after the pods: a revision another
	// writer made is then never newer on a pod than on its StatefulSet,
	// so a pod just replaced is never taken for an outdated one.
	in.StatefulSets = map[neo4jconf.Role]*appsv1.StatefulSet{}
	for role, cached := range o.StatefulSets {
		fresh := &appsv1.StatefulSet{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cached), fresh); err != nil {
			return nil, fmt.Errorf("reading StatefulSet %s for the roll: %w", cached.Name, err)
		}
		in.StatefulSets[role] = fresh
	}
	for _, p := range pods.Items {
		for _, sts := range in.StatefulSets {
			if metav1.IsControlledBy(&p, sts) {
				in.Pods = append(in.Pods, p)
			}
		}
	}
	return in, nil
}

// rolloutStep carries out the roll decision: its record first (an
// optimistic-lock write of status.rollout), then the eviction. It says
// whether status.rollout moved.
func (r *Neo4jEnterpriseClusterReconciler) rolloutStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, d *rollout.Decision) (step.Result, bool) {
	res := step.Result{}
	if d.Rollout != nil || d.Waiting != "" {
		res = step.After(rolloutPoll, "rolling: "+d.Waiting)
	}
	moved := false
	if d.Transition {
		if err := r.writeRollout(ctx, c, d.Rollout); err != nil {
			return recordFailed(err, "status.rollout"), false
		}
		moved = true
		r.announceRoll(c, d)
		// The status is written by the next reconcile, from the new record.
		res = res.Merge(step.After(200*time.Millisecond, "the roll moved"))
	}
	RolloutInProgress.WithLabelValues(c.Namespace, c.Name).Set(map[bool]float64{true: 1}[c.Status.Rollout != nil])
	if len(d.Restart) > 0 {
		return res.Merge(r.restartAll(ctx, c, d.Restart)), moved
	}
	if d.Evict == nil {
		return res, moved
	}
	refused, err := r.evict(ctx, c, d.Evict)
	switch {
	case err != nil:
		// Recorded (a stable reason, not the text) so that it shows and,
		// if it lasts, the roll is reported stuck.
		moved = r.recordGate(ctx, c, "EvictionFailed: "+string(apierrors.ReasonForError(err))) || moved
		return res.Merge(step.Failed(err)), moved
	case refused != "":
		// A budget (ours or another tool's) says not now: wait, not fail.
		if r.recordGate(ctx, c, "EvictionAllowed: "+refused) {
			moved = true
			RolloutSteps.WithLabelValues("Refused").Inc()
			r.event(c, corev1.EventTypeNormal, "EvictionRefused", "Evict", "evicting %s: %s; trying again", d.Evict.Pod, refused)
		}
		return res.Merge(step.After(5*time.Second, "eviction refused")), moved
	}
	return res.Merge(step.After(rolloutPoll, "evicted "+d.Evict.Pod)), moved
}

// restartAll deletes every pod of a full restart at once, each by its
// UID: a pod already replaced is left alone. Deleted, not evicted: the
// user allowed all servers down together, which a budget would refuse.
func (r *Neo4jEnterpriseClusterReconciler) restartAll(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, pods []rollout.Eviction) step.Result {
	var names []string
	for _, e := range pods {
		uid := types.UID(e.UID)
		pod := clusterPod(c, e.Pod)
		err := r.Delete(ctx, pod, client.Preconditions{UID: &uid})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone, or already replaced
		}
		if err != nil {
			return step.Failed(fmt.Errorf("deleting %s for the full restart: %w", e.Pod, err))
		}
		names = append(names, e.Pod)
	}
	if len(names) > 0 {
		RolloutSteps.WithLabelValues("FullRestart").Inc()
		log.FromContext(ctx).Info("deleted pods for a full restart", "pods", names)
		r.event(c, corev1.EventTypeNormal, "FullRestart", "Restart", "deleted %s together: every server starts again with the same cluster TLS policy",
			strings.Join(names, ", "))
	}
	return step.After(rolloutPoll, "full restart")
}

// recordGate writes what the eviction met into status.rollout.gate, once:
// it says whether it wrote.
func (r *Neo4jEnterpriseClusterReconciler) recordGate(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, gate string) bool {
	if c.Status.Rollout == nil || c.Status.Rollout.Gate == gate {
		return false
	}
	next := c.Status.Rollout.DeepCopy()
	next.Gate = gate
	return r.writeRollout(ctx, c, next) == nil
}

// evict asks the API server to evict exactly the recorded pod: the UID
// precondition fails on its replacement. A 429 is a disruption budget's
// refusal, returned as its message.
func (r *Neo4jEnterpriseClusterReconciler) evict(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, e *rollout.Eviction) (string, error) {
	uid := types.UID(e.UID)
	pod := clusterPod(c, e.Pod)
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: e.Pod, Namespace: c.Namespace},
		DeleteOptions: &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}}
	// client-go retries a 429 that carries Retry-After (a budget the
	// disruption controller has not processed yet says 10 s) up to ten
	// times: bounded here, so a refusal never holds a worker for long.
	evictCtx, cancel := context.WithTimeout(ctx, evictTimeout)
	defer cancel()
	err := r.SubResource("eviction").Create(evictCtx, pod, ev)
	switch {
	case apierrors.IsTooManyRequests(err):
		return stableReason(err), nil
	case err != nil && evictCtx.Err() != nil && ctx.Err() == nil:
		return "the API server asked to try again later", nil
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		return "", nil // gone, or already replaced: nothing to evict
	case err != nil:
		return "", fmt.Errorf("evicting %s: %w", e.Pod, err)
	}
	RolloutSteps.WithLabelValues("Evict").Inc()
	log.FromContext(ctx).Info("evicted pod", "pod", e.Pod, "uid", e.UID)
	r.event(c, corev1.EventTypeNormal, "PodEvicted", "Evict", "evicted %s to restart it at its new revision (%s)",
		e.Pod, progress(c.Status.Rollout))
	return "", nil
}

// clusterPod names one of the cluster's pods for a write: the cluster
// label lets the counting client count the write for its cluster.
func clusterPod(c *v1alpha1.Neo4jEnterpriseCluster, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: map[string]string{render.LabelCluster: c.Name}}}
}

// stableReason is the refusal's message without what changes between
// attempts, so that the status is written once per refusal.
func stableReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "The disruption budget"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// writeRollout writes status.rollout under the optimistic lock, as
// scaling does (statusWriter.Record).
func (r *Neo4jEnterpriseClusterReconciler) writeRollout(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, to *v1alpha1.RolloutStatus) error {
	return r.status().Record(ctx, c, "rollout", locked, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Rollout = to })
}

// announceRoll gives a roll's start and end an Event and a count.
func (r *Neo4jEnterpriseClusterReconciler) announceRoll(c *v1alpha1.Neo4jEnterpriseCluster, d *rollout.Decision) {
	switch {
	case d.Started:
		RolloutSteps.WithLabelValues("Start").Inc()
		if d.Rollout.Step == v1alpha1.RolloutFullRestart {
			r.event(c, corev1.EventTypeNormal, "RolloutStarted", "Rollout", "restarting all %d pods together (allowed by %s)",
				len(d.Rollout.Pending), v1alpha1.AnnotationAllowFullRestart)
			return
		}
		r.event(c, corev1.EventTypeNormal, "RolloutStarted", "Rollout", "restarting %d pods one at a time, %s first",
			1+len(d.Rollout.Pending), d.Rollout.Pod)
	case d.Finished:
		RolloutSteps.WithLabelValues("Done").Inc()
		r.event(c, corev1.EventTypeNormal, "RolloutFinished", "Rollout", "every pod runs its new revision")
	}
}

// progress says how far a roll is.
func progress(ro *v1alpha1.RolloutStatus) string {
	if ro == nil {
		return "no roll recorded"
	}
	return fmt.Sprintf("%d done, %d pending", len(ro.Done), len(ro.Pending))
}

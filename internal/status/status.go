// Package status computes a cluster's status from what the operator
// observed. It is pure, so a reconcile that observes nothing new computes
// an equal status and writes nothing.
package status

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/issue"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/rollout"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
	"github.com/graphops-dev/neo4j-operator/internal/tlsreload"
)

// Issue is something that keeps the operator from matching the spec.
type Issue = issue.Issue

// Observed is what a reconcile saw.
type Observed struct {
	// StatefulSets by role; a missing role has no entry.
	StatefulSets map[neo4jconf.Role]*appsv1.StatefulSet
	Issues       []Issue
	Paused       bool
	// Neo4jObserved is true when the operator observes Neo4j: then Ready
	// also needs Neo4j's word, and Neo4j is the last poll (nil before the
	// first).
	Neo4jObserved bool
	Neo4j         *observer.Observation
	// Scale is the scaling and placement decision (nil: none made); its
	// replicas, when there is one, are the servers wanted now.
	Scale *scale.Decision
	// Rollout is the roll decision (nil: none made).
	Rollout *rollout.Decision
	// TLS is the certificates' decision, after the reloads it asked for
	// (nil: none made; the previous status.tls stands).
	TLS *tlsreload.Decision
	// LastBackup is the newest completed Neo4jBackup of the cluster.
	LastBackup *v1alpha1.LastBackup
}

// replicas are the servers of a role wanted now: the scaling decision's
// (a scale-in holds servers until they are drained), else the spec's.
func (o Observed) replicas(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) int32 {
	if o.Scale != nil {
		return o.Scale.Replicas[r]
	}
	return render.Replicas(c, r)
}

// Compute returns the status the cluster should have. Conditions are set on
// a copy of the current ones, so a transition time moves only when a
// condition's status does.
//
// While paused, the operator applies nothing, so observedGeneration stays at
// the last generation it did apply: `kubectl wait` and GitOps health checks
// must not take a paused spec change for an applied one.
func Compute(c *v1alpha1.Neo4jEnterpriseCluster, o Observed) v1alpha1.Neo4jEnterpriseClusterStatus {
	gen := c.Generation
	if o.Paused {
		gen = c.Status.ObservedGeneration
	}
	s := v1alpha1.Neo4jEnterpriseClusterStatus{
		ObservedGeneration: gen,
		Conditions:         append([]metav1.Condition(nil), c.Status.Conditions...),
		Primaries:          role(o.replicas(c, neo4jconf.Primary), o.StatefulSets[neo4jconf.Primary]),
		Secondaries:        role(o.replicas(c, neo4jconf.Secondary), o.StatefulSets[neo4jconf.Secondary]),
		Image:              render.Image(c),
		Endpoints:          endpoints(c),
		// status.scaling is written only by its own transitions, under an
		// optimistic lock (controllers/scale.go): kept as it is here.
		Scaling: c.Status.Scaling.DeepCopy(),
		// status.rollout likewise (controllers/rollout.go).
		Rollout: c.Status.Rollout.DeepCopy(),
		TLS:     c.Status.TLS.DeepCopy(),

		LastSuccessfulBackup: o.LastBackup.DeepCopy(),
		// status.bootstrap likewise (controllers/bootstrap.go).
		Bootstrap: c.Status.Bootstrap.DeepCopy(),
	}
	ready := s.Primaries.ReadyReplicas + s.Secondaries.ReadyReplicas
	desired := s.Primaries.Replicas + s.Secondaries.Replicas
	s.ReadyServers = fmt.Sprintf("%d/%d", ready, desired)

	settled := settledRole(c, o, neo4jconf.Primary) && settledRole(c, o, neo4jconf.Secondary)
	podsReady := settled && ready >= desired
	allReady := podsReady
	set := func(t string, ok bool, reason, msg string) {
		st := metav1.ConditionFalse
		if ok {
			st = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: t, Status: st, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	summary := fmt.Sprintf("%d/%d primaries and %d/%d secondaries ready",
		s.Primaries.ReadyReplicas, s.Primaries.Replicas, s.Secondaries.ReadyReplicas, s.Secondaries.Replicas)
	var neo Neo4jVerdict
	if o.Neo4jObserved {
		neo = Neo4j(c, o.Neo4j)
		if is := neo.Issue(); is != nil {
			o.Issues = append(o.Issues, *is)
		}
		s.Servers, s.Databases = neo.Servers, neo.Databases
		meta.SetStatusCondition(&s.Conditions, neo.condition(v1alpha1.ConditionClusterFormed, neo.Formed, gen))
		meta.SetStatusCondition(&s.Conditions, neo.condition(v1alpha1.ConditionServersHealthy, neo.Healthy, gen))
		placed(&s, o.Scale, gen)
		allReady = podsReady && neo.Ready()
	}

	switch {
	case allReady:
		set(v1alpha1.ConditionReady, true, "AllServersReady", summary+neo.summary())
	case podsReady:
		set(v1alpha1.ConditionReady, false, "Neo4jNotReady", summary+"; "+neo.why())
	default:
		set(v1alpha1.ConditionReady, false, "ServersNotReady", summary)
	}
	switch {
	case o.Paused:
		set(v1alpha1.ConditionProgressing, false, "Paused", "reconciliation is paused by the "+v1alpha1.AnnotationPaused+" annotation")
	case s.Scaling != nil:
		set(v1alpha1.ConditionProgressing, true, "Scaling"+string(s.Scaling.Direction), scalingMessage(s.Scaling, o.Scale))
	case o.Scale != nil && o.Scale.Waiting != "":
		// Nothing started yet, but the spec is not met: GitOps tools and
		// kubectl wait must not take the change for applied.
		set(v1alpha1.ConditionProgressing, true, "ScalingPending", o.Scale.Waiting)
	case s.Rollout != nil:
		set(v1alpha1.ConditionProgressing, true, "RollingOut", rolloutMessage(s.Rollout))
	case o.Rollout != nil && o.Rollout.Waiting != "":
		set(v1alpha1.ConditionProgressing, true, "RolloutPending", "a roll waits for "+o.Rollout.Waiting)
	case podsReady && o.Neo4jObserved && neo.catchingUp():
		set(v1alpha1.ConditionProgressing, true, "Neo4jCatchingUp", neo.why())
	case podsReady:
		set(v1alpha1.ConditionProgressing, false, "Stable", "every server runs the desired revision")
	default:
		set(v1alpha1.ConditionProgressing, true, "RollingOut", summary)
	}
	switch {
	case o.Paused:
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionUnknown,
			Reason: "Paused", Message: "the spec is not applied while paused", ObservedGeneration: gen})
	case len(o.Issues) > 0:
		msgs := make([]string, len(o.Issues))
		for i, is := range o.Issues {
			msgs[i] = is.Message
		}
		set(v1alpha1.ConditionDegraded, true, o.Issues[0].Reason, strings.Join(msgs, "; "))
	default:
		set(v1alpha1.ConditionDegraded, false, "AsExpected", "the operator applied the spec")
	}

	rolloutStuck(&s, o.Rollout, gen)
	tlsStatus(&s, c, o.TLS, gen)
	switch {
	case o.Paused:
		s.Phase = v1alpha1.PhasePaused
	case len(o.Issues) > 0:
		s.Phase = v1alpha1.PhaseDegraded
	case allReady && s.Scaling == nil && (o.Scale == nil || o.Scale.Waiting == ""):
		s.Phase = v1alpha1.PhaseReady
	case len(o.StatefulSets) == 0:
		s.Phase = v1alpha1.PhasePending
	default:
		s.Phase = v1alpha1.PhaseProgressing
	}
	return s
}

// scalingMessage says where a scaling operation stands.
func scalingMessage(sc *v1alpha1.ScalingStatus, d *scale.Decision) string {
	verb := map[v1alpha1.ScalingDirection]string{v1alpha1.ScaleIn: "removing", v1alpha1.ScaleOut: "adding"}[sc.Direction]
	msg := fmt.Sprintf("%s %s: %s; the %s StatefulSet heads to %d", verb, strings.Join(sc.Servers, ", "), sc.Step, sc.Role, sc.Replicas)
	if d != nil && d.Waiting != "" {
		msg += "; " + d.Waiting
	}
	return msg
}

// placed sets DatabasesPlaced and marks the declared databases, from the
// decision (none: the previous verdict stands).
func placed(s *v1alpha1.Neo4jEnterpriseClusterStatus, d *scale.Decision, gen int64) {
	if d == nil || (d.Placement.Reason == "NotObserved" && meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionDatabasesPlaced) != nil) {
		return // no word from Neo4j: the previous verdict stands
	}
	st := metav1.ConditionFalse
	if d.Placement.Placed {
		st = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1alpha1.ConditionDatabasesPlaced, Status: st,
		Reason: d.Placement.Reason, Message: d.Placement.Message, ObservedGeneration: gen})
	for i := range s.Databases {
		s.Databases[i].Declared = d.Placement.Declared[s.Databases[i].Name]
	}
}

// rolloutMessage says where a roll stands.
func rolloutMessage(r *v1alpha1.RolloutStatus) string {
	msg := fmt.Sprintf("restarting %s (%d done, %d pending)", r.Pod, len(r.Done), len(r.Pending))
	if r.Gate != "" {
		msg += "; waiting for " + r.Gate
	}
	return msg
}

// rolloutStuck sets RolloutStuck while a roll is halted, and clears it
// once the roll moves on. A cluster never stuck has no such condition.
func rolloutStuck(s *v1alpha1.Neo4jEnterpriseClusterStatus, d *rollout.Decision, gen int64) {
	stuck := d != nil && d.Stuck != ""
	had := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionRolloutStuck) != nil
	switch {
	case stuck:
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1alpha1.ConditionRolloutStuck, Status: metav1.ConditionTrue,
			Reason: "HealthGateFailed", Message: d.Stuck, ObservedGeneration: gen})
	case had && d != nil:
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1alpha1.ConditionRolloutStuck, Status: metav1.ConditionFalse,
			Reason: "NotStuck", Message: "the last roll was not halted", ObservedGeneration: gen})
	}
}

func role(replicas int32, sts *appsv1.StatefulSet) v1alpha1.RoleStatus {
	rs := v1alpha1.RoleStatus{Replicas: replicas}
	if sts != nil {
		rs.ReadyReplicas = sts.Status.ReadyReplicas
		rs.UpdatedReplicas = sts.Status.UpdatedReplicas
		rs.CurrentRevision = sts.Status.CurrentRevision
		rs.UpdateRevision = sts.Status.UpdateRevision
		// Under OnDelete the StatefulSet controller never advances its
		// currentRevision; once every pod runs the update revision, that
		// is the current one.
		if sts.Status.UpdateRevision != "" && sts.Status.UpdatedReplicas >= sts.Status.Replicas {
			rs.CurrentRevision = sts.Status.UpdateRevision
		}
	}
	return rs
}

// settledRole is true when the StatefulSet controller has seen the latest
// spec and every pod runs the update revision (counted by the StatefulSet
// controller: under OnDelete its currentRevision never moves).
func settledRole(c *v1alpha1.Neo4jEnterpriseCluster, o Observed, r neo4jconf.Role) bool {
	want := o.replicas(c, r)
	sts := o.StatefulSets[r]
	if sts == nil {
		return want == 0
	}
	st := sts.Status
	// At least: a server being removed is still counted until its pod is
	// gone, and must not make a planned scale-in look like a failure.
	return st.ObservedGeneration >= sts.Generation &&
		st.UpdatedReplicas >= want && st.ReadyReplicas >= want && st.UpdatedReplicas >= st.Replicas
}

func endpoints(c *v1alpha1.Neo4jEnterpriseCluster) v1alpha1.Endpoints {
	host := fmt.Sprintf("%s.%s.svc.%s", render.ClientServiceName(c), c.Namespace, c.WithDefaults().Spec.ClusterDomain)
	// neo4j+s: the driver's scheme for routing over TLS with a trusted
	// certificate.
	bolt := "neo4j"
	if c.Spec.TLS.Bolt != nil {
		bolt = "neo4j+s"
	}
	e := v1alpha1.Endpoints{Bolt: fmt.Sprintf("%s://%s:%d", bolt, host, neo4jconf.PortBolt)}
	if neo4jconf.HTTPEnabled(c) {
		e.HTTP = fmt.Sprintf("http://%s:%d", host, neo4jconf.PortHTTP)
	}
	if c.Spec.TLS.HTTPS != nil {
		e.HTTPS = fmt.Sprintf("https://%s:%d", host, neo4jconf.PortHTTPS)
	}
	return e
}

// Transition is a condition that changed status between two statuses.
type Transition struct {
	Type      string
	From      metav1.ConditionStatus // "" when the condition is new
	Condition metav1.Condition
}

// Transitions lists the conditions whose status changed: the only moments
// the operator emits an Event.
func Transitions(old, new []metav1.Condition) []Transition {
	var out []Transition
	for _, n := range new {
		o := meta.FindStatusCondition(old, n.Type)
		if o == nil && n.Status == metav1.ConditionFalse {
			continue // a first False is no news
		}
		if o == nil {
			out = append(out, Transition{Type: n.Type, Condition: n})
		} else if o.Status != n.Status {
			out = append(out, Transition{Type: n.Type, From: o.Status, Condition: n})
		}
	}
	return out
}

// tlsStatus reports the certificates and TLSReady, from the decision (none:
// the previous report stands). Without spec.tls neither is reported.
func tlsStatus(s *v1alpha1.Neo4jEnterpriseClusterStatus, c *v1alpha1.Neo4jEnterpriseCluster, d *tlsreload.Decision, gen int64) {
	if len(c.TLSChannels()) == 0 {
		s.TLS = nil
		meta.RemoveStatusCondition(&s.Conditions, v1alpha1.ConditionTLSReady)
		return
	}
	if d == nil {
		return
	}
	s.TLS = d.Status
	cond := d.Condition
	cond.ObservedGeneration = gen
	meta.SetStatusCondition(&s.Conditions, cond)
}

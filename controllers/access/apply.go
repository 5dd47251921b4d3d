package access

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	plan "github.com/graphops-dev/neo4j-operator/internal/access"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// applied is a plan and the objects it is for, with what sending its
// commands did.
type applied struct {
	conn  Conn
	plan  plan.Plan
	users map[plan.Ref]*v1alpha1.Neo4jUser
	roles map[plan.Ref]*v1alpha1.Neo4jRole
	// refused says why an object's commands stopped (Neo4j's answer).
	refused map[plan.Ref]string
}

// finish sends each object's commands in the plan's order, then writes
// each object's status and releases the deleted ones.
func (r *Reconciler) finish(ctx context.Context, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole, a *applied) error {
	a.refused = map[plan.Ref]string{}
	for _, ref := range a.plan.Order {
		r.send(ctx, a, ref)
	}
	_ = a.conn.Close(ctx)
	var errs []error
	for ref, u := range a.users {
		errs = append(errs, r.settle(ctx, u, a.plan.Users[ref], a.refused[ref]))
	}
	for ref, ro := range a.roles {
		errs = append(errs, r.settle(ctx, ro, a.plan.Roles[ref], a.refused[ref]))
	}
	return errors.Join(errs...)
}

// send runs one object's commands; the first refusal stops them.
func (r *Reconciler) send(ctx context.Context, a *applied, ref plan.Ref) {
	o, isUser := a.plan.Users[ref]
	if !isUser {
		o = a.plan.Roles[ref]
	}
	for _, cmd := range o.Commands {
		if err := a.conn.Administer(ctx, cmd.Text, cmd.Params); err != nil {
			a.refused[ref] = fmt.Sprintf("%q: %s", cmd.Text, neo4j.Summary(err))
			return
		}
		log.FromContext(ctx).Info("sent", "object", ref.Kind+"/"+ref.Name, "command", cmd.Text) // the text holds no password
	}
	if len(o.Commands) > 0 {
		r.Recorder.Eventf(object(a, ref), nil, corev1.EventTypeNormal, "Applied", "Apply", "%d commands sent to Neo4j", len(o.Commands))
	}
}

func object(a *applied, ref plan.Ref) client.Object {
	if u, ok := a.users[ref]; ok {
		return u
	}
	return a.roles[ref]
}

// settle writes an object's status from its outcome, and releases a
// deleted object once Neo4j no longer needs it.
func (r *Reconciler) settle(ctx context.Context, o client.Object, out plan.Outcome, refused string) error {
	if o.GetDeletionTimestamp() != nil {
		if refused != "" || !controllerutil.ContainsFinalizer(o, Finalizer) {
			return nil
		}
		controllerutil.RemoveFinalizer(o, Finalizer)
		return r.Update(ctx, o)
	}
	return r.writeStatus(ctx, o, func(st *v1alpha1.AccessStatus) { conditions(st, o.GetGeneration(), out, refused) },
		func(next client.Object) { fields(next, out, refused) })
}

// conditions sets Ready, Synced and Degraded from an outcome.
func conditions(st *v1alpha1.AccessStatus, gen int64, out plan.Outcome, refused string) {
	reason, msg := out.Reason, out.Message
	if refused != "" {
		reason, msg = "Refused", "Neo4j refused "+refused
	}
	synced := reason == ""
	ready := (out.Exists || len(out.Commands) > 0) && refused == "" && reason != plan.ReasonConflict && reason != plan.ReasonUnknownRole
	degraded := !synced && reason != plan.ReasonDrift
	if synced {
		reason, msg = "Synced", "Neo4j matches the spec"
	}
	st.ObservedGeneration = gen
	set(st, v1alpha1.ConditionReady, ready, map[bool]string{true: "Exists", false: reason}[ready], msg, gen)
	set(st, v1alpha1.ConditionSynced, synced, reason, msg, gen)
	set(st, v1alpha1.ConditionDegraded, degraded, map[bool]string{true: reason, false: "AsExpected"}[degraded], msg, gen)
}

// fields sets what is particular to each kind.
func fields(o client.Object, out plan.Outcome, refused string) {
	switch x := o.(type) {
	case *v1alpha1.Neo4jUser:
		if out.PasswordVersion != "" && refused == "" {
			x.Status.ObservedPasswordVersion = out.PasswordVersion
		}
	case *v1alpha1.Neo4jRole:
		if refused == "" && out.Reason != plan.ReasonConflict {
			x.Status.Privileges, x.Status.Drift = out.Privileges, out.Drift
		}
	}
}

// waiting is an outcome that sends nothing and says why.
func waiting(reason, msg string) func(*v1alpha1.AccessStatus, int64) {
	return func(st *v1alpha1.AccessStatus, gen int64) {
		st.ObservedGeneration = gen
		set(st, v1alpha1.ConditionSynced, false, reason, msg, gen)
		set(st, v1alpha1.ConditionDegraded, false, "AsExpected", msg, gen)
	}
}

// report writes the same waiting reason to every object.
func (r *Reconciler) report(ctx context.Context, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole, f func(*v1alpha1.AccessStatus, int64)) error {
	var errs []error
	for i := range users {
		u := &users[i]
		errs = append(errs, r.writeStatus(ctx, u, func(st *v1alpha1.AccessStatus) { f(st, u.Generation) }, nil))
	}
	for i := range roles {
		ro := &roles[i]
		errs = append(errs, r.writeStatus(ctx, ro, func(st *v1alpha1.AccessStatus) { f(st, ro.Generation) }, nil))
	}
	return errors.Join(errs...)
}

// writeStatus writes an object's status when it changed, with a Warning
// Event when a condition turned bad. Only the status subresource.
func (r *Reconciler) writeStatus(ctx context.Context, o client.Object, edit func(*v1alpha1.AccessStatus), more func(client.Object)) error {
	next := o.DeepCopyObject().(client.Object)
	st := accessStatus(next)
	before := *st.DeepCopy()
	edit(st)
	if more != nil {
		more(next)
	}
	if equality.Semantic.DeepEqual(o, next) {
		return nil
	}
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionSynced); c != nil && c.Status == metav1.ConditionFalse && !sameCondition(before, *c) && badReason(c.Reason) {
		r.Recorder.Eventf(o, nil, corev1.EventTypeWarning, c.Reason, "Reconcile", "%s", c.Message)
	}
	return client.IgnoreNotFound(r.Status().Update(ctx, next)) // a deleted object has no status to write
}

func accessStatus(o client.Object) *v1alpha1.AccessStatus {
	switch x := o.(type) {
	case *v1alpha1.Neo4jUser:
		return &x.Status.AccessStatus
	case *v1alpha1.Neo4jRole:
		return &x.Status.AccessStatus
	}
	panic(fmt.Sprintf("access: not a Neo4jUser or Neo4jRole: %T", o))
}

func sameCondition(st v1alpha1.AccessStatus, c metav1.Condition) bool {
	old := meta.FindStatusCondition(st.Conditions, c.Type)
	return old != nil && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message
}

// badReason: a reason the user must act on, worth a Warning Event.
func badReason(reason string) bool {
	return slices.Contains([]string{plan.ReasonConflict, plan.ReasonUnknownRole, plan.ReasonSecretProblem, plan.ReasonDrift, "Refused", "ClusterNotFound"}, reason)
}

func set(st *v1alpha1.AccessStatus, t string, ok bool, reason, msg string, gen int64) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen})
}

package controllers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/status"
	"github.com/graphops-dev/neo4j-operator/internal/step"
	"github.com/graphops-dev/neo4j-operator/internal/tlsreload"
)

// act carries out a plan, running its steps in order (plan.Steps): the
// auth Secret, the scaling step, every desired object through the one
// write path and the pruning, the roll, the restore, the TLS reload, and
// the status, which is written whatever the others did, so failures show.
func (r *Neo4jEnterpriseClusterReconciler) act(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan) step.Result {
	pr := &stepsDone{}
	if p.WaitingForSecret && !r.WatchSecrets {
		pr.res = step.After(recheck, "auth Secret not watched")
	}
	for _, s := range p.Steps() {
		if pr.skips(s) {
			continue
		}
		r.run(ctx, c, p, s, pr)
		if pr.halt {
			break
		}
	}
	return pr.res
}

// stepsDone is what the steps so far did, which the later ones heed.
type stepsDone struct {
	res step.Result
	// issues are what the steps met that the user must know of (an object
	// the API refused, one in the way); the plan's own come first.
	issues []status.Issue
	// tls is the certificates' decision as the TLS step left it (nil: the
	// step did not run or could not record it).
	tls *tlsreload.Decision
	// moved: a status record moved (status.scaling, status.rollout,
	// status.bootstrap); the other transitions and the report wait for the
	// next reconcile, which decides from the new record.
	moved bool
	// wroteSTS: a StatefulSet was written; the roll and the restore wait
	// for the next reconcile, which sees the write (expectations).
	wroteSTS bool
	// halt: nothing more, not even the report (a scaling transition the
	// rendered replicas assume could not be written).
	halt bool
}

// skips says whether a step waits for another reconcile: after a
// failure every step but the report does; after a record moved, the
// other transitions and the TLS reload; after a StatefulSet write, the
// transitions.
func (pr *stepsDone) skips(s plan.Step) bool {
	switch {
	case s == plan.StepReport:
		return false
	case pr.res.Err != nil:
		return true
	case plan.Transitions[s] || s == plan.StepTLS || s == plan.StepAdminPassword:
		return pr.moved || (pr.wroteSTS && plan.Transitions[s])
	}
	return false
}

// run runs one step and records what it did.
func (r *Neo4jEnterpriseClusterReconciler) run(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, s plan.Step, pr *stepsDone) {
	var res step.Result
	switch s {
	case plan.StepAuthSecret:
		res = r.generateAuthSecret(ctx, c)
	case plan.StepScale:
		var proceed bool
		res, proceed = r.scaleStep(ctx, c, p)
		pr.halt, pr.moved = !proceed, proceed && p.Scale.Transition
	case plan.StepApply:
		var issues []status.Issue
		res, pr.wroteSTS, issues = r.applyAll(ctx, c, p.Apply)
		pr.issues = append(pr.issues, issues...)
		if res.Err == nil {
			res = res.Merge(r.prune(ctx, c, p.Prune))
		}
	case plan.StepRoll:
		res, pr.moved = r.rolloutStep(ctx, c, p.Rollout)
	case plan.StepBootstrap:
		res, pr.moved = r.bootstrapStep(ctx, c, p)
	case plan.StepTLS:
		res, pr.tls = r.tlsStep(ctx, c, p.TLS)
	case plan.StepAdminPassword:
		pr.issues = append(pr.issues, r.adminPasswordStep(ctx, c, p)...)
	case plan.StepReport:
		res = r.report(ctx, c, p, pr)
	}
	pr.res = pr.res.Merge(res)
}

// report observes the StatefulSets after the writes, tells the observers
// what to poll, and writes the status, unless a record just moved: the
// next reconcile reports from it.
func (r *Neo4jEnterpriseClusterReconciler) report(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, pr *stepsDone) step.Result {
	sts, err := r.observeStatefulSets(ctx, c)
	if err != nil {
		return step.Failed(err)
	}
	if r.Observers != nil {
		r.ensurePolling(c, p, sts)
	}
	if pr.moved {
		return step.Result{}
	}
	return r.status().Report(ctx, c, r.observed(p, pr, sts))
}

// adminPasswordStep makes Neo4j's admin password the auth Secret's when
// the Secret changed (observer.RotatePassword): no pod restarts. A
// failure is an issue until the Secret changes again; it is not retried.
func (r *Neo4jEnterpriseClusterReconciler) adminPasswordStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan) []status.Issue {
	rot := r.Observers.RotatePassword(ctx, r.target(p.Rendered, false), neo4j.SystemLeader(p.Neo4j.Databases))
	if rot.Rotated {
		log.FromContext(ctx).Info("rotated the admin password to the auth Secret's")
		r.event(c, corev1.EventTypeNormal, "AdminPasswordRotated", "Rotate", "Neo4j's admin password is now the auth Secret's; no server restarted")
	}
	if rot.Problem == "" {
		return nil
	}
	return []status.Issue{{Reason: "AdminPasswordNotRotated", Message: rot.Problem}}
}

// observed is what the status is computed from, built in this one place:
// the plan's view, what the steps met, and the StatefulSets as they are
// after the writes.
func (r *Neo4jEnterpriseClusterReconciler) observed(p plan.Plan, pr *stepsDone, sts map[neo4jconf.Role]*appsv1.StatefulSet) status.Observed {
	o := status.Observed{StatefulSets: sts, Paused: p.Paused, LastBackup: p.LastBackup, Rollout: p.Rollout, TLS: pr.tls,
		Issues: append(slices.Clone(p.Issues), pr.issues...)}
	if r.Observers != nil {
		o.Neo4jObserved, o.Neo4j, o.Scale = true, p.Neo4j, p.Scale
	}
	return o
}

// ensurePolling tells the observers what to poll for this cluster: busy
// while the pods are not all ready or an operation is under way.
func (r *Neo4jEnterpriseClusterReconciler) ensurePolling(c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, sets map[neo4jconf.Role]*appsv1.StatefulSet) {
	if p.Paused || len(p.Apply) == 0 { // nothing rendered: nothing to poll yet
		return
	}
	busy := c.Status.Scaling != nil || c.Status.Rollout != nil || (p.Scale != nil && p.Scale.Waiting != "")
	for _, role := range render.Roles(p.Rendered.WithDefaults()) {
		s := sets[role]
		busy = busy || s == nil || s.Status.ReadyReplicas != render.Replicas(p.Rendered, role)
	}
	t := r.target(p.Rendered, busy)
	t.SecretVersion = p.AuthVersion
	if t.TLS != nil && p.Rollout != nil {
		// Pods of an older revision may not speak TLS yet (Bolt TLS just
		// turned on).
		t.PlaintextFallback = render.BoltAddressesOf(p.Rendered, p.Rollout.Outdated)
	}
	r.Observers.Ensure(t)
}

// target is what the observers poll for a cluster, as rendered: a server
// being removed is polled until its pod is gone.
func (r *Neo4jEnterpriseClusterReconciler) target(c *v1alpha1.Neo4jEnterpriseCluster, busy bool) observer.Target {
	v, _ := neo4jconf.ParseTag(c.WithDefaults().Spec.Image.Tag)
	t := observer.Target{Cluster: client.ObjectKeyFromObject(c), Addresses: render.BoltAddresses(c),
		Secret: client.ObjectKey{Namespace: c.Namespace, Name: c.AuthSecretName()},
		Key:    c.WithDefaults().Spec.Auth.SecretKey, CalVer: v.CalVer(), Busy: busy}
	tlsTarget(c, &t)
	return t
}

// applyAll applies every object. One the API refuses (a webhook, a quota)
// does not stop the others, nor hide from the status: it returns the
// issues met. It says whether it wrote a StatefulSet.
func (r *Neo4jEnterpriseClusterReconciler) applyAll(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, objs []client.Object) (step.Result, bool, []status.Issue) {
	a := r.applier()
	res := step.Result{}
	wroteSTS := false
	var issues []status.Issue
	for _, obj := range objs {
		out, err := a.Apply(ctx, c, obj)
		if err != nil {
			issues = append(issues, status.Issue{Reason: "ApplyFailed", Message: err.Error()})
			res = res.Merge(step.Failed(err))
			continue
		}
		for _, note := range out.Notes {
			issues = append(issues, status.Issue{Reason: "ImmutableFieldChanged", Message: note})
		}
		switch out.Outcome {
		case apply.ReplacePending:
			res = res.Merge(step.After(pendingRecheck, "a Service replacement left for the next reconcile"))
		case apply.NotOwned:
			// Deleting the squatter sends this cluster no event (it is
			// not ours, and likely not in the cache): look again later.
			res = res.Merge(step.After(recheck, "an object in the way"))
			issues = append(issues, status.Issue{Reason: "ObjectNotOwned", Message: fmt.Sprintf(
				"%s %s exists and is not controlled by this cluster; it was left alone",
				r.kindOf(obj), client.ObjectKeyFromObject(obj))})
		case apply.Created, apply.Updated, apply.Replaced:
			log.FromContext(ctx).Info("wrote object", "outcome", out.Outcome, "object", r.objectKey(obj), "conflicts", out.Conflicts)
			if _, isSTS := obj.(*appsv1.StatefulSet); isSTS {
				// Only StatefulSets: the scaling steps wait for them, and
				// only they are looked up when the expectations are checked.
				r.Expectations.Expect(client.ObjectKeyFromObject(c), r.objectKey(obj), out.Generation)
				wroteSTS = true
			}
		}
	}
	return res, wroteSTS, issues
}

// prune deletes owned objects no longer desired (the internals Service of
// a removed server, the secondary StatefulSet at zero secondaries). It
// never deletes a PersistentVolumeClaim.
func (r *Neo4jEnterpriseClusterReconciler) prune(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, objs []client.Object) step.Result {
	var errs error
	res := step.Result{}
	mounted, err := r.mountedConfigMaps(ctx, c, objs)
	if err != nil {
		return step.Failed(err)
	}
	for _, obj := range objs {
		if _, isCM := obj.(*corev1.ConfigMap); isCM && mounted[obj.GetName()] {
			// A pod of an older revision still reads it: a restart of
			// that pod must find its own configuration.
			res = res.Merge(step.After(recheck, "a ConfigMap of an older revision is still mounted"))
			continue
		}
		// A UID precondition deletes exactly the object that was looked
		// at; not its resourceVersion, which a StatefulSet's status moves
		// all the time.
		uid := obj.GetUID()
		err := r.Delete(ctx, obj, client.Preconditions{UID: &uid})
		if client.IgnoreNotFound(err) != nil {
			errs = errors.Join(errs, fmt.Errorf("deleting %s: %w", r.objectKey(obj), err))
			continue
		}
		r.Expectations.Deleted(client.ObjectKeyFromObject(c), r.objectKey(obj))
		log.FromContext(ctx).Info("deleted object no longer desired", "object", r.objectKey(obj))
	}
	return res.Merge(step.Result{Err: errs})
}

// mountedConfigMaps are the ConfigMaps the cluster's pods mount, read
// from the API server (pods are not cached), and only when a ConfigMap is
// up for pruning: a calm cluster reads no pods.
func (r *Neo4jEnterpriseClusterReconciler) mountedConfigMaps(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, objs []client.Object) (map[string]bool, error) {
	needed := false
	for _, obj := range objs {
		_, isCM := obj.(*corev1.ConfigMap)
		needed = needed || isCM
	}
	if !needed {
		return nil, nil
	}
	pods := &corev1.PodList{}
	if err := r.APIReader.List(ctx, pods, client.InNamespace(c.Namespace), client.MatchingLabels{render.LabelCluster: c.Name}); err != nil {
		return nil, fmt.Errorf("listing pods for the ConfigMaps they mount: %w", err)
	}
	out := map[string]bool{}
	for _, p := range pods.Items {
		for _, v := range p.Spec.Volumes {
			if v.ConfigMap != nil {
				out[v.ConfigMap.Name] = true
			}
		}
	}
	return out, nil
}

// generateAuthSecret creates "<cluster>-auth" once, with a random password.
// It is never rewritten: Neo4j reads it only when a server first
// initialises its store. It carries no owner reference, so it outlives the
// cluster: the data on the retained volumes is protected by this very
// password, and a cluster recreated under the same name finds both.
func (r *Neo4jEnterpriseClusterReconciler) generateAuthSecret(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) step.Result {
	key := c.WithDefaults().Spec.Auth.SecretKey
	password := rand.Text() // 26 base32 characters, 130 bits
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: c.AuthSecretName(), Namespace: c.Namespace, Labels: render.ClusterLabels(c)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{key: []byte("neo4j/" + password)},
	}
	err := r.Create(ctx, secret)
	if apierrors.IsAlreadyExists(err) {
		return step.Result{} // another reconcile made it; nothing generated here
	}
	if err != nil {
		return step.Failed(fmt.Errorf("creating auth Secret %s/%s: %w", c.Namespace, secret.Name, err))
	}
	r.event(c, corev1.EventTypeNormal, "AuthSecretGenerated", "GenerateSecret",
		"generated auth Secret %s with a random password", secret.Name)
	return step.Result{}
}

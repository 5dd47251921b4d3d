// Package naive is the control group: a FAKE of the seed's operator, the
// reconciler this project exists to replace, used only by the e2e seed
// replay and the scale benchmark to measure the difference. It does what
// that operator did: controllerutil.CreateOrUpdate with no conflict
// handling, the pod template and labels written whole from a template that
// leaves defaulting to the API server, a config hash computed in map
// order, every owned-object event a reconcile, and a periodic requeue. It
// reuses this operator's renderer for the objects' shape, so the
// difference measured is the write path, not the content. Never run it
// against a cluster you care about.
package naive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Manager is the field manager (and user agent) it writes as, so
// managedFields and the doctor name it.
const Manager = "naive-operator"

// Reconciler is the seed's reconcile loop.
type Reconciler struct {
	Mgr       ctrl.Manager
	Conflicts atomic.Int64
	Errors    atomic.Int64
}

// Setup registers it with mgr: every cluster, and every event of a
// StatefulSet it owns.
func Setup(mgr ctrl.Manager, concurrent int) (*Reconciler, error) {
	r := &Reconciler{Mgr: mgr}
	return r, ctrl.NewControllerManagedBy(mgr).Named("naive").
		For(&v1alpha1.Neo4jEnterpriseCluster{}).
		Owns(&appsv1.StatefulSet{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: concurrent}).
		Complete(r)
}

func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	c := r.Mgr.GetClient()
	cl := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := c.Get(ctx, req.NamespacedName, cl); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	objs, err := render.Render(cl)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Everything but the StatefulSets is created once and left alone: the
	// seed's churn was in its StatefulSets.
	for _, o := range objs.All() {
		if _, isSts := o.(*appsv1.StatefulSet); isSts {
			continue
		}
		obj := o.DeepCopyObject().(client.Object)
		if err := controllerutil.SetControllerReference(cl, obj, r.Mgr.GetScheme()); err != nil {
			return ctrl.Result{}, err
		}
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, err
		}
	}
	for _, desired := range objs.StatefulSets {
		hash, err := ConfigHash(cl, desired)
		if err != nil {
			return ctrl.Result{}, err
		}
		live := &appsv1.StatefulSet{}
		live.Name, live.Namespace = desired.Name, desired.Namespace
		_, err = controllerutil.CreateOrUpdate(ctx, c, live, func() error {
			if live.CreationTimestamp.IsZero() {
				live.Spec = desired.Spec
				// The seed's operator left the StatefulSet controller's
				// default, RollingUpdate: each new revision deletes pods.
				live.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
			}
			live.Labels = desired.Labels // whole: another writer's labels go
			live.Spec.Replicas = desired.Spec.Replicas
			live.Spec.Template = Template(desired) // whole, without defaults
			live.Spec.Template.Annotations[render.AnnotationConfigHash] = hash
			return controllerutil.SetControllerReference(cl, live, r.Mgr.GetScheme())
		})
		if apierrors.IsConflict(err) {
			r.Conflicts.Add(1)
		}
		if err != nil {
			r.Errors.Add(1)
			return ctrl.Result{}, err // no retry: the next event or requeue will try again
		}
	}
	return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
}

// Template is the pod template as hand-written operators write it: the
// fields the API server defaults are left out, so every comparison with
// the live object finds a difference.
func Template(s *appsv1.StatefulSet) (t corev1.PodTemplateSpec) {
	t = *s.Spec.Template.DeepCopy()
	t.Spec.SchedulerName, t.Spec.DNSPolicy, t.Spec.RestartPolicy, t.Spec.DeprecatedServiceAccount = "", "", "", ""
	for i := range t.Spec.Containers {
		ct := &t.Spec.Containers[i]
		ct.TerminationMessagePath, ct.TerminationMessagePolicy, ct.ImagePullPolicy = "", "", ""
		for _, p := range []*corev1.Probe{ct.StartupProbe, ct.ReadinessProbe, ct.LivenessProbe} {
			if p != nil {
				p.SuccessThreshold = 0
			}
		}
	}
	return t
}

// ConfigHash hashes neo4j.conf the way hand-written operators often do: by
// ranging over a Go map. Go randomises map order, so the "hash" changes
// from one reconcile to the next although the settings do not; each change
// is a new pod template, a new revision, and a rolling update that starts,
// as StatefulSets do, with the highest ordinal: pod 2.
func ConfigHash(cl *v1alpha1.Neo4jEnterpriseCluster, s *appsv1.StatefulSet) (string, error) {
	role := neo4jconf.Role(s.Labels[render.LabelRole])
	conf, err := neo4jconf.Build(neo4jconf.Input{Cluster: cl.WithDefaults(), Role: role, DiscoverySelector: render.DiscoverySelector(cl)})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for k, v := range conf.Conf { // unsorted: the bug
		fmt.Fprintf(h, "%s=%s\n", k, v)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

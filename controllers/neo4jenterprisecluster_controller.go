// Package controllers holds the reconcile story of a Neo4jEnterpriseCluster.
// Each phase is a small function in its own file; the logic they call
// (rendering, writing, status) lives in internal/ packages.
package controllers

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/expectations"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
)

// The operator's permissions: exactly what observe and act do, no
// wildcards. It never deletes PVCs (it never touches them at all) and never
// updates or deletes Secrets. It reads Secrets by name only: it cannot list
// the cluster's Secrets. Listing and watching Secrets (metadata only) is a
// namespaced Role, bound where the operator watches clusters when it runs
// with --watch-namespaces (OLM binds it in each target namespace).
// It deletes pods only for a full restart the user allowed
// (AnnotationAllowFullRestart); every other restart is an eviction.
// It patches a cluster only to annotate it before restoring neo4j from a
// backup (AnnotationBootstrapped), so that the restore never runs twice.
//
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jenterpriseclusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jenterpriseclusters/status,verbs=get;update
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jenterpriseclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps;serviceaccounts,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors;podmonitors,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;delete
// +kubebuilder:rbac:groups="",resources=pods/eviction,verbs=create
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Neo4jEnterpriseClusterReconciler makes a cluster's objects match its spec
// and reports what it sees in its status.
type Neo4jEnterpriseClusterReconciler struct {
	// Client reads through the informer cache and writes.
	client.Client
	// APIReader reads the API server directly: Secrets (never cached with
	// their data) and fresh copies after a conflict.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	// MaxConcurrentReconciles is how many clusters are reconciled at once.
	MaxConcurrentReconciles int
	// Observers poll Neo4j over Bolt; nil turns the Neo4j side off (then
	// Ready means Kubernetes Ready only, and a scale-in shrinks the
	// StatefulSet without draining servers first).
	Observers *observer.Observers
	// Expectations are the StatefulSet writes the cache has not shown
	// yet; destructive scaling steps wait for them.
	Expectations *expectations.Generations
	// Written are the status records (scaling, roll) the operator wrote
	// and the cache may not show yet: a reconcile waits for them.
	Written *expectations.Records
	// StuckAfter is how long a server may take to deallocate before a
	// condition reports it stuck.
	StuckAfter time.Duration
	// Rollout tunes the health gate of rolls.
	Rollout RolloutOptions
	// WatchSecrets watches Secrets' metadata, so a missing auth Secret is
	// noticed the moment it appears. It needs list/watch on Secrets, which
	// the operator has only in the namespaces it is confined to; without
	// it, a cluster waiting for its Secret is rechecked with backoff.
	WatchSecrets bool
	// Kinds are the owned kinds this API server serves (apply.Installed);
	// nil means the required ones only, without cert-manager.
	Kinds []apply.Kind
	// TLSReloadDelay is how long after a certificate changed in its
	// Secret the servers are told to reload it: the kubelet updates
	// mounted Secrets on its own schedule (about a minute).
	TLSReloadDelay time.Duration
}

// kinds are the owned kinds in use.
func (r *Neo4jEnterpriseClusterReconciler) kinds() []apply.Kind {
	if r.Kinds == nil {
		return apply.Required()
	}
	return r.Kinds
}

// recheck is how soon a cluster is looked at again when the fix of its
// problem sends the operator no event: an auth Secret created while Secrets
// are not watched, or a foreign object in the way removed.
const recheck = 30 * time.Second

// pendingRecheck is how soon a cluster with writes left for later (a
// Service replacement) is looked at again.
const pendingRecheck = 2 * time.Second

func (r *Neo4jEnterpriseClusterReconciler) applier() *apply.Applier {
	// One replacement per reconcile: a server's peers lose its internals
	// Service for a moment; never all of them at once.
	return &apply.Applier{Client: r.Client, APIReader: r.APIReader, Scheme: r.Scheme, MaxReplacements: 1}
}

// Reconcile observes, plans and acts. Observing writes nothing; the plan is
// a pure function of what was observed (internal/plan); acting writes only
// what the plan says, through the one write path, and the status last,
// only when it changed. A problem the user must fix is an issue in the
// plan (Degraded condition and Event) and stops what would build on it.
func (r *Neo4jEnterpriseClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cluster := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := r.Get(ctx, req.NamespacedName, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ClusterReconciles.WithLabelValues(req.Namespace, req.Name).Inc()
	if !cluster.DeletionTimestamp.IsZero() {
		// Owner references let the garbage collector remove what the
		// operator created; PVCs are not among them and stay.
		return ctrl.Result{}, nil
	}
	if !r.Written.Seen(req.NamespacedName, records(cluster), time.Now()) {
		// The cache lags the operator's last transition: deciding from it
		// would only earn a conflict.
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
	}
	observed, err := r.observe(ctx, cluster)
	if err != nil {
		return ctrl.Result{}, err
	}
	res := r.act(ctx, cluster, plan.Compute(observed, r.kindOf))
	res.Report(log.FromContext(ctx))
	return res.Outcome()
}

// transitionRecords are what the scaling, roll and certificate
// transitions write.
type transitionRecords struct {
	Scaling   *v1alpha1.ScalingStatus
	Rollout   *v1alpha1.RolloutStatus
	TLS       *v1alpha1.TLSStatus
	Bootstrap *v1alpha1.BootstrapStatus
}

func records(c *v1alpha1.Neo4jEnterpriseCluster) transitionRecords {
	return transitionRecords{Scaling: c.Status.Scaling, Rollout: c.Status.Rollout, TLS: c.Status.TLS, Bootstrap: c.Status.Bootstrap}
}

func (r *Neo4jEnterpriseClusterReconciler) objectKey(obj client.Object) string {
	return plan.Key(r.kindOf(obj), obj.GetName())
}

func (r *Neo4jEnterpriseClusterReconciler) kindOf(obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, r.Scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

// forget drops what the operator keeps in memory for a deleted cluster:
// its expectations (kept whether or not Neo4j is observed), its
// observation and its metric series.
func (r *Neo4jEnterpriseClusterReconciler) forget(key types.NamespacedName) {
	r.Expectations.Forget(key)
	if r.Observers != nil {
		r.Observers.Forget(key)
	}
	forgetMetrics(key.Namespace, key.Name)
}

package operator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/doctor"
	"github.com/graphops-dev/neo4j-operator/internal/localcluster"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testenv"
)

// naiveUser is the identity the naive reconciler writes as, so the audit
// log tells its writes apart.
const naiveUser = "naive-operator"

// naiveManager is the field manager the naive reconciler writes as.
const naiveManager = "naive-operator"

// naiveReconciler does what the seed's operator did, and lives in test code
// only: controllerutil.CreateOrUpdate with no conflict handling, the pod
// template and labels written whole from a template that leaves defaulting
// to the API server, a config hash computed in map order, every
// owned-object event a reconcile, and a periodic requeue. It reuses this operator's renderer for the objects' shape, so
// the difference measured is the write path, not the content.
type naiveReconciler struct {
	mgr       ctrl.Manager
	conflicts atomic.Int64
	errors    atomic.Int64
}

func (r *naiveReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	c := r.mgr.GetClient()
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
		if err := controllerutil.SetControllerReference(cl, obj, r.mgr.GetScheme()); err != nil {
			return ctrl.Result{}, err
		}
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, err
		}
	}
	for _, desired := range objs.StatefulSets {
		live := &appsv1.StatefulSet{}
		live.Name, live.Namespace = desired.Name, desired.Namespace
		_, err := controllerutil.CreateOrUpdate(ctx, c, live, func() error {
			if live.CreationTimestamp.IsZero() {
				live.Spec = desired.Spec
				// The seed's operator left the StatefulSet controller's
				// default, RollingUpdate: each new revision deletes pods.
				live.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
			}
			live.Labels = desired.Labels // whole: another writer's labels go
			live.Spec.Replicas = desired.Spec.Replicas
			live.Spec.Template = naiveTemplate(desired) // whole, without defaults
			live.Spec.Template.Annotations[render.AnnotationConfigHash] = naiveConfigHash(cl, desired)
			return controllerutil.SetControllerReference(cl, live, r.mgr.GetScheme())
		})
		if apierrors.IsConflict(err) {
			r.conflicts.Add(1)
		}
		if err != nil {
			r.errors.Add(1)
			return ctrl.Result{}, err // no retry: the next event or requeue will try again
		}
	}
	return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
}

// naiveTemplate is the pod template as hand-written operators write it:
// the fields the API server defaults are left out, so every comparison with
// the live object finds a difference.
func naiveTemplate(s *appsv1.StatefulSet) (t corev1.PodTemplateSpec) {
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

// naiveConfigHash hashes neo4j.conf the way hand-written operators often
// do: by ranging over a Go map. Go randomises map order, so the "hash"
// changes from one reconcile to the next although the settings do not;
// each change is a new pod template, a new revision, and a rolling update
// that starts, as StatefulSets do, with the highest ordinal: pod 2.
func naiveConfigHash(cl *v1alpha1.Neo4jEnterpriseCluster, s *appsv1.StatefulSet) string {
	role := neo4jconf.Role(s.Labels[render.LabelRole])
	conf, err := neo4jconf.Build(neo4jconf.Input{Cluster: cl.WithDefaults(), Role: role, DiscoverySelector: render.DiscoverySelector(cl)})
	Expect(err).NotTo(HaveOccurred())
	h := sha256.New()
	for k, v := range conf.Conf { // unsorted: the bug
		fmt.Fprintf(h, "%s=%s\n", k, v)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// startNaive runs the naive reconciler in-process, watching only ns.
func startNaive(ns string) (stop func(), r *naiveReconciler) {
	cfg, err := cluster.UserConfig(naiveUser, []string{localcluster.MastersGroup})
	Expect(err).NotTo(HaveOccurred())
	cfg.UserAgent = naiveManager // its name in managedFields, for the doctor
	skip := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 testenv.Scheme,
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	Expect(err).NotTo(HaveOccurred())
	r = &naiveReconciler{mgr: mgr}
	Expect(ctrl.NewControllerManagedBy(mgr).Named("naive").
		For(&v1alpha1.Neo4jEnterpriseCluster{}).
		Owns(&appsv1.StatefulSet{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: 3}).
		Complete(r)).To(Succeed())
	mctx, mcancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(mctx) }()
	return func() { mcancel(); <-done }, r
}

// naiveReplay replays the seed: the naive reconciler on the same harness,
// under the same perturbations. The harness must see its conflicts and its
// extra writes (proving the harness can fail), where ours saw none.
func naiveReplay() {
	It("replays the seed's naive reconciler: the harness sees its conflicts and writes", func() {
		const ns = "naive"
		createNamespace(ns)
		c := seedCluster(ns)
		Expect(admin.Create(ctx, c)).To(Succeed())
		stop, r := startNaive(ns)
		// It never settles: pod 2 keeps being replaced, so wait for the
		// other two, as the seed's cluster ran with them.
		for _, s := range []string{"seed-primary", "seed-secondary"} {
			Eventually(func() int32 { return statefulSetOrEmpty(ns, s).Status.ReadyReplicas }, readyTimeout, poll).Should(BeNumerically(">=", 2), s)
		}
		since := time.Now()
		conflicts := r.conflicts.Load()
		restarts := 0
		n := perturbation{cluster: c, statefulSets: []string{"seed-primary", "seed-secondary"}, restart: func() {
			stop()
			stop, r = startNaive(ns)
			restarts++
		}}.run(perturbDuration())
		stop()

		f := measure(ns, naiveUser, since)
		w, newRevs := f.writes, f.revisions
		GinkgoWriter.Printf("naive under perturbation (%+v): %+v, conflicts counted in-process since the last restart: %d\n",
			n, w, r.conflicts.Load()-conflicts)
		report.record(true, f)

		// The harness can fail: it sees what the seed's operator did.
		Expect(w.Conflicts).To(BeNumerically(">", 0), "the harness saw no conflicts from the naive reconciler")
		Expect(w.Spec).To(BeNumerically(">", 10), "the harness saw no extra writes from the naive reconciler")
		Expect(newRevs).To(BeNumerically(">", 0), "the harness saw no new revisions from the naive reconciler")
		Expect(f.podDeletes).To(BeNumerically(">", 0), "the harness saw no pod deletions from the naive reconciler")

		// kubectl neo4j doctor, as a user hit by the seed's incident would
		// run it on this namespace.
		in, err := doctor.Gather(ctx, admin, ns, time.Since(since), time.Now())
		Expect(err).NotTo(HaveOccurred())
		d := doctor.Examine(in)
		doctorReports = append(doctorReports, "$ kubectl neo4j doctor -n naive --since "+time.Since(since).Round(time.Second).String()+"\n"+doctor.Print(d))
		Expect(d.Churning).To(BeTrue(), doctor.Print(d))
		churned := false
		for _, s := range d.StatefulSets {
			churned = churned || (s.NewRevisions > doctor.MaxRevisions && slices.ContainsFunc(s.Findings, func(f string) bool { return strings.Contains(f, "recreated") }))
			Expect(s.TemplateManagers).To(ContainElement(HavePrefix(naiveManager)), "the naive reconciler owns the template of %s", s.Name)
		}
		var seen []string
		for _, e := range in.Events {
			seen = append(seen, fmt.Sprintf("%s %s/%s %q x%d first %s last %s", e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Message, e.Count, e.FirstTimestamp, e.LastTimestamp))
		}
		Expect(churned).To(BeTrue(), "revisions and recreated pods: %s\nevents (%d):\n%s", doctor.Print(d), len(in.Events), strings.Join(seen, "\n"))
	})
}

func statefulSetOrEmpty(ns, name string) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{}
	_ = admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s)
	return s
}

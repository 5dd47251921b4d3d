package operator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/graphops-dev/neo4j-operator/internal/doctor"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/naive"
)

// naiveUser is the identity the naive reconciler writes as, so the audit
// log tells its writes apart.
const naiveUser = "naive-operator"

// naiveManager is the field manager the naive reconciler writes as.
const naiveManager = naive.Manager

// startNaive runs the naive reconciler in-process, watching only ns.
func startNaive(ns string) (stop func(), r *naive.Reconciler) {
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
	r, err = naive.Setup(mgr, 3)
	Expect(err).NotTo(HaveOccurred())
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
		conflicts := r.Conflicts.Load()
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
			n, w, r.Conflicts.Load()-conflicts)
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

package operator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// The operator out of process, observing a FAKE Neo4j cluster
// (internal/testing/fake/cluster) that runs in this test process on loopback. kwok
// makes the pods Ready; a loop here tells the fake about each Ready pod and
// writes the operator's resolve file (--neo4j-fake-resolve, the test hook)
// that points each server's advertised address at its fake listener.
var _ = Describe("Observing a fake Neo4j cluster, out of process", Ordered, func() {
	const ns, password = "observed", "e2e-observed-password"
	var (
		fake      *fakecluster.Cluster
		observing *operatorproc.Operator
		c         *v1alpha1.Neo4jEnterpriseCluster
		watcher   context.CancelFunc
	)
	condition := func(t string) metav1.Condition {
		if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, t); got != nil {
			return *got
		}
		return metav1.Condition{}
	}

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		fake = fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, AutoEnable: true,
			DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		resolve := filepath.Join(cluster0Dir(), "neo4j-resolve")
		Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
		var wctx context.Context
		wctx, watcher = context.WithCancel(ctx)
		DeferCleanup(func() { watcher() })
		go fake.FollowPods(wctx, admin, ns, "cluster.local", resolve)

		observing = &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster0Dir(), "logs", "operator-observing.log"),
			Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-election-id=neo4j-operator-observing",
				"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=1s", "--neo4j-timeout=2s"}}
		Expect(observing.Start(ctx)).To(Succeed())
		DeferCleanup(observing.Stop)

		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 1}
		Expect(admin.Create(ctx, c)).To(Succeed())
	})

	It("forms: ClusterFormed, every server Available, Ready only then", func() {
		Eventually(func(g Gomega) {
			g.Expect(condition(v1alpha1.ConditionClusterFormed).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionServersHealthy).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		}, readyTimeout, poll).Should(Succeed())
		st := getCluster(c).Status
		var names []string
		for _, s := range st.Servers {
			names = append(names, fmt.Sprintf("%s %s %s %s", s.Name, s.Pod, s.State, s.Health))
		}
		Expect(names).To(Equal([]string{
			"graph-primary-0 graph-primary-0 Enabled Available", "graph-primary-1 graph-primary-1 Enabled Available",
			"graph-primary-2 graph-primary-2 Enabled Available", "graph-secondary-0 graph-secondary-0 Enabled Available"}))
		Expect(st.Databases).To(ContainElement(v1alpha1.DatabaseStatus{Name: "neo4j", Status: "online", Declared: true,
			RequestedPrimaries: 3, RequestedSecondaries: 1, CurrentPrimaries: 3, CurrentSecondaries: 1}))
	})

	It("reports a server cut off within one poll, and its return", func() {
		fake.SetReachable("graph-primary-1", false)
		start := time.Now()
		Eventually(func() string { return condition(v1alpha1.ConditionServersHealthy).Message }, 5*time.Second+5*time.Second, poll).
			Should(Equal("Unavailable: graph-primary-1"))
		GinkgoWriter.Printf("ServersHealthy turned False %v after the cut\n", time.Since(start).Round(100*time.Millisecond))
		fake.SetReachable("graph-primary-1", true)
		Eventually(func() metav1.ConditionStatus { return condition(v1alpha1.ConditionReady).Status }, 5*time.Second, poll).
			Should(Equal(metav1.ConditionTrue))
	})

	It("stays calm: polls every 5 s for the perturbation window (60 s; 30 s in CI), no API writes", func() {
		time.Sleep(2 * time.Second) // let the last status write settle
		since := time.Now()
		time.Sleep(perturbDuration())
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec+w.Status+w.Events).To(BeZero(), "operator writes while calm: %v", w.Details)
	})

	// Issue 26: the budgets follow Neo4j's health, so a node drain cannot
	// take a primary while another is cut off; they change only when the
	// health does.
	It("holds evictions while a server is Unavailable, and allows one again once it is back", func() {
		primaries := types.NamespacedName{Namespace: ns, Name: render.PDBName(c, neo4jconf.Primary)}
		budget := func() string {
			pdb := &policyv1.PodDisruptionBudget{}
			if err := admin.Get(ctx, primaries, pdb); err != nil {
				return err.Error()
			}
			return fmt.Sprintf("maxUnavailable %s, %d allowed", pdb.Spec.MaxUnavailable.String(), pdb.Status.DisruptionsAllowed)
		}
		evict := func(pod string) error { // as kubectl drain does, without deleting anything
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod}}
			return admin.SubResource("eviction").Create(ctx, p, &policyv1.Eviction{ObjectMeta: p.ObjectMeta,
				DeleteOptions: &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}})
		}
		Eventually(budget, 15*time.Second, poll).Should(Equal("maxUnavailable 1, 1 allowed"))
		since := time.Now()
		fake.SetReachable("graph-primary-1", false)
		Eventually(budget, 15*time.Second, poll).Should(Equal("maxUnavailable 0, 0 allowed"))
		err := evict("graph-primary-0")
		Expect(apierrors.IsTooManyRequests(err)).To(BeTrue(), "an eviction while graph-primary-1 is Unavailable: %v", err)
		fake.SetReachable("graph-primary-1", true)
		Eventually(budget, 15*time.Second, poll).Should(Equal("maxUnavailable 1, 1 allowed"))
		Expect(evict("graph-primary-0")).To(Succeed())
		w := auditWrites(operatorproc.User, since)
		pdbWrites := 0
		for _, d := range w.Details {
			if strings.Contains(d, "poddisruptionbudgets") {
				pdbWrites++
			}
		}
		Expect(pdbWrites).To(Equal(4), "one write to hold and one to release, per role: %v", w.Details)
	})

	// Issue 26, point 11: the verdict on an unreachable Neo4j must not
	// depend on how long the operator has run. Before the fix, a restart
	// wrote Progressing=True/Neo4jCatchingUp, and the next failed poll
	// wrote Stable back: 2 status writes for an unchanged world.
	It("restarted while Neo4j does not answer, writes nothing", func() {
		fake.SetAnswering(false)
		DeferCleanup(fake.SetAnswering, true)
		Eventually(func() string { return condition(v1alpha1.ConditionServersHealthy).Reason }, 15*time.Second, poll).Should(Equal("Unreachable"))
		time.Sleep(3 * time.Second) // the last status write settles
		before := condition(v1alpha1.ConditionProgressing)
		since := time.Now()
		Expect(observing.Restart(ctx)).To(Succeed())
		reconciled := func() float64 {
			m, err := observing.Metrics()
			if err != nil {
				return 0
			}
			return m["neo4j_operator_cluster_reconciles_total"] // this operator watches one cluster
		}
		Eventually(reconciled, 30*time.Second, poll).Should(BeNumerically(">", 0), "the restarted operator reconciled the cluster")
		time.Sleep(15 * time.Second) // three polls at 5 s, each failing
		time.Sleep(time.Second)      // the audit log is written as responses complete
		// The cluster's namespace only: the restart's leader election
		// writes its Lease and a LeaderElection Event in the operator's.
		writes := auditCount(localcluster.AuditFilter{User: operatorproc.User, Namespace: ns, Since: since, Match: func(e localcluster.AuditEvent) bool {
			return e.Verb != "get" && e.Verb != "list" && e.Verb != "watch"
		}})
		Expect(writes).To(BeZero(), "operator writes in %s after a restart with Neo4j unreachable", ns)
		Expect(condition(v1alpha1.ConditionProgressing)).To(Equal(before))
		fake.SetAnswering(true)
		Eventually(func() metav1.ConditionStatus { return condition(v1alpha1.ConditionReady).Status }, 15*time.Second, poll).
			Should(Equal(metav1.ConditionTrue))
	})
})

// cluster0Dir is the local cluster's folder (kept on failure).
func cluster0Dir() string { return cluster.Dir }

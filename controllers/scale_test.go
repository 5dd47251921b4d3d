package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/expectations"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// Placement and refusals against the FAKE cluster (internal/testing/fake/cluster),
// which here enables no server itself. envtest has no StatefulSet
// controller: the test marks StatefulSets ready and tells the fake about
// pods. The e2e suite (test/e2e/operator/scale_test.go) runs whole
// scale-outs and scale-ins with a real StatefulSet controller.
var _ = Describe("Placing databases and refusing unsafe scale-ins", Ordered, func() {
	const password = "placed-password"
	var (
		fake *cluster.Cluster
		r    *controllers.Neo4jEnterpriseClusterReconciler
		c    *v1alpha1.Neo4jEnterpriseCluster
	)
	condition := func(t string) metav1.Condition {
		if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, t); got != nil {
			return *got
		}
		return metav1.Condition{}
	}
	// settle reconciles by hand (run() only reconciles on observer
	// events; requeues are the manager's) until check passes.
	settle := func(check func(g Gomega)) {
		Eventually(func(g Gomega) {
			_, err := r.Reconcile(ctx, reconcileRequest(c))
			g.Expect(err).NotTo(HaveOccurred())
			check(g)
		}, timeout, 200*time.Millisecond).Should(Succeed())
	}

	BeforeAll(func() {
		fake = cluster.New(cluster.Options{Password: password, CatchUp: 100 * time.Millisecond,
			DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		obs := observer.New(env.Client, neo4j.Dialer{Timeout: time.Second, Resolve: fake.Resolve}, 2*time.Second, 200*time.Millisecond)
		r = directReconciler(env.Client)
		r.Observers, r.Expectations, r.StuckAfter = obs, expectations.New(), time.Minute
		r.Recorder = mgr.GetEventRecorder("neo4j-operator")
		runCtx, cancel := context.WithCancel(ctx)
		DeferCleanup(cancel)
		// Only settle() reconciles: the controller never runs two
		// reconciles of one cluster at once, and neither does this test.
		go func() { _ = obs.Start(runCtx) }()
		go func() {
			for {
				select {
				case <-runCtx.Done():
					return
				case <-obs.Events:
				}
			}
		}()

		Expect(env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: "placed-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
		c = newCluster(directNS, "placed", 3, 1)
		c.Spec.Auth.SecretName = "placed-auth"
		three, none := int32(3), int32(0)
		c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: &three, Secondaries: &none}}}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		reconcileNow(r, c)
		markReady(c, "primary", 3)
		markReady(c, "secondary", 1)
		for i, pod := range render.PodNames(c) {
			Expect(fake.SetPod(pod, render.BoltAddresses(c)[i], i == 3, true)).To(Succeed())
		}
	})

	It("enables the server Neo4j left Free, creates the declared database, and says all is placed", func() {
		settle(func(g Gomega) {
			g.Expect(condition(v1alpha1.ConditionDatabasesPlaced).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		})
		Expect(condition(v1alpha1.ConditionDatabasesPlaced).Message).To(Equal("2 declared databases placed"))
		Expect(fake.CountCommands("ENABLE SERVER")).To(Equal(1), "the secondary, which the fake left Free")
		Expect(fake.CountCommands("CREATE DATABASE")).To(Equal(1))
		Expect(getCluster(c).Status.Databases).To(ContainElement(v1alpha1.DatabaseStatus{Name: "sales", Status: "online", Declared: true,
			RequestedPrimaries: 3, CurrentPrimaries: 3}))
		Eventually(func() []string { return events(c) }, timeout, interval).Should(ContainElements(
			"Normal/Neo4jCommand: enabled the server of placed-secondary-0 (mode constraint SECONDARY)",
			"Normal/Neo4jCommand: created database sales with 3 primaries and 0 secondaries"))
	})

	It("refuses a scale-in that would break an undeclared database's topology, and changes nothing", func() {
		// Someone creates a database by hand, on every server.
		conn, err := neo4j.Dialer{Timeout: time.Second}.Dial(fake.Addr("placed-primary-0"), neo4j.Credentials{User: "neo4j", Password: password}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(conn.CreateDatabase(ctx, "legacy", 3, 1)).To(Succeed())
		_ = conn.Close(ctx)
		settle(func(g Gomega) { // the operator has seen it
			g.Expect(getCluster(c).Status.Databases).To(ContainElement(HaveField("Name", "legacy")))
		})
		commands := len(fake.Commands())

		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Topology.Secondaries = 0
			f.Spec.Databases = nil // sales is no longer declared: kept, reported
		})
		settle(func(g Gomega) {
			d := condition(v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).To(Equal("ScaleInRefused"))
			g.Expect(d.Message).To(Equal("scale-in to 3 primaries and 0 secondaries refused: database legacy needs 3 primaries and 1 secondaries (4 servers, 3 of them primaries); it is not in spec.databases: lower it with ALTER DATABASE, or declare it. Nothing was changed"))
			g.Expect(condition(v1alpha1.ConditionDatabasesPlaced).Message).To(Equal(
				"neo4j has 3 primaries and 1 secondaries, declared 3 and 0; not in spec.databases, kept as they are: legacy, sales"))
			p := condition(v1alpha1.ConditionProgressing)
			g.Expect(p.Reason).To(Equal("ScalingPending"), "the spec is not met: not reported as applied")
			g.Expect(p.Message).To(Equal("the topology of neo4j is lowered once the cluster is healthy and the scale-in it goes with is admitted"))
		})
		Expect(*sts(c, "secondary").Spec.Replicas).To(Equal(int32(1)), "the secondary StatefulSet is not shrunk")
		Expect(getCluster(c).Status.Scaling).To(BeNil())
		Expect(fake.Commands()[commands:]).To(BeEmpty(), "nothing sent to Neo4j: not even neo4j's lower topology")
		Eventually(func() []string { return events(c) }, timeout, interval).Should(
			ContainElement(HavePrefix("Warning/ScaleInRefused: scale-in to 3 primaries and 0 secondaries refused: database legacy")))

		writes := allWrites()
		for range 10 {
			reconcileNow(r, c)
		}
		Expect(allWrites()-writes).To(BeZero(), "a refused scale-in is calm")
	})
})

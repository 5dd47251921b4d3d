package controllers_test

import (
	"context"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// The Neo4j side, against the FAKE cluster (internal/testing/fake/cluster): the
// observers poll it over real Bolt on loopback, through the Dialer's
// resolve hook; a loop stands for the controller's watch of their events
// and runs the reconcile. Pods are the fake's word, StatefulSet readiness
// is set by hand (envtest has no kubelet).
var _ = Describe("Observing Neo4j", Ordered, func() {
	const pw = "neo4j/observed-password"
	var (
		fake   *cluster.Cluster
		obs    *observer.Observers
		r      *controllers.Neo4jEnterpriseClusterReconciler
		c      *v1alpha1.Neo4jEnterpriseCluster
		cancel context.CancelFunc
		poll   = 2 * time.Second
	)

	condition := func(t string) *metav1.Condition {
		return meta.FindStatusCondition(getCluster(c).Status.Conditions, t)
	}

	BeforeAll(func() {
		fake = cluster.New(cluster.Options{Password: "observed-password", CatchUp: time.Second, AutoEnable: true,
			DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		obs = observer.New(env.Client, neo4j.Dialer{Timeout: time.Second, Resolve: fake.Resolve}, poll, 500*time.Millisecond)
		r = directReconciler(env.Client)
		r.Observers = obs
		var runCtx context.Context
		runCtx, cancel = context.WithCancel(ctx)
		DeferCleanup(func() { cancel() })
		run(runCtx, obs, r)

		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: "observed-auth"},
			StringData: map[string]string{"NEO4J_AUTH": pw}}
		Expect(env.Client.Create(ctx, secret)).To(Succeed())
		c = newCluster(directNS, "observed", 3, 1)
		c.Spec.Auth.SecretName = "observed-auth"
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		reconcileNow(r, c)
	})

	It("is Ready only when Neo4j says so: formation, then every server Available", func() {
		Eventually(func(g Gomega) {
			g.Expect(condition(v1alpha1.ConditionClusterFormed)).NotTo(BeNil())
			g.Expect(condition(v1alpha1.ConditionServersHealthy).Reason).To(Equal("Unreachable"))
		}, timeout, interval).Should(Succeed())
		markReady(c, "primary", 3)
		markReady(c, "secondary", 1)
		reconcileNow(r, c)
		Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse), "pods ready, Neo4j not heard from")

		for i, addr := range render.BoltAddresses(c) {
			name := []string{"observed-primary-0", "observed-primary-1", "observed-primary-2", "observed-secondary-0"}[i]
			Expect(fake.SetPod(name, addr, i == 3, true)).To(Succeed())
		}
		Eventually(func(g Gomega) {
			g.Expect(condition(v1alpha1.ConditionClusterFormed).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionServersHealthy).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		}, timeout, interval).Should(Succeed())
		st := getCluster(c).Status
		Expect(st.Servers).To(HaveLen(4))
		Expect(st.Servers[0]).To(Equal(v1alpha1.ServerStatus{Name: "observed-primary-0", Address: render.BoltAddresses(c)[0],
			Pod: "observed-primary-0", State: "Enabled", Health: "Available", Hosting: []string{"neo4j", "system"}}))
		Expect(st.Databases).To(Equal([]v1alpha1.DatabaseStatus{
			{Name: "neo4j", Status: "online", Declared: true, RequestedPrimaries: 3, RequestedSecondaries: 1, CurrentPrimaries: 3, CurrentSecondaries: 1},
			{Name: "system", Status: "online", RequestedPrimaries: 3, RequestedSecondaries: 1, CurrentPrimaries: 3, CurrentSecondaries: 1},
		}))
	})

	It("turns ServersHealthy False within one poll when a server is cut off, and back", func() {
		fake.SetReachable("observed-primary-2", false)
		Eventually(func(g Gomega) {
			h := condition(v1alpha1.ConditionServersHealthy)
			g.Expect(h.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(h.Message).To(Equal("Unavailable: observed-primary-2"))
			g.Expect(condition(v1alpha1.ConditionReady).Reason).To(Equal("Neo4jNotReady"))
		}, poll+3*time.Second, 100*time.Millisecond).Should(Succeed())
		fake.SetReachable("observed-primary-2", true)
		Eventually(func(g Gomega) {
			g.Expect(condition(v1alpha1.ConditionServersHealthy).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		}, 4*time.Second, 100*time.Millisecond).Should(Succeed()) // busy polling while unhealthy
	})

	It("stays calm: polls at the calm interval cause 0 API writes", func() {
		cancel() // only the calm observers poll now
		// 60 polls by default (1 s apart for 60 s), the evidence being the
		// number of polls that found nothing new; `make test-calm` runs the
		// production interval, 5 s, for 5 minutes.
		d, every := time.Minute, time.Second
		if s := os.Getenv("NEO4J_CALM_DURATION"); s != "" {
			d, _ = time.ParseDuration(s)
		}
		if s := os.Getenv("NEO4J_CALM_INTERVAL"); s != "" {
			every, _ = time.ParseDuration(s)
		}
		calm := observer.New(env.Client, neo4j.Dialer{Timeout: time.Second, Resolve: fake.Resolve}, every, min(500*time.Millisecond, every))
		rc := directReconciler(env.Client)
		rc.Observers = calm
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		run(runCtx, calm, rc)
		reconcileNow(rc, c) // hands the cluster to the calm observers
		Eventually(func() bool { _, ok := calm.Last(key(c)); return ok }, timeout, interval).Should(BeTrue())
		time.Sleep(time.Second) // the first observation's reconcile
		writes, polls := allWrites(), showServersCalls()
		Consistently(func() float64 { return allWrites() - writes }, d, time.Second).Should(BeZero())
		n := showServersCalls() - polls
		GinkgoWriter.Printf("calm for %v at %v: %.0f polls, %.0f API writes\n", d, every, n, allWrites()-writes)
		// The next poll is timed from the end of the last: each poll's own
		// duration (longer under CI's coverage build) shifts the count down.
		// 57 of 60 were seen there; what matters is polling throughout.
		Expect(n).To(BeNumerically(">=", 0.9*float64(d/every)))
		Expect(n).To(BeNumerically("<=", float64(d/every)+2))
		stop()
		var again context.Context
		again, cancel = context.WithCancel(ctx)
		run(again, obs, r)
	})

	It("rotates the admin password when the auth Secret changes, with no restart; reports a password changed in Cypher, and recovers", func() {
		setPassword := func(v string) {
			s := &corev1.Secret{}
			Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: "observed-auth"}, s)).To(Succeed())
			s.Data = map[string][]byte{"NEO4J_AUTH": []byte(v)}
			Expect(env.Client.Update(ctx, s)).To(Succeed())
		}
		gens := []int64{sts(c, "primary").Generation, sts(c, "secondary").Generation}
		refused := authFailedCalls()

		By("the Secret changed: ALTER CURRENT USER on the leader, the polls follow, nothing restarts")
		setPassword("neo4j/rotated-password-1")
		// The polls use the credentials Neo4j accepted until a reconcile
		// sees the Secret move (the Secret watch sends one where Secrets
		// are watched; this namespace is not) or --neo4j-secret-recheck.
		reconcileNow(r, c)
		Eventually(func() string { return fake.Password("neo4j") }, timeout, interval).Should(Equal("rotated-password-1"))
		Expect(fake.CountCommands("ALTER CURRENT USER SET PASSWORD FROM $old TO $new")).To(Equal(1))
		reconcileNow(r, c)
		Eventually(func() metav1.ConditionStatus { return condition(v1alpha1.ConditionServersHealthy).Status }, timeout, interval).Should(Equal(metav1.ConditionTrue))
		Expect([]int64{sts(c, "primary").Generation, sts(c, "secondary").Generation}).To(Equal(gens), "no StatefulSet written: no pod restarts")
		Expect(authFailedCalls()-refused).To(BeZero(), "no login was refused")
		for _, cmd := range fake.Commands() {
			Expect(cmd.Text).NotTo(ContainSubstring("rotated-password"))
		}

		By("the password changed in Cypher: reported, never fought over")
		admin, err := neo4j.Dialer{Timeout: time.Second, Resolve: fake.Resolve}.Dial(render.BoltAddresses(c)[0], neo4j.Credentials{User: "neo4j", Password: "rotated-password-1"}, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(admin.Administer(ctx, "ALTER CURRENT USER SET PASSWORD FROM $old TO $new", map[string]any{"old": "rotated-password-1", "new": "changed-by-hand"})).To(Succeed())
		Expect(admin.Close(ctx)).To(Succeed())
		Eventually(func(g Gomega) {
			h := condition(v1alpha1.ConditionServersHealthy)
			g.Expect(h.Reason).To(Equal("AuthFailed"))
			g.Expect(condition(v1alpha1.ConditionDegraded).Reason).To(Equal("AuthFailed"))
		}, timeout, interval).Should(Succeed())
		refused = authFailedCalls()
		time.Sleep(3 * poll)
		Expect(authFailedCalls()-refused).To(BeNumerically("<=", 1), "the same refused Secret is not tried again")

		By("the Secret set to the password Neo4j has: no rotation, the polls recover")
		setPassword("neo4j/changed-by-hand")
		reconcileNow(r, c)
		Eventually(func() metav1.ConditionStatus { return condition(v1alpha1.ConditionServersHealthy).Status }, timeout, interval).
			Should(Equal(metav1.ConditionTrue))
		Expect(condition(v1alpha1.ConditionDegraded).Status).To(Equal(metav1.ConditionFalse))
		Expect(fake.Password("neo4j")).To(Equal("changed-by-hand"))
		Expect(fake.Lockouts()).To(BeZero(), "never locked out")
	})

	It("reports an unreachable Neo4j as a condition", func() {
		cancel()
		// An unreachable server is a closed port: point every name at one.
		unreach := observer.New(env.Client, neo4j.Dialer{Timeout: 500 * time.Millisecond, Resolve: func(string) string { return "127.0.0.1:1" }},
			time.Second, 300*time.Millisecond)
		ru := directReconciler(env.Client)
		ru.Observers = unreach
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		run(runCtx, unreach, ru)
		reconcileNow(ru, c)
		Eventually(func(g Gomega) {
			h := condition(v1alpha1.ConditionServersHealthy)
			g.Expect(h.Reason).To(Equal("Unreachable"))
			g.Expect(h.Message).To(Equal("none of the 4 servers answered; last: observed-secondary-0-internals.direct.svc.cluster.local:7687: Unavailable"))
			g.Expect(condition(v1alpha1.ConditionClusterFormed).Status).To(Equal(metav1.ConditionUnknown))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
		}, timeout, interval).Should(Succeed())
	})
})

// run starts observers and stands for the controller's watch of their
// events: each one runs the reconcile.
func run(ctx context.Context, o *observer.Observers, r *controllers.Neo4jEnterpriseClusterReconciler) {
	go func() { _ = o.Start(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-o.Events:
				_, _ = r.Reconcile(ctx, reconcileRequest(e.Object))
			}
		}
	}()
}

func showServersCalls() float64 {
	return sum(neo4j.Calls, func(l map[string]string) bool { return l["query"] == "show-servers" })
}

func authFailedCalls() float64 {
	return sum(neo4j.Calls, func(l map[string]string) bool { return l["outcome"] == string(neo4j.AuthFailed) })
}

// markReady sets a StatefulSet's status as the StatefulSet controller
// would once every pod of the revision is ready.
func markReady(c *v1alpha1.Neo4jEnterpriseCluster, role string, n int32) {
	s := sts(c, role)
	s.Status.ObservedGeneration = s.Generation
	s.Status.Replicas, s.Status.ReadyReplicas, s.Status.CurrentReplicas, s.Status.UpdatedReplicas, s.Status.AvailableReplicas = n, n, n, n, n
	s.Status.CurrentRevision, s.Status.UpdateRevision = "rev", "rev"
	ExpectWithOffset(1, env.Client.Status().Update(ctx, s)).To(Succeed())
}

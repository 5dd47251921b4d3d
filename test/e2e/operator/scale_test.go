package operator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Scaling against the FAKE Neo4j cluster (internal/testing/fake/cluster), with the
// operator out of process and the real StatefulSet controller (kcm) and
// kwok making and removing pods. The fake does not enable servers itself
// (the operator must), and takes time to copy databases and deallocate.
// During the scale-in the operator is SIGKILLed right after each kind of
// step lands (a cordon, a deallocation, the shrink, the pod gone, a drop)
// and started again: every step must still run exactly once.
var _ = Describe("Scaling servers safely, out of process, killed at every step", Ordered, func() {
	const ns, password = "scaling", "e2e-scaling-password"
	var (
		fake    *fakecluster.Cluster
		opr     *operatorproc.Operator
		c       *v1alpha1.Neo4jEnterpriseCluster
		mu      sync.Mutex
		armed   map[string]bool // kill points still to fire
		kills   []string
		killReq = make(chan string, 16)
		lowest  = map[string]int{} // fewest online primaries seen, per database
	)
	condition := func(t string) metav1.Condition {
		if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, t); got != nil {
			return *got
		}
		return metav1.Condition{}
	}
	arm := func(points ...string) {
		mu.Lock()
		defer mu.Unlock()
		armed = map[string]bool{}
		for _, p := range points {
			armed[p] = true
		}
	}
	fire := func(point string) {
		mu.Lock()
		defer mu.Unlock()
		if armed[point] {
			delete(armed, point)
			killReq <- point
		}
	}
	settled := func(p, s int32) {
		Eventually(func(g Gomega) {
			got := getCluster(c)
			g.Expect(got.Status.Scaling).To(BeNil())
			for name, want := range map[string]int32{"graph-primary": p, "graph-secondary": s} {
				sts := &appsv1.StatefulSet{}
				if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, sts); want > 0 || err == nil {
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(*sts.Spec.Replicas).To(Equal(want), name)
					g.Expect(sts.Status.ReadyReplicas).To(Equal(want), name)
				}
			}
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(condition(v1alpha1.ConditionDatabasesPlaced).Status).To(Equal(metav1.ConditionTrue), condition(v1alpha1.ConditionDatabasesPlaced).Message)
		}, 3*readyTimeout, poll).Should(Succeed())
	}
	refused := func() []string { return refusedSince(fake, 0) }

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		fake = fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, Deallocation: 2 * time.Second,
			DefaultPrimaries: 3, DefaultSecondaries: 2, InitialPrimaries: 3,
			OnCommand: func(cmd fakecluster.Command) {
				if cmd.Code == "" {
					fire(strings.SplitN(cmd.Text, " ", 2)[0])
				}
			}})
		DeferCleanup(fake.Close)
		resolve := filepath.Join(cluster0Dir(), "neo4j-resolve-scaling")
		Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
		wctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go fake.FollowPods(wctx, admin, ns, "cluster.local", resolve)

		opr = &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster0Dir(), "logs", "operator-scaling.log"),
			// No leader election: a SIGKILLed operator's Lease would hold
			// its successor back for the Lease's duration; only one runs.
			Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-elect=false",
				"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=500ms",
				"--neo4j-timeout=2s", "--neo4j-deallocation-stuck-after=5s"}}
		Expect(opr.Start(ctx)).To(Succeed())
		DeferCleanup(func() { opr.Stop() })
		go func() { // the killer: SIGKILL, then a new operator
			for point := range killReq {
				opr.Kill()
				mu.Lock()
				kills = append(kills, point)
				mu.Unlock()
				Expect(opr.Start(ctx)).To(Succeed())
			}
		}()
		DeferCleanup(func() { close(killReq) })
		go func() { // watches the steps the fake does not see, and the databases
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case <-t.C:
				}
				got := &v1alpha1.Neo4jEnterpriseCluster{}
				if c != nil && admin.Get(wctx, client.ObjectKeyFromObject(c), got) == nil && got.Status.Scaling != nil {
					fire(string(got.Status.Scaling.Step))
				}
				mu.Lock()
				for _, d := range fake.Databases() {
					if n, ok := lowest[d.Name]; d.Name != "system" && (!ok || fake.OnlinePrimaries(d.Name) < n) {
						lowest[d.Name] = fake.OnlinePrimaries(d.Name)
					}
				}
				mu.Unlock()
			}
		}()

		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 2}
		Expect(admin.Create(ctx, c)).To(Succeed())
		settled(3, 2)
		mu.Lock()
		lowest = map[string]int{} // formation is not a scaling
		mu.Unlock()
	})

	It("scales out 3+2 → 5+4: enables each new server once, and neo4j follows onto the new secondaries", func() {
		Expect(fake.CountCommands("ENABLE SERVER")).To(Equal(2), "the fake enables only the founding primaries: the operator enabled both secondaries")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology = v1alpha1.Topology{Primaries: 5, Secondaries: 4}
		})
		settled(5, 4)
		Expect(fake.CountCommands("ENABLE SERVER")).To(Equal(2+4), "each new server enabled once")
		Expect(fake.CountCommands("ALTER DATABASE")).To(Equal(1), "neo4j set to 3 primaries and 4 secondaries once")
		st := getCluster(c).Status
		Expect(st.Databases).To(ContainElement(v1alpha1.DatabaseStatus{Name: "neo4j", Status: "online", Declared: true,
			RequestedPrimaries: 3, RequestedSecondaries: 4, CurrentPrimaries: 3, CurrentSecondaries: 4}))
		Expect(refused()).To(BeEmpty())
	})

	It("scales in 5+4 → 3+1, killed after each step: every step once, every database online, nothing dropped while hosting", func() {
		since := time.Now()
		generations := map[string]int64{}
		for _, name := range []string{"graph-primary", "graph-secondary"} {
			generations[name] = statefulSet(ns, name).Generation
		}
		before := map[string]int{}
		for _, k := range []string{"CALL", "DEALLOCATE", "DROP SERVER", "ALTER DATABASE"} {
			before[k] = fake.CountCommands(k)
		}
		arm("CALL", "DEALLOCATE", string(v1alpha1.StepShrink), string(v1alpha1.StepWaitPodGone), "DROP")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 1}
		})
		settled(3, 1)

		mu.Lock()
		Expect(kills).To(ConsistOf("CALL", "DEALLOCATE", "Shrink", "WaitPodGone", "DROP"), "the operator was killed at each step")
		Expect(lowest["neo4j"]).To(BeNumerically(">=", 2), "neo4j kept a majority of its 3 primaries online throughout")
		mu.Unlock()
		// Five servers removed: each step exactly once per server.
		Expect(fake.CountCommands("CALL dbms.cluster.cordonServer") - before["CALL"]).To(Equal(5))
		Expect(fake.CountCommands("DEALLOCATE") - before["DEALLOCATE"]).To(Equal(5))
		Expect(fake.CountCommands("DROP SERVER") - before["DROP SERVER"]).To(Equal(5))
		// neo4j goes from 4 secondaries to 1 one copy at a time, each
		// lowering after its server's cordon (docs/design.md); the referee
		// checks that no copy was dropped on a server that stays.
		Expect(fake.CountCommands("ALTER DATABASE")-before["ALTER DATABASE"]).To(Equal(3), "neo4j lowered by one secondary per secondary server removed")
		Expect(refused()).To(BeEmpty(), "Neo4j refused nothing: no DROP while hosting, no deallocation it could not do")
		// Each committed spec change raises the generation by one: exactly
		// one per server removed. An update killed in flight is logged 504
		// whether or not it committed, so the audit log only bounds the
		// writes: no more succeeded than there were steps.
		ok := func(e localcluster.AuditEvent) bool { return e.Code == 200 }
		for name, want := range map[string]int{"graph-primary": 2, "graph-secondary": 3} {
			Expect(statefulSet(ns, name).Generation-generations[name]).To(Equal(int64(want)), "%s shrunk one server at a time, once each", name)
			Expect(auditCount(localcluster.AuditFilter{User: operatorproc.User, Verb: "update", Resource: "statefulsets",
				Namespace: ns, Name: name, Since: since, Match: ok})).To(BeNumerically("<=", want), "%s: no write beyond the steps", name)
		}
		// A dropped server's pod goes last (drop, then stop); the fake hides
		// the server at its next list of pods.
		Eventually(func() []string {
			var names []string
			for _, s := range fake.Servers() {
				names = append(names, s.Name+" "+s.State)
			}
			return names
		}, 5*time.Second, poll).Should(ConsistOf("graph-primary-0 Enabled", "graph-primary-1 Enabled", "graph-primary-2 Enabled", "graph-secondary-0 Enabled"))
	})

	It("is calm after scaling: 20 s, no API writes", func() {
		time.Sleep(2 * time.Second)
		since, commands := time.Now(), len(fake.Commands())
		time.Sleep(20 * time.Second)
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec+w.Status+w.Events).To(BeZero(), "operator writes while calm: %v", w.Details)
		Expect(fake.Commands()[commands:]).To(BeEmpty(), "no Neo4j commands while calm")
	})

	It("creates a declared database, and keeps one removed from the list, reporting it", func() {
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: ptr.To[int32](3), Secondaries: ptr.To[int32](1)}}}
		})
		settled(3, 1)
		Expect(fake.CountCommands("CREATE DATABASE")).To(Equal(1))
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Databases = nil })
		Eventually(func(g Gomega) {
			g.Expect(getCluster(c).Status.Databases).To(ContainElement(v1alpha1.DatabaseStatus{Name: "sales", Status: "online", Declared: false,
				RequestedPrimaries: 3, RequestedSecondaries: 1, CurrentPrimaries: 3, CurrentSecondaries: 1}))
			g.Expect(condition(v1alpha1.ConditionDatabasesPlaced).Message).To(ContainSubstring("not in spec.databases, kept as they are: sales"))
		}, readyTimeout, poll).Should(Succeed())
	})

	It("refuses a scale-in that would break a database's topology, naming it, and changes nothing", func() {
		cordons := fake.CountCommands("CALL")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Secondaries = 0 })
		Eventually(func(g Gomega) {
			d := condition(v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).To(Equal("ScaleInRefused"))
			g.Expect(d.Message).To(ContainSubstring("database sales needs 3 primaries and 1 secondaries (4 servers, 3 of them primaries); it is not in spec.databases"))
		}, readyTimeout, poll).Should(Succeed())
		Consistently(func() int32 { return *statefulSet(ns, "graph-secondary").Spec.Replicas }, 3*time.Second, poll).Should(Equal(int32(1)))
		Expect(fake.CountCommands("CALL")).To(Equal(cordons), "nothing cordoned")
	})

	It("halts at a deallocation that never finishes, naming the database, and at a refused DROP; then finishes", func() {
		// The servers removed before come back on fresh volumes (as with
		// whenScaled: Delete): on their old ones they would be dropped
		// servers. sales gets a second secondary copy, which can only go to
		// the new graph-secondary-1; then a fourth primary, which hosts
		// nothing: removing graph-secondary-1 has to move its copy there.
		fake.ForgetVolume("graph-primary-3")
		fake.ForgetVolume("graph-secondary-1")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 2}
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: ptr.To[int32](3), Secondaries: ptr.To[int32](2)}}}
		})
		settled(3, 2)
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 4 })
		settled(4, 2)
		fake.SetDeallocationBlocked(true)
		fake.SetDropRefused("Neo.ClientError.Cluster.InvalidServerState", "the fake refuses to drop servers")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Secondaries = 1 })
		Eventually(func(g Gomega) {
			d := condition(v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).To(Equal("DeallocationStuck"))
			g.Expect(d.Message).To(And(ContainSubstring("graph-secondary-1 has been deallocating for more than 5s and still hosts"), ContainSubstring("sales")))
		}, readyTimeout, poll).Should(Succeed())
		Expect(*statefulSet(ns, "graph-secondary").Spec.Replicas).To(Equal(int32(2)), "not shrunk while it hosts a database")

		fake.SetDeallocationBlocked(false)
		Eventually(func(g Gomega) {
			d := condition(v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).To(Equal("DropRefused"))
			g.Expect(d.Message).To(ContainSubstring("Neo4j refused to drop server graph-secondary-1 (Deallocated): Neo.ClientError.Cluster.InvalidServerState: the fake refuses to drop servers"))
		}, readyTimeout, poll).Should(Succeed())
		fake.SetDropRefused("", "")
		settled(4, 1)
		// The scale-in's last transitions (Drop accepted, Shrink,
		// WaitPodGone, Done) write only status.scaling; the reconcile after
		// them writes the conditions.
		Eventually(func() metav1.ConditionStatus { return condition(v1alpha1.ConditionDegraded).Status }, 10*time.Second, poll).
			Should(Equal(metav1.ConditionFalse))
		// Dropped, then stopped: the fake hides a dropped server once it
		// sees its pod gone, at its next list of pods (200 ms).
		Eventually(func() string { return fmt.Sprint(fake.Servers()) }, 5*time.Second, poll).ShouldNot(ContainSubstring("graph-secondary-1"))
	})

	It("scales secondaries to zero: the last one drained and dropped, then its StatefulSet goes", func() {
		commands := len(fake.Commands())
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology.Secondaries = 0
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr.To[int32](0)}}}
		})
		settled(4, 0)
		Eventually(func() bool {
			return apierrors.IsNotFound(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "graph-secondary"}, &appsv1.StatefulSet{}))
		}, readyTimeout, poll).Should(BeTrue(), "the secondary StatefulSet is pruned once its last server is drained")
		Eventually(func() string { return fmt.Sprint(fake.Servers()) }, 5*time.Second, poll).ShouldNot(ContainSubstring("graph-secondary"))
		Expect(refusedSince(fake, commands)).To(BeEmpty())
	})

	It("stops between two steps while paused, and resumes", func() {
		fake.SetDeallocationBlocked(true)
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 3 })
		Eventually(func() v1alpha1.ScalingStep {
			if sc := getCluster(c).Status.Scaling; sc != nil {
				return sc.Step
			}
			return ""
		}, readyTimeout, poll).Should(Equal(v1alpha1.StepDeallocate))
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
		})
		time.Sleep(time.Second)
		fake.SetDeallocationBlocked(false) // graph-primary-3 is now Deallocated
		Consistently(func(g Gomega) {
			g.Expect(getCluster(c).Status.Scaling.Step).To(Equal(v1alpha1.StepDeallocate))
			g.Expect(*statefulSet(ns, "graph-primary").Spec.Replicas).To(Equal(int32(4)))
		}, 5*time.Second, poll).Should(Succeed())
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Annotations = nil })
		settled(3, 0)
	})

	It("refuses a scale-in that would lose the system database's quorum, and changes nothing", func() {
		commands := len(fake.Commands())
		fake.SetReachable("graph-primary-1", false)
		DeferCleanup(func() { fake.SetReachable("graph-primary-1", true) })
		Eventually(func() string { return condition(v1alpha1.ConditionServersHealthy).Message }, readyTimeout, poll).
			Should(Equal("Unavailable: graph-primary-1"), "the operator has seen the server go")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 2 })
		Eventually(func(g Gomega) {
			d := condition(v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).To(Equal("SystemQuorum"))
			g.Expect(d.Message).To(Equal("removing graph-primary-2 would lose the system database's quorum: 1 of its 3 primaries would be online, a majority is 2; bring the others back first"))
		}, readyTimeout, poll).Should(Succeed())
		Consistently(func() int32 { return *statefulSet(ns, "graph-primary").Spec.Replicas }, 3*time.Second, poll).Should(Equal(int32(3)))
		Expect(fake.Commands()[commands:]).To(BeEmpty(), "nothing sent to Neo4j")
		Expect(getCluster(c).Status.Scaling).To(BeNil())
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 3 })
		fake.SetReachable("graph-primary-1", true)
		settled(3, 0)
		Expect(condition(v1alpha1.ConditionDegraded).Status).To(Equal(metav1.ConditionFalse))
	})
})

// refusedSince lists the commands the fake refused, from the n-th on.
func refusedSince(fake *fakecluster.Cluster, n int) []string {
	var out []string
	for _, cmd := range fake.Commands()[n:] {
		if cmd.Code != "" {
			out = append(out, cmd.Text+": "+cmd.Code)
		}
	}
	return out
}

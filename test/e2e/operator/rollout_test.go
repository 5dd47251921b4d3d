package operator_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Rolls against the FAKE Neo4j cluster (internal/testing/fake/cluster), with the
// operator out of process, the real StatefulSet controller (kcm, OnDelete:
// it only recreates what the operator evicts), the disruption controller
// (the Eviction API checks the PodDisruptionBudgets) and kwok. The fake
// takes CatchUp to make a restarted server Available. A sampler records,
// every 50 ms, how many primaries are down (pod missing or not Ready, or
// the fake's server not Available).
var _ = Describe("Rolling pods safely: ordered, health-gated, one eviction per pod, through chaos", Ordered, func() {
	const ns, password = "rolling", "e2e-rolling-password"
	var (
		fake  *fakecluster.Cluster
		opr   *operatorproc.Operator
		c     *v1alpha1.Neo4jEnterpriseCluster
		mu    sync.Mutex
		worst int // most primaries down at once since the last reset
	)
	pods := []string{"graph-primary-0", "graph-primary-1", "graph-primary-2", "graph-secondary-0", "graph-secondary-1"}
	resetWorst := func() int {
		mu.Lock()
		defer mu.Unlock()
		w := worst
		worst = 0
		return w
	}
	condition := func(t string) metav1.Condition {
		if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, t); got != nil {
			return *got
		}
		return metav1.Condition{}
	}
	// evictions are the operator's accepted evictions since, in order.
	evictions := func(since time.Time) []string {
		time.Sleep(time.Second) // the audit log is written as responses complete
		events, err := cluster.AuditEvents(localcluster.AuditFilter{Verb: "create", Resource: "pods", Subresource: "eviction",
			Namespace: ns, User: operatorproc.User, Succeeded: true, Since: since})
		Expect(err).NotTo(HaveOccurred())
		sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
		var out []string
		for _, e := range events {
			out = append(out, e.Name)
		}
		return out
	}
	rolledAll := func() {
		Eventually(func(g Gomega) {
			got := getCluster(c)
			g.Expect(got.Status.Rollout).To(BeNil())
			for _, name := range []string{"graph-primary", "graph-secondary"} {
				s := &appsv1.StatefulSet{}
				g.Expect(admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
				g.Expect(s.Status.ObservedGeneration).To(Equal(s.Generation))
				g.Expect(s.Status.UpdatedReplicas).To(Equal(*s.Spec.Replicas), name)
				g.Expect(s.Status.ReadyReplicas).To(Equal(*s.Spec.Replicas), name)
			}
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(condition(v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), "%s; the fake: leader %s, %+v",
				condition(v1alpha1.ConditionReady).Message, fake.Leader(), fake.Servers())
		}, 3*readyTimeout, poll).Should(Succeed())
	}
	// restart stamps restartedAt and waits until both StatefulSets have
	// a new update revision (the annotation moves no generation, so
	// rolledAll alone could pass before the roll began).
	restart := func() {
		from := map[string]string{}
		for _, name := range []string{"graph-primary", "graph-secondary"} {
			from[name] = statefulSet(ns, name).Status.UpdateRevision
		}
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			if f.Annotations == nil {
				f.Annotations = map[string]string{}
			}
			f.Annotations[v1alpha1.AnnotationRestartedAt] = time.Now().Format(time.RFC3339Nano)
		})
		Eventually(func(g Gomega) {
			for name, rev := range from {
				s := &appsv1.StatefulSet{}
				g.Expect(admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
				g.Expect(s.Status.UpdateRevision).NotTo(Equal(rev), name)
			}
		}, readyTimeout, 50*time.Millisecond).Should(Succeed())
	}
	// once checks that each pod was evicted exactly once.
	once := func(got []string) {
		counts := map[string]int{}
		for _, p := range got {
			counts[p]++
		}
		for _, p := range pods {
			ExpectWithOffset(1, counts[p]).To(Equal(1), "evictions of %s in %v", p, got)
		}
		ExpectWithOffset(1, got).To(HaveLen(len(pods)))
	}
	// expectedOrder: secondaries highest first, then primaries leading
	// nothing (highest first), the system leader last.
	expectedOrder := func() []string {
		leader := fake.Leader()
		out := []string{"graph-secondary-1", "graph-secondary-0"}
		for _, p := range []string{"graph-primary-2", "graph-primary-1", "graph-primary-0"} {
			if p != leader {
				out = append(out, p)
			}
		}
		return append(out, leader)
	}

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		fake = fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, Deallocation: 2 * time.Second,
			DefaultPrimaries: 3, DefaultSecondaries: 2, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		resolve := filepath.Join(cluster0Dir(), "neo4j-resolve-rolling")
		Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
		wctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go fake.FollowPods(wctx, admin, ns, "cluster.local", resolve)
		go func() { // the sampler
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case <-t.C:
				}
				down := primariesDown(wctx, ns, fake)
				mu.Lock()
				worst = max(worst, down)
				mu.Unlock()
			}
		}()
		opr = &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster0Dir(), "logs", "operator-rolling.log"),
			Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-elect=false",
				"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=500ms",
				"--neo4j-timeout=2s", "--rollout-stuck-after=10s"}}
		Expect(opr.Start(ctx)).To(Succeed())
		DeferCleanup(func() { opr.Stop() })

		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 2}
		Expect(admin.Create(ctx, c)).To(Succeed())
		rolledAll()
	})

	It("rolls 3+2 on a config change: secondaries first, the system leader last, each pod evicted once, never two primaries down", func() {
		revP, revS := revisions(ns, "graph-primary"), revisions(ns, "graph-secondary")
		want := expectedOrder()
		since, start := time.Now(), time.Now()
		resetWorst()
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "45s"}
		})
		rolledAll()
		took := time.Since(start)
		got := evictions(since)
		once(got)
		Expect(got).To(Equal(want), "the order")
		Expect(podCreates(ns, "graph-", since)).To(Equal(5))
		w := auditWrites(operatorproc.User, since)
		Expect(revisions(ns, "graph-primary")).To(Equal(revP + 1))
		Expect(revisions(ns, "graph-secondary")).To(Equal(revS + 1))
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		rollReport.add("config change (3+2)", got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("is killed (SIGKILL) at random points of a roll, 10 times: each pod evicted once, the roll completes", func() {
		kills := envInt("ROLL_KILLS", 10)
		seed := time.Now().UnixNano()
		GinkgoWriter.Printf("kill seed %d\n", seed)
		rnd := rand.New(rand.NewSource(seed))
		since, start := time.Now(), time.Now()
		resetWorst()
		restart()
		for i := 0; i < kills; i++ {
			time.Sleep(time.Duration(300+rnd.Intn(2200)) * time.Millisecond)
			opr.Kill()
			Expect(opr.Start(ctx)).To(Succeed())
		}
		rolledAll()
		took := time.Since(start)
		got := evictions(since)
		once(got)
		Expect(podCreates(ns, "graph-", since)).To(Equal(5))
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		w := auditWrites(operatorproc.User, since)
		rollReport.add(fmt.Sprintf("operator SIGKILLed %d times", kills), got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("beside a second writer patching the StatefulSets' metadata every 100 ms: few 409s, one revision each", func() {
		revP, revS := revisions(ns, "graph-primary"), revisions(ns, "graph-secondary")
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			for i := 0; wctx.Err() == nil; i++ {
				for _, name := range []string{"graph-primary", "graph-secondary"} {
					patch := fmt.Sprintf(`{"metadata":{"annotations":{"e2e.example/writer":"%d"}}}`, i)
					_ = admin.Patch(wctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
						client.RawPatch(types.MergePatchType, []byte(patch)))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		since, start := time.Now(), time.Now()
		resetWorst()
		restart()
		rolledAll()
		stop()
		took := time.Since(start)
		got := evictions(since)
		once(got)
		w := auditWrites(operatorproc.User, since)
		Expect(w.Conflicts).To(BeNumerically("<=", 5), "409s: %v", w.Details)
		Expect(revisions(ns, "graph-primary")).To(Equal(revP + 1))
		Expect(revisions(ns, "graph-secondary")).To(Equal(revS + 1))
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		rollReport.add("a second writer every 100 ms", got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("with two operator replicas electing a leader, the leader SIGKILLed mid-roll: the new leader resumes, no pod evicted twice", func() {
		opr.Stop()
		replica := func(i int) *operatorproc.Operator {
			args := []string{"--leader-election-id=neo4j-operator-rolling"}
			for _, a := range opr.Args {
				if a != "--leader-elect=false" {
					args = append(args, a)
				}
			}
			return &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig, Args: args,
				LogPath: filepath.Join(cluster0Dir(), "logs", fmt.Sprintf("operator-rolling-replica-%d.log", i))}
		}
		a, b := replica(1), replica(2)
		Expect(a.Start(ctx)).To(Succeed())
		Expect(b.Start(ctx)).To(Succeed())
		defer func() {
			a.Stop()
			b.Stop()
			Expect(opr.Start(ctx)).To(Succeed())
		}()
		evicted := func(o *operatorproc.Operator) float64 {
			m, err := o.Metrics()
			if err != nil {
				return 0
			}
			return m["neo4j_operator_rollout_steps_total"]
		}
		since, start := time.Now(), time.Now()
		resetWorst()
		restart()
		Eventually(func() []string { return evictionsNow(ns, since) }, readyTimeout, 50*time.Millisecond).ShouldNot(BeEmpty())
		leader, follower := a, b
		if evicted(b) > 0 {
			leader, follower = b, a
		}
		Expect(evicted(leader)).To(BeNumerically(">", 0))
		Expect(evicted(follower)).To(BeZero())
		leader.Kill()
		rolledAll()
		took := time.Since(start)
		Expect(evicted(follower)).To(BeNumerically(">", 0), "the new leader carried the roll on")
		got := evictions(since)
		once(got)
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		w := auditWrites(operatorproc.User, since)
		rollReport.add("two replicas, the leader SIGKILLed after the first eviction", got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("survives a control-plane restart (kube-apiserver, kube-scheduler) mid-roll: the roll resumes, no pod evicted twice", func() {
		since, start := time.Now(), time.Now()
		resetWorst()
		restart()
		Eventually(func() []string { return evictionsNow(ns, since) }, readyTimeout, 50*time.Millisecond).ShouldNot(BeEmpty())
		// The scheduler goes with it: kube-scheduler 1.37 lost a pod
		// created right after an apiserver restart ("Scheduler cache is
		// corrupted") and never bound it, in 1 of 1 runs; a control-plane
		// node reboot restarts both anyway.
		Expect(cluster.Restart(ctx, "kube-apiserver", "kube-scheduler")).To(Succeed())
		// The other suites' operator elects a leader; with the apiserver
		// down longer than its renew deadline it loses the Lease and exits
		// (now or in a few seconds), as controller-runtime managers do. Its
		// Deployment would start it again: the test restarts it either way.
		GinkgoWriter.Printf("the leader-elected operator had exited: %v\n", op.Exited())
		Expect(op.Restart(ctx)).To(Succeed())
		rolledAll()
		took := time.Since(start)
		got := evictions(since)
		once(got)
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		w := auditWrites(operatorproc.User, since)
		rollReport.add("kube-apiserver (and scheduler) restarted after the first eviction", got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("halts at a server that never becomes Available (RolloutStuck), touches no other pod, and resumes when it is back", func() {
		hold := envDuration("ROLL_STUCK_HOLD", time.Minute)
		since, start := time.Now(), time.Now()
		resetWorst()
		restart()
		first := expectedOrder()[0]
		// The fake holds the first restarted server Unavailable as soon as
		// the operator has evicted it.
		Eventually(func() []string { return evictionsNow(ns, since) }, readyTimeout, 50*time.Millisecond).ShouldNot(BeEmpty())
		fake.SetReachable(first, false)
		Eventually(func(g Gomega) {
			st := condition(v1alpha1.ConditionRolloutStuck)
			g.Expect(st.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(st.Message).To(ContainSubstring(first))
			g.Expect(st.Message).To(ContainSubstring("ServersAvailable"))
		}, readyTimeout, poll).Should(Succeed())
		Expect(getCluster(c).Status.Rollout.Gate).To(ContainSubstring("ServersAvailable"))
		GinkgoWriter.Printf("RolloutStuck: %s\n", condition(v1alpha1.ConditionRolloutStuck).Message)
		halted := time.Now()
		Consistently(func() []string { return evictionsNow(ns, since) }, hold, time.Second).Should(Equal([]string{first}))
		// Halted is calm: the stuck message does not change, so nothing is
		// written while the roll waits.
		held := auditWrites(operatorproc.User, halted)
		Expect(held.Spec+held.Status+held.Other).To(BeZero(), "writes while halted: %+v", held)
		fake.SetReachable(first, true)
		rolledAll()
		took := time.Since(start)
		Expect(condition(v1alpha1.ConditionRolloutStuck).Status).To(Equal(metav1.ConditionFalse))
		got := evictions(since)
		once(got)
		w := auditWrites(operatorproc.User, since)
		down := resetWorst()
		Expect(down).To(BeNumerically("<=", 1))
		rollReport.add(fmt.Sprintf("a server held Unavailable %s", hold.Round(time.Second)), got, down, w.Conflicts, revisionsSince(ns, since), took)
	})

	It("stops between two pods while paused, and resumes", func() {
		since := time.Now()
		restart()
		Eventually(func() []string { return evictionsNow(ns, since) }, readyTimeout, 50*time.Millisecond).ShouldNot(BeEmpty())
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Annotations[v1alpha1.AnnotationPaused] = "true" })
		time.Sleep(2 * time.Second) // a reconcile in flight may still finish its step
		n := len(evictionsNow(ns, since))
		Consistently(func() int { return len(evictionsNow(ns, since)) }, "15s", time.Second).Should(Equal(n))
		Expect(n).To(BeNumerically("<", 5))
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { delete(f.Annotations, v1alpha1.AnnotationPaused) })
		rolledAll()
		once(evictions(since))
	})

	It("is calm after rolling: 20 s, no API writes, no evictions", func() {
		since := time.Now()
		time.Sleep(20 * time.Second)
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec+w.Status+w.Other).To(BeZero(), "%v", w.Details)
		Expect(evictionsNow(ns, since)).To(BeEmpty())
	})

	AfterAll(func() { rollReport.print(GinkgoWriter); rollReport.print(os.Stdout) })
})

// revisionsSince counts the ControllerRevisions created in a namespace.
func revisionsSince(ns string, since time.Time) int {
	return auditCount(localcluster.AuditFilter{Verb: "create", Resource: "controllerrevisions", Namespace: ns, Succeeded: true, Since: since})
}

// evictionsNow lists the accepted evictions in a namespace since then.
func evictionsNow(ns string, since time.Time) []string {
	events, err := cluster.AuditEvents(localcluster.AuditFilter{Verb: "create", Resource: "pods", Subresource: "eviction",
		Namespace: ns, Succeeded: true, Since: since})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Name)
	}
	return out
}

// primariesDown counts the primaries down now: pod missing, terminating
// or not Ready, or its server not Available in the fake.
func primariesDown(ctx context.Context, ns string, fake *fakecluster.Cluster) int {
	list := &corev1.PodList{}
	if admin.List(ctx, list, client.InNamespace(ns)) != nil {
		return 0
	}
	up := map[string]bool{}
	for _, p := range list.Items {
		ready := p.DeletionTimestamp == nil
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				ready = ready && c.Status == corev1.ConditionTrue
			}
		}
		up[p.Name] = ready
	}
	down := 0
	for _, s := range fake.Servers() {
		if strings.Contains(s.Name, "-primary-") && (!up[s.Name] || s.Health != "Available") {
			down++
		}
	}
	return down
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// rollReport collects the chaos figures docs/benchmarks.md quotes.
var rollReport = &rolls{}

type rolls struct{ rows []string }

func (r *rolls) add(scenario string, evicted []string, down, conflicts, revisions int, took time.Duration) {
	per := map[string]int{}
	for _, p := range evicted {
		per[p]++
	}
	most := 0
	for _, n := range per {
		most = max(most, n)
	}
	r.rows = append(r.rows, fmt.Sprintf("| %s | %d (max %d per pod) | %d | %d | %d | %.1f s |",
		scenario, len(evicted), most, down, conflicts, revisions, took.Seconds()))
}

func (r *rolls) print(w interface{ Write([]byte) (int, error) }) {
	fmt.Fprintln(w, "| scenario | evictions | max primaries down | operator 409s | revisions | time |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, row := range r.rows {
		fmt.Fprintln(w, row)
	}
}

package operator_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/doctor"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// podCreates counts pod creations by the StatefulSet controller for pods
// whose name starts with prefix: one per pod replaced.
func podCreates(ns, prefix string, since time.Time) int {
	return auditCount(localcluster.AuditFilter{Verb: "create", Resource: "pods", Namespace: ns, Succeeded: true, Since: since,
		// Subresource "": the pod itself, not the scheduler's pods/binding.
		Match: func(e localcluster.AuditEvent) bool { return e.Subresource == "" && strings.HasPrefix(e.Name, prefix) }})
}

// settledMetrics scrapes the operator once its write counters have held
// still for 2 s, so that no write falls between a scrape and an audit
// read.
func settledMetrics() map[string]float64 {
	var last map[string]float64
	EventuallyWithOffset(1, func(g Gomega) {
		m, err := op.Metrics()
		g.Expect(err).NotTo(HaveOccurred())
		prev := last
		last = m
		g.Expect(prev).NotTo(BeNil())
		g.Expect(m["neo4j_operator_writes_total"]).To(Equal(prev["neo4j_operator_writes_total"]))
	}, readyTimeout, 2*time.Second).Should(Succeed())
	time.Sleep(time.Second) // the audit log is written as responses complete
	return last
}

// rolled waits until a StatefulSet has a new update revision (not from)
// and has rolled every pod to it.
func rolled(ns, name, from string) {
	EventuallyWithOffset(1, func(g Gomega) {
		s := statefulSet(ns, name)
		g.Expect(s.Status.UpdateRevision).NotTo(Equal(from))
		g.Expect(s.Status.ObservedGeneration).To(Equal(s.Generation))
		g.Expect(s.Status.UpdatedReplicas).To(Equal(*s.Spec.Replicas))
		g.Expect(s.Status.ReadyReplicas).To(Equal(*s.Spec.Replicas))
		// OnDelete: the StatefulSet's currentRevision never moves; the
		// pods' revision labels say it all.
		list := &corev1.PodList{}
		g.Expect(admin.List(ctx, list, client.InNamespace(ns), client.MatchingLabels(s.Spec.Selector.MatchLabels))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(int(*s.Spec.Replicas)))
		for _, p := range list.Items {
			g.Expect(p.Labels["controller-revision-hash"]).To(Equal(s.Status.UpdateRevision), p.Name)
		}
	}, readyTimeout, poll).Should(Succeed())
}

var _ = Describe("The operator on a real StatefulSet controller", Ordered, func() {
	const ns = "seed"
	var c *v1alpha1.Neo4jEnterpriseCluster
	primary, secondary := "seed-primary", "seed-secondary"

	BeforeAll(func() {
		c = seedCluster(ns) // the namespace is made in BeforeSuite
		Expect(admin.Create(ctx, c)).To(Succeed())
	})

	It("forms the seed's topology: 3 primaries and 3 secondaries Ready, one revision each", func() {
		waitReady(c)
		for _, s := range []string{primary, secondary} {
			Expect(podUIDs(ns, s)).To(HaveLen(3), s)
			Expect(revisions(ns, s)).To(Equal(1), s)
		}
		Expect(getCluster(c).Status.ReadyServers).To(Equal("6/6"))
	})

	It("stays calm under perturbation: 0 revisions, 0 pod deletions, 0 operator spec writes", func() {
		revs := map[string]int{primary: revisions(ns, primary), secondary: revisions(ns, secondary)}
		uids := map[string]map[types.UID]bool{}
		for _, s := range []string{primary, secondary} {
			uids[s] = map[types.UID]bool{}
			for _, u := range podUIDs(ns, s) {
				uids[s][u] = true
			}
		}
		since := time.Now()
		d := perturbDuration()
		n := perturbation{cluster: c, statefulSets: []string{primary, secondary}, restart: func() {
			Expect(op.Restart(ctx)).To(Succeed())
		}}.run(d)
		waitReady(c)

		f := measure(ns, operatorproc.User, since)
		w := f.writes
		GinkgoWriter.Printf("operator writes under perturbation: %+v\n", w)
		Expect(revisions(ns, primary) + revisions(ns, secondary)).To(Equal(revs[primary] + revs[secondary]))

		report.add(fmt.Sprintf("perturbed for %s: %d flips, %d sts patches, %d edits, %d restarts", d, n.flips, n.stsPatches, n.clusterEdits, n.restarts), "", "")
		report.record(false, f)

		Expect(f.revisions).To(BeZero())
		Expect(f.podDeletes).To(BeZero())
		for _, s := range []string{primary, secondary} {
			for _, u := range podUIDs(ns, s) {
				Expect(uids[s]).To(HaveKey(u), "a pod of %s was replaced", s)
			}
		}
		Expect(w.Spec).To(BeZero(), "operator spec writes: %v", w.Details)

		in, err := doctor.Gather(ctx, admin, ns, time.Since(since), time.Now())
		Expect(err).NotTo(HaveOccurred())
		dr := doctor.Examine(in)
		doctorReports = append(doctorReports, "$ kubectl neo4j doctor -n "+ns+" --since "+time.Since(since).Round(time.Second).String()+"\n"+doctor.Print(dr))
		Expect(dr.Churning).To(BeFalse(), doctor.Print(dr))
	})

	It("rolls exactly the affected StatefulSet once on a spec change, and counts its writes as the API server saw them", func() {
		revP, revS := revisions(ns, primary), revisions(ns, secondary)
		uidsP := podUIDs(ns, primary)
		from := statefulSet(ns, secondary).Status.UpdateRevision
		counted := "neo4j_operator_cluster_writes_total{name=" + c.Name + "}{namespace=" + ns + "}"
		before := settledMetrics()
		since := time.Now()
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Secondary.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("2Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")},
			}
		})
		rolled(ns, secondary, from)
		waitReady(c)
		Expect(revisions(ns, secondary)).To(Equal(revS + 1))
		Expect(podCreates(ns, secondary+"-", since)).To(Equal(3), "each secondary replaced exactly once")
		Expect(revisions(ns, primary)).To(Equal(revP))
		Expect(podUIDs(ns, primary)).To(Equal(uidsP))
		Expect(podCreates(ns, primary+"-", since)).To(BeZero())

		By("the counting client (apply.Counted), whose figures the docs quote, agrees with the audit log")
		after := settledMetrics()
		seen := auditCount(localcluster.AuditFilter{User: operatorproc.User, Namespace: ns, Succeeded: true, Since: since,
			Match: func(e localcluster.AuditEvent) bool {
				return e.Resource != "events" && e.Resource != "leases" && slices.Contains([]string{"create", "update", "patch", "delete"}, e.Verb)
			}})
		GinkgoWriter.Printf("writes for the roll: %v counted by the operator, %d in the audit log\n", after[counted]-before[counted], seen)
		Expect(seen).To(BeNumerically(">=", 4), "at least the StatefulSet, 3 evictions")
		Expect(after[counted] - before[counted]).To(Equal(float64(seen)))
	})

	It("lets kubectl rollout restart roll once, without a fight", func() {
		rev := revisions(ns, primary)
		from := statefulSet(ns, primary).Status.UpdateRevision
		since := time.Now()
		patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
		Expect(admin.Patch(ctx, statefulSet(ns, primary), client.RawPatch(types.StrategicMergePatchType, []byte(patch)))).To(Succeed())
		rolled(ns, primary, from)
		waitReady(c)
		Consistently(func() int { return revisions(ns, primary) }, "3s", poll).Should(Equal(rev + 1))
		Expect(podCreates(ns, primary+"-", since)).To(Equal(3))
		Expect(statefulSet(ns, primary).Spec.Template.Annotations).To(HaveKey("kubectl.kubernetes.io/restartedAt"))
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec).To(BeZero(), "operator spec writes: %v", w.Details)
	})

	It("with two operator processes at once, only the leader writes", func() {
		second := &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster.Dir, "logs", "operator-2.log"), Args: op.Args}
		Expect(second.Start(ctx)).To(Succeed())
		DeferCleanup(second.Stop)
		before1, err := op.Metrics()
		Expect(err).NotTo(HaveOccurred())
		before2, err := second.Metrics()
		Expect(err).NotTo(HaveOccurred())

		fromP, fromS := statefulSet(ns, primary).Status.UpdateRevision, statefulSet(ns, secondary).Status.UpdateRevision
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "45s"}
		})
		rolled(ns, primary, fromP)
		rolled(ns, secondary, fromS)
		waitReady(c)

		after1, err := op.Metrics()
		Expect(err).NotTo(HaveOccurred())
		after2, err := second.Metrics()
		Expect(err).NotTo(HaveOccurred())
		Expect(after1["neo4j_operator_writes_total"] - before1["neo4j_operator_writes_total"]).To(BeNumerically(">=", 3)) // ConfigMap, 2 StatefulSets
		Expect(after2["neo4j_operator_writes_total"] - before2["neo4j_operator_writes_total"]).To(BeZero())
		Expect(after2["controller_runtime_reconcile_total"] - before2["controller_runtime_reconcile_total"]).To(BeZero())
	})

	naiveReplay()
})

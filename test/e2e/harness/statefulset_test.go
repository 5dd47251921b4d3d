package harness_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

// testUser is the identity this suite writes as, so its writes can be found
// in the audit log apart from the admin's and the controllers'.
const testUser = "harness-e2e"

var _ = Describe("a StatefulSet on the local cluster", Ordered, func() {
	var (
		cs   kubernetes.Interface
		ns   string
		name = "web"
		// uids records every pod UID seen per pod name, from a watch
		// started before the template change.
		uids   = map[string]map[types.UID]bool{}
		uidsMu sync.Mutex
	)

	BeforeAll(func() {
		cfg, err := cluster.UserConfig(testUser, []string{localcluster.MastersGroup})
		Expect(err).NotTo(HaveOccurred())
		cs, err = kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		ns = fmt.Sprintf("harness-%d", time.Now().UnixNano()%100000)
	})

	It("runs 3 Ready pods with bound claims and one ControllerRevision", func(ctx SpecContext) {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		// Pods are admitted only once the namespace's default ServiceAccount
		// exists; the StatefulSet controller retries, but waiting keeps the
		// timing below about the StatefulSet.
		Eventually(func() error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err
		}).WithContext(ctx).Should(Succeed())

		t0 := time.Now()
		_, err = cs.AppsV1().StatefulSets(ns).Create(ctx, statefulSet(name, 3), metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sts.Status.ReadyReplicas).To(BeEquivalentTo(3))
		}).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
		AddReportEntry("3 pods Ready", time.Since(t0).Round(10*time.Millisecond).String())

		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(pods.Items).To(HaveLen(3))
		nodes := map[string]bool{}
		for _, p := range pods.Items {
			Expect(isReady(&p)).To(BeTrue(), p.Name)
			nodes[p.Spec.NodeName] = true
		}
		Expect(nodes).NotTo(HaveKey(""))

		claims, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(claims.Items).To(HaveLen(3))
		for _, c := range claims.Items {
			Expect(c.Status.Phase).To(Equal(corev1.ClaimBound), c.Name)
			Expect(c.Spec.StorageClassName).To(BeNil(), "no default StorageClass fills the class in")
		}

		Expect(revisions(ctx, cs, ns)).To(Equal(1))
	})

	It("binds a claim of class standard to a pre-created volume of that class", func(ctx SpecContext) {
		claim := statefulSet(name, 1).Spec.VolumeClaimTemplates[0]
		claim.Name = "standard-claim"
		claim.Spec.StorageClassName = &[]string{"standard"}[0]
		_, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &claim, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			c, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, claim.Name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(c.Status.Phase).To(Equal(corev1.ClaimBound))
			pv, err := cs.CoreV1().PersistentVolumes().Get(ctx, c.Spec.VolumeName, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pv.Spec.StorageClassName).To(Equal("standard"))
		}).WithContext(ctx).WithTimeout(30 * time.Second).Should(Succeed())
	})

	It("replaces each pod exactly once on a template change and adds one ControllerRevision", func(ctx SpecContext) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		old := map[string]types.UID{}
		for _, p := range pods.Items {
			old[p.Name] = p.UID
			uids[p.Name] = map[types.UID]bool{p.UID: true}
		}
		w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: pods.ResourceVersion})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(w.Stop)
		go func() {
			defer GinkgoRecover()
			for ev := range w.ResultChan() {
				p, ok := ev.Object.(*corev1.Pod)
				if !ok || ev.Type == watch.Error {
					continue
				}
				uidsMu.Lock()
				if uids[p.Name] == nil {
					uids[p.Name] = map[types.UID]bool{}
				}
				uids[p.Name][p.UID] = true
				uidsMu.Unlock()
			}
		}()

		t0 := time.Now()
		patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"harness/rollout":"%d"}}}}}`, time.Now().UnixNano())
		_, err = cs.AppsV1().StatefulSets(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sts.Status.ObservedGeneration).To(Equal(sts.Generation))
			g.Expect(sts.Status.UpdatedReplicas).To(BeEquivalentTo(3))
			g.Expect(sts.Status.ReadyReplicas).To(BeEquivalentTo(3))
			g.Expect(sts.Status.CurrentRevision).To(Equal(sts.Status.UpdateRevision))
		}).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
		AddReportEntry("rolling update of 3 pods", time.Since(t0).Round(10*time.Millisecond).String())

		Expect(revisions(ctx, cs, ns)).To(Equal(2))

		pods, err = cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(pods.Items).To(HaveLen(3))
		for _, p := range pods.Items {
			Expect(isReady(&p)).To(BeTrue(), p.Name)
			Expect(p.UID).NotTo(Equal(old[p.Name]), "%s was not replaced", p.Name)
		}
		// Let the watch catch up with the list, then every name must have had
		// exactly two pods: the original and its one replacement.
		Eventually(func(g Gomega) {
			uidsMu.Lock()
			defer uidsMu.Unlock()
			for _, p := range pods.Items {
				g.Expect(uids[p.Name]).To(HaveKey(p.UID))
			}
		}).WithContext(ctx).Should(Succeed())
		time.Sleep(500 * time.Millisecond) // a stray extra replacement would show up here
		uidsMu.Lock()
		defer uidsMu.Unlock()
		Expect(uids).To(HaveLen(3))
		for n, set := range uids {
			Expect(set).To(HaveLen(2), "pod %s had %d incarnations", n, len(set))
		}
	})

	It("shows each author's writes in the audit log", func(ctx SpecContext) {
		count := func(f localcluster.AuditFilter) func() (int, error) {
			return func() (int, error) {
				f.Succeeded = true
				ev, err := cluster.AuditEvents(f)
				return len(ev), err
			}
		}
		// The suite's own writes, attributed to its own identity.
		Eventually(count(localcluster.AuditFilter{User: testUser, Verb: "create", Resource: "namespaces", Name: ns})).WithContext(ctx).Should(Equal(1))
		Eventually(count(localcluster.AuditFilter{User: testUser, Verb: "create", Resource: "statefulsets", Namespace: ns})).WithContext(ctx).Should(Equal(1))
		Eventually(count(localcluster.AuditFilter{User: testUser, Verb: "patch", Resource: "statefulsets", Namespace: ns, Name: name})).WithContext(ctx).Should(Equal(1))
		Eventually(count(localcluster.AuditFilter{User: testUser, Verb: "create", Resource: "persistentvolumeclaims", Namespace: ns})).WithContext(ctx).Should(Equal(1))
		Expect(count(localcluster.AuditFilter{User: testUser, Namespace: ns})()).To(Equal(3), "the suite wrote only the StatefulSet (create, patch) and one claim in its namespace")

		// The StatefulSet controller created 3 pods, then 3 replacements,
		// and deleted the 3 old ones; kwok (the fake kubelet) finished each
		// deletion exactly once.
		Eventually(count(localcluster.AuditFilter{User: localcluster.ControllerManagerUser, Verb: "create", Resource: "pods", Namespace: ns})).WithContext(ctx).Should(Equal(6))
		Eventually(count(localcluster.AuditFilter{User: localcluster.ControllerManagerUser, Verb: "delete", Resource: "pods", Namespace: ns})).WithContext(ctx).Should(Equal(3))
		Eventually(count(localcluster.AuditFilter{User: localcluster.KwokUser, Verb: "delete", Resource: "pods", Namespace: ns})).WithContext(ctx).Should(Equal(3))
		Eventually(count(localcluster.AuditFilter{User: localcluster.ControllerManagerUser, Verb: "create", Resource: "controllerrevisions", Namespace: ns})).WithContext(ctx).Should(Equal(2))
	})
})

func statefulSet(name string, replicas int32) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: name,
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:         "main",
						Image:        "registry.k8s.io/pause:3.10",
						VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
					}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
					},
				},
			}},
		},
	}
}

func revisions(ctx context.Context, cs kubernetes.Interface, ns string) int {
	list, err := cs.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
	Expect(err).NotTo(HaveOccurred())
	return len(list.Items)
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

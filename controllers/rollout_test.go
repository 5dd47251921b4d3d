package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Rolls through the Eviction API on a real API server. envtest runs no
// StatefulSet controller, no disruption controller and no kubelet: the
// test plays them (StatefulSet status, pods, the budget's status), so the
// refusal of a budget that has not been computed yet is real.
var _ = Describe("A roll through the Eviction API", func() {
	It("records the pod before evicting it, waits on a budget's refusal, then evicts it once", func() {
		r := directReconciler(env.Client)
		c := newCluster(directNS, "rolling", 3, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		reconcileNow(r, c)
		s := sts(c, "primary")
		s.Status = appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: 3, ReadyReplicas: 3,
			UpdateRevision: "rolling-primary-new", CurrentRevision: "rolling-primary-old"}
		Expect(env.Client.Status().Update(ctx, s)).To(Succeed())
		for i := 0; i < 3; i++ {
			makePod(s, fmt.Sprintf("rolling-primary-%d", i), "rolling-primary-old")
		}

		By("the budget has no status yet: the API refuses the eviction (429)")
		reconcileNow(r, c)
		ro := getCluster(c).Status.Rollout
		Expect(ro).NotTo(BeNil())
		Expect(ro.Pod).To(Equal("rolling-primary-2"))
		Expect(ro.Pending).To(Equal([]string{"rolling-primary-1", "rolling-primary-0"}))
		Expect(ro.Revisions).To(Equal([]v1alpha1.RolloutRevision{{StatefulSet: "rolling-primary", From: "rolling-primary-old", To: "rolling-primary-new"}}))
		reconcileNow(r, c)
		ro = getCluster(c).Status.Rollout
		Expect(ro.Gate).To(HavePrefix("EvictionAllowed: "), "%+v", ro)
		Expect(ro.Step).To(Equal(v1alpha1.RolloutEvict))
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: "rolling-primary-2"}, &corev1.Pod{})).To(Succeed())
		writes := allWrites()
		reconcileNow(r, c) // the same refusal again: no new write
		Expect(allWrites()).To(Equal(writes))

		By("the budget allows one disruption: the recorded pod is evicted")
		pdb := &policyv1.PodDisruptionBudget{}
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: render.PDBName(c, "primary")}, pdb)).To(Succeed())
		pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 1,
			CurrentHealthy: 3, DesiredHealthy: 2, ExpectedPods: 3}
		Expect(env.Client.Status().Update(ctx, pdb)).To(Succeed())
		reconcileNow(r, c)
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: "rolling-primary-2"}, &corev1.Pod{}))
		}).Should(BeTrue())
		Expect(writesOf("Pod", "evict")).To(BeNumerically(">=", 1))
		evicted := writesOf("Pod", "evict")

		By("no replacement yet: the roll waits and evicts nothing else")
		for range 3 {
			reconcileNow(r, c)
		}
		ro = getCluster(c).Status.Rollout
		Expect(ro.Step).To(Equal(v1alpha1.RolloutWaitHealthy))
		Expect(ro.Gate).To(Equal("PodsReady: rolling-primary-2 does not exist"))
		Expect(writesOf("Pod", "evict")).To(Equal(evicted))

		By("the replacement, at the new revision and Ready: the next pod")
		makePod(s, "rolling-primary-2", "rolling-primary-new")
		reconcileNow(r, c)
		ro = getCluster(c).Status.Rollout
		Expect(ro.Done).To(Equal([]string{"rolling-primary-2"}))
		Expect(ro.Pod).To(Equal("rolling-primary-1"))
	})
})

// makePod creates a Ready pod of a StatefulSet at a revision.
func makePod(s *appsv1.StatefulSet, name, revision string) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name,
		Labels: map[string]string{render.LabelCluster: s.Labels[render.LabelCluster], render.LabelRole: s.Labels[render.LabelRole],
			appsv1.ControllerRevisionHashLabelKey: revision},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: s.Name, UID: s.UID, Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "neo4j", Image: "neo4j"}}}}
	ExpectWithOffset(1, env.Client.Create(ctx, p)).To(Succeed())
	// Running: the Eviction API does not ask the budget about Pending pods.
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	ExpectWithOffset(1, env.Client.Status().Update(ctx, p)).To(Succeed())
}

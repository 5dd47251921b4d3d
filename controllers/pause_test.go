package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/expectations"
)

var _ = Describe("The operator's own annotations", Ordered, func() {
	var c *v1alpha1.Neo4jEnterpriseCluster
	BeforeAll(func() {
		c = newCluster(managedNS, "annotated", 3, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
	})

	It("pause stops every write to the cluster's objects until it is removed", func() {
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, v1alpha1.AnnotationPaused, "true")
		})
		Eventually(func() v1alpha1.ClusterPhase { return getCluster(c).Status.Phase }, timeout, interval).Should(Equal(v1alpha1.PhasePaused))
		before := resourceVersions(owned(c))
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Image.Tag = "2025.11.0-enterprise" })
		s := sts(c, "primary")
		s.Spec.Template.Spec.Containers[0].Image = "neo4j:drifted"
		Expect(env.Client.Update(ctx, s)).To(Succeed()) // drift while paused stays
		before["StatefulSet/annotated-primary"] = sts(c, "primary").ResourceVersion
		Consistently(func() map[string]string { return resourceVersions(owned(c)) }, "1500ms", interval).Should(Equal(before))

		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { delete(f.Annotations, v1alpha1.AnnotationPaused) })
		Eventually(func() string { return sts(c, "primary").Spec.Template.Spec.Containers[0].Image }, timeout, interval).
			Should(Equal("neo4j:2025.11.0-enterprise"))
		Eventually(func() bool {
			return meta.IsStatusConditionTrue(getCluster(c).Status.Conditions, v1alpha1.ConditionProgressing)
		}, timeout, interval).Should(BeTrue())
	})

	It("restartedAt rolls the servers once, through the pod template", func() {
		gen := sts(c, "primary").Generation
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, v1alpha1.AnnotationRestartedAt, "2026-11-26T01:00:00Z")
		})
		Eventually(func() map[string]string { return sts(c, "primary").Spec.Template.Annotations }, timeout, interval).
			Should(HaveKeyWithValue(v1alpha1.AnnotationRestartedAt, "2026-11-26T01:00:00Z"))
		Consistently(func() int64 { return sts(c, "primary").Generation }, "1s", interval).Should(Equal(gen + 1))

		// A second, new stamp rolls again: the live stamp is kept only
		// when the cluster sets none.
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, v1alpha1.AnnotationRestartedAt, "2026-11-26T02:00:00Z")
		})
		Eventually(func() map[string]string { return sts(c, "primary").Spec.Template.Annotations }, timeout, interval).
			Should(HaveKeyWithValue(v1alpha1.AnnotationRestartedAt, "2026-11-26T02:00:00Z"))
		Consistently(func() int64 { return sts(c, "primary").Generation }, "1s", interval).Should(Equal(gen + 2))
	})
})

// Issue 27: a deleted cluster's expectations are forgotten whether or not
// the operator observes Neo4j (they leaked with --neo4j-observe=false).
var _ = Describe("A deleted cluster", func() {
	It("leaves no expectations behind, observation off", func() {
		r := directReconciler(env.Client)
		r.Observers, r.Expectations = nil, expectations.New()
		key := types.NamespacedName{Namespace: "default", Name: "never-existed"}
		r.Expectations.Expect(key, "StatefulSet/never-existed-primary", 3)
		_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
		Expect(err).NotTo(HaveOccurred())
		unseen := func(string) (int64, bool) { return 0, false }
		Expect(r.Expectations.Satisfied(key, unseen)).To(BeTrue(), "an expectation of the deleted cluster is still held")
	})
})

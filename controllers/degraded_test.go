package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

func expectDegraded(c *v1alpha1.Neo4jEnterpriseCluster, reason, mentions string) {
	EventuallyWithOffset(1, func(g Gomega) {
		cond := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
		g.Expect(cond).NotTo(BeNil())
		g.Expect(cond.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(cond.Reason).To(Equal(reason))
		g.Expect(cond.Message).To(ContainSubstring(mentions))
		g.Expect(events(c)).To(ContainElement(And(HavePrefix("Warning/"+reason), ContainSubstring(mentions))))
	}, timeout, interval).Should(Succeed())
}

var _ = Describe("Problems the user must fix", func() {
	It("a config key that is not a setting name: Degraded, nothing created", func() {
		c := newCluster(managedNS, "badkey", 3, 0)
		c.Spec.Config = v1alpha1.Neo4jConfig{"DB.Transaction": "x"}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		expectDegraded(c, "InvalidSpec", `config key "DB.Transaction" is not a neo4j.conf setting name`)
		Expect(owned(c)).To(BeEmpty())
	})

	It("an object of the same name that the cluster does not control: left alone and named", func() {
		foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: managedNS, Name: "squatted-config"},
			Data: map[string]string{"mine": "yes"}}
		Expect(env.Client.Create(ctx, foreign)).To(Succeed())
		c := newCluster(managedNS, "squatted", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		expectDegraded(c, "ObjectNotOwned", "calm/squatted-config")
		got := &corev1.ConfigMap{}
		Expect(env.Client.Get(ctx, key(foreign), got)).To(Succeed())
		Expect(got.Data).To(Equal(map[string]string{"mine": "yes"}))
		Expect(got.OwnerReferences).To(BeEmpty())
		Expect(owned(c)).To(HaveKey("StatefulSet/squatted-primary")) // the rest is applied
	})

	It("a storage size change: reported, the StatefulSet kept, the rest still applied", func() {
		c := newCluster(managedNS, "resized", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
		uid := sts(c, "primary").UID
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			q := resource.MustParse("50Gi")
			f.Spec.Storage.Data.Size = &q
			f.Spec.Image.Tag = "2025.11.0-enterprise"
		})
		expectDegraded(c, "ImmutableFieldChanged", "volume claim templates are immutable")
		s := sts(c, "primary")
		Expect(s.UID).To(Equal(uid))
		Expect(s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String()).To(Equal("10Gi"))
		Expect(s.Spec.Template.Spec.Containers[0].Image).To(Equal("neo4j:2025.11.0-enterprise"))
	})
})

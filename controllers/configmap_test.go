package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// A ConfigMap per config revision: a pod of the old revision that restarts
// in the middle of a roll reads its own configuration, not the new one.
var _ = Describe("A ConfigMap per config revision", func() {
	It("keeps the old ConfigMap while a pod mounts it, then prunes it", func() {
		r := directReconciler(env.Client)
		c := newCluster(directNS, "revisions", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		reconcileNow(r, c)
		configOf := func() string {
			for _, v := range sts(c, "primary").Spec.Template.Spec.Volumes {
				if v.ConfigMap != nil {
					return v.ConfigMap.Name
				}
			}
			return ""
		}
		old := configOf()
		Expect(old).To(HavePrefix("revisions-primary-config-"))

		// A pod of the first revision (envtest runs no kubelet: it only
		// has to exist and mount the ConfigMap).
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: "revisions-primary-0",
			Labels: map[string]string{render.LabelCluster: c.Name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "neo4j", Image: "neo4j"}},
				Volumes: []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{
					ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: old}}}}}}}
		Expect(env.Client.Create(ctx, pod)).To(Succeed())

		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "10s"}
		})
		reconcileNow(r, c)
		next := configOf()
		Expect(next).To(HavePrefix("revisions-primary-config-"))
		Expect(next).NotTo(Equal(old), "a setting that needs a restart is a new ConfigMap")
		cm := &corev1.ConfigMap{}
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: old}, cm)).To(Succeed(), "still mounted: kept")
		Expect(cm.Data["neo4j.conf"]).NotTo(ContainSubstring("db.transaction.timeout"), "the old revision's content, untouched")
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: next}, cm)).To(Succeed())
		Expect(cm.Data["neo4j.conf"]).To(ContainSubstring("db.transaction.timeout=10s"))

		writes := allWrites()
		for range 5 {
			reconcileNow(r, c)
		}
		Expect(allWrites()-writes).To(BeZero(), "waiting for the pod writes nothing")

		Expect(env.Client.Delete(ctx, pod)).To(Succeed())
		reconcileNow(r, c)
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: old}, cm)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "pruned once no pod mounts it: %v", err)
	})
})

package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Clusters created by the previous operator version have pods that would
// not form a cluster (bare-hostname advertised addresses, the password in
// the environment) and headless internals Services. Upgrading the operator
// rolls them once: one write per StatefulSet, and each internals Service
// replaced, since a Service's clusterIP is immutable.
var _ = Describe("Upgrading from the previous operator's objects", func() {
	It("updates an old-shape StatefulSet in exactly one write and replaces headless internals Services once", func() {
		c := newCluster(directNS, "upgraded", 3, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		r := directReconciler(env.Client)
		reconcileNow(r, c)

		// The previous version's shape.
		old := sts(c, "primary")
		t := &old.Spec.Template.Spec
		t.Volumes = t.Volumes[:1]
		t.Containers[0].VolumeMounts = t.Containers[0].VolumeMounts[:1]
		t.Containers[0].Env = []corev1.EnvVar{
			{Name: "NEO4J_AUTH", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "upgraded-auth"}, Key: "NEO4J_AUTH"}}},
			{Name: "NEO4J_server_default__advertised__address", Value: "$(POD_NAME)-internals.$(POD_NAMESPACE).svc.cluster.local"},
		}
		old.Spec.Template.Annotations[render.AnnotationConfigHash] = "0123456789abcdef"
		Expect(env.Client.Update(ctx, old)).To(Succeed())
		oldGeneration := sts(c, "primary").Generation
		for i := range 3 {
			name := render.InternalsServiceName(c, "primary", int32(i))
			svc := &corev1.Service{}
			Expect(env.Client.Get(ctx, key(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: name}}), svc)).To(Succeed())
			Expect(env.Client.Delete(ctx, svc)).To(Succeed())
			headless := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: name, Labels: svc.Labels,
				OwnerReferences: svc.OwnerReferences}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
				Selector: svc.Spec.Selector, PublishNotReadyAddresses: true,
				Ports: []corev1.ServicePort{{Name: "backup", Port: 6362, TargetPort: intstr.FromInt32(6362)}}}}
			Expect(env.Client.Create(ctx, headless)).To(Succeed())
		}

		updates, deletes, creates := writesOf("StatefulSet", "update"), writesOf("Service", "delete"), writesOf("Service", "create")
		// One Service replacement per reconcile, each asking to come back
		// soon: a server's peers never lose all internals Services at once.
		for i := range 3 {
			res, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: key(c)})
			Expect(err).NotTo(HaveOccurred())
			Expect(writesOf("Service", "delete") - deletes).To(BeEquivalentTo(i + 1))
			Expect(writesOf("Service", "create") - creates).To(BeEquivalentTo(i + 1))
			if i < 2 {
				Expect(res.RequeueAfter).To(Equal(2 * time.Second))
			}
		}
		Expect(writesOf("StatefulSet", "update") - updates).To(BeEquivalentTo(1))
		Expect(sts(c, "primary").Generation).To(Equal(oldGeneration + 1)) // one template change: one new revision
		for i := range 3 {
			svc := &corev1.Service{}
			Expect(env.Client.Get(ctx, key(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: directNS,
				Name: render.InternalsServiceName(c, "primary", int32(i))}}), svc)).To(Succeed())
			Expect(svc.Spec.ClusterIP).NotTo(Equal(corev1.ClusterIPNone))
			Expect(svc.Spec.ClusterIP).NotTo(BeEmpty())
		}

		before := specWrites()
		reconcileNow(r, c)
		reconcileNow(r, c)
		Expect(specWrites() - before).To(BeZero())
		Expect(sts(c, "primary").Generation).To(Equal(oldGeneration + 1))
	})
})

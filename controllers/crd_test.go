package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

var _ = Describe("The Neo4jEnterpriseCluster CRD", func() {
	It("is served with its status subresource, short names and category", func() {
		dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
		Expect(err).NotTo(HaveOccurred())
		list, err := dc.ServerResourcesForGroupVersion(v1alpha1.GroupVersion.String())
		Expect(err).NotTo(HaveOccurred())
		names := map[string]metav1.APIResource{}
		for _, r := range list.APIResources {
			names[r.Name] = r
		}
		Expect(names).To(HaveKey("neo4jenterpriseclusters"))
		Expect(names).To(HaveKey("neo4jenterpriseclusters/status"))
		Expect(names["neo4jenterpriseclusters"].ShortNames).To(ConsistOf("n4jc", "neo4jcluster"))
		Expect(names["neo4jenterpriseclusters"].Categories).To(ConsistOf("neo4j"))
		Expect(names["neo4jenterpriseclusters"].Namespaced).To(BeTrue())
	})

	It("round-trips a minimal cluster with the same defaults the renderer applies", func() {
		c := &v1alpha1.Neo4jEnterpriseCluster{
			ObjectMeta: metav1.ObjectMeta{Name: "roundtrip", Namespace: "default"},
			Spec: v1alpha1.Neo4jEnterpriseClusterSpec{
				AcceptLicenseAgreement: "eval",
				Topology:               v1alpha1.Topology{Primaries: 3},
			},
		}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(env.Client.Delete(ctx, c))).To(Succeed()) })

		got := &v1alpha1.Neo4jEnterpriseCluster{}
		Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(c), got)).To(Succeed())
		Expect(got.Spec.Topology.Primaries).To(Equal(int32(3)))
		// The API server's defaults (CRD markers) and the Go defaults the
		// renderer uses must agree, or a render would differ by path.
		// Default resources are the renderer's alone: a Go client sends an
		// empty resources object, which the API server cannot tell from a
		// chosen one, so the CRD has no default for it.
		want := c.WithDefaults().Spec
		Expect(want.Resources).To(Equal(v1alpha1.DefaultResources()))
		want.Resources = corev1.ResourceRequirements{}
		Expect(got.Spec).To(Equal(want))
		Expect(got.Spec.Storage.Data.Size.Cmp(resource.MustParse("10Gi"))).To(BeZero())
		Expect(got.Spec.Image.PullPolicy).To(Equal(corev1.PullIfNotPresent))
	})
})

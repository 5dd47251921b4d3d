package controllers_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

// conflictingClient refuses the first k StatefulSet updates with 409, as the
// API server does when another writer got there first.
func conflictingClient(k int) (client.Client, *int) {
	refused := 0
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: testenv.Scheme})
	Expect(err).NotTo(HaveOccurred())
	return interceptor.NewClient(base, interceptor.Funcs{
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if _, ok := obj.(*appsv1.StatefulSet); ok && refused < k {
				refused++
				return apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, obj.GetName(),
					fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
			}
			return c.Update(ctx, obj, opts...)
		},
	}), &refused
}

var _ = Describe("Writes refused with 409 Conflict", func() {
	DescribeTable("converge, counting exactly the conflicts injected",
		func(k int) {
			c := newCluster(directNS, fmt.Sprintf("conflict-%d", k), 3, 1)
			Expect(env.Client.Create(ctx, c)).To(Succeed())
			plain, _ := conflictingClient(0)
			reconcileNow(directReconciler(plain), c) // creates everything
			Expect(sts(c, "primary").Spec.Template.Spec.Containers[0].Image).To(Equal("neo4j:2025.10.1-enterprise"))

			updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Image.Tag = "2025.11.0-enterprise" })
			cl, refused := conflictingClient(k)
			conflicts, updates := conflictsOf("StatefulSet"), writesOf("StatefulSet", "update")
			gen := sts(c, "primary").Generation
			reconcileNow(directReconciler(cl), c)

			Expect(*refused).To(Equal(k))
			Expect(conflictsOf("StatefulSet") - conflicts).To(Equal(float64(k)))
			Expect(writesOf("StatefulSet", "update") - updates).To(Equal(2.0)) // primary and secondary, once each
			for _, role := range []string{"primary", "secondary"} {
				Expect(sts(c, role).Spec.Template.Spec.Containers[0].Image).To(Equal("neo4j:2025.11.0-enterprise"), role)
			}
			Expect(sts(c, "primary").Generation).To(Equal(gen + 1))

			// And then it is calm again.
			before := writesOf("StatefulSet", "update")
			reconcileNow(directReconciler(plain), c)
			Expect(writesOf("StatefulSet", "update")).To(Equal(before))
		},
		Entry("K=1", 1), Entry("K=2", 2), Entry("K=3", 3), Entry("K=4", 4), Entry("K=5", 5),
	)
})

package controllers_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

func loadSamples() map[string]*v1alpha1.Neo4jEnterpriseCluster {
	paths, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "neo4j_v1alpha1_neo4jenterprisecluster_*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(len(paths)).To(BeNumerically(">=", 3))
	out := map[string]*v1alpha1.Neo4jEnterpriseCluster{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		c := &v1alpha1.Neo4jEnterpriseCluster{}
		Expect(yaml.UnmarshalStrict(data, c)).To(Succeed(), p)
		out[filepath.Base(p)] = c
	}
	return out
}

// The renderer's promise: every field the API server defaults is set, so a
// rendered object read back from a real API server is semantically equal on
// every field the operator owns, and a second apply writes nothing.
var _ = Describe("Rendered objects on a real API server", func() {
	for name, sample := range loadSamples() {
		It("round-trip unchanged: "+name, func() {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "roundtrip-"}}
			Expect(env.Client.Create(ctx, ns)).To(Succeed())
			c := sample.DeepCopy()
			c.Namespace = ns.Name
			Expect(env.Client.Create(ctx, c)).To(Succeed()) // accepted by the CRD's validation
			objs, err := render.Render(getCluster(c))
			Expect(err).NotTo(HaveOccurred())

			a := &apply.Applier{Client: env.Client, APIReader: env.Client, Scheme: testenv.Scheme}
			for _, o := range objs.All() {
				res, err := a.Apply(ctx, c, o)
				Expect(err).NotTo(HaveOccurred())
				Expect(res.Outcome).To(Equal(apply.Created))
			}
			for _, o := range objs.All() {
				res, err := a.Apply(ctx, c, o)
				Expect(err).NotTo(HaveOccurred())
				Expect(res.Outcome).To(Equal(apply.Unchanged), "%T %s differs from its server-defaulted self", o, o.GetName())
				Expect(res.Notes).To(BeEmpty())
			}
		})
	}
})

package controllers_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Bad input is refused at admission with a message that says what to fix.
var _ = Describe("The CRD's validation", func() {
	n := 0
	DescribeTable("refuses an invalid spec with a clear message",
		func(edit func(*v1alpha1.Neo4jEnterpriseCluster), message string) {
			n++
			c := newCluster(directNS, "invalid-"+strings.Repeat("x", n%5+1)+"-"+string(rune('a'+n%26)), 3, 0)
			edit(c)
			err := env.Client.Create(ctx, c)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), err.Error())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("no primaries", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 0 },
			"spec.topology.primaries: Invalid value: 0: spec.topology.primaries in body should be greater than or equal to 1"),
		Entry("too many primaries", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 22 },
			"should be less than or equal to 21"),
		Entry("negative secondaries", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Secondaries = -1 },
			"spec.topology.secondaries"),
		Entry("no license acceptance", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.AcceptLicenseAgreement = "" },
			`spec.acceptLicenseAgreement: Unsupported value: "": supported values: "yes", "eval"`),
		Entry("a license answer that is not yes or eval", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.AcceptLicenseAgreement = "no" },
			`supported values: "yes", "eval"`),
		Entry("an old Neo4j", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Image.Tag = "4.4.30-enterprise" },
			"image.tag must name Neo4j 5.26 or later, or a CalVer 2025.x or later release"),
		Entry("a tag without a version", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Image.Tag = "latest" },
			"image.tag must name Neo4j 5.26 or later"),
		Entry("a malformed digest", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Image.Digest = "sha256:abc" },
			"spec.image.digest"),
		Entry("an unknown pull policy", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Image.PullPolicy = "Sometimes" },
			`spec.image.pullPolicy: Unsupported value: "Sometimes"`),
		Entry("an operator-owned config key", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "10s", "dbms.cluster.discovery.resolver_type": "LIST"}
		}, "config key dbms.cluster.discovery.resolver_type is managed by the operator and cannot be set"),
		Entry("an operator-owned key in a role's config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Secondary.Config = v1alpha1.Neo4jConfig{"server.cluster.system_database_mode": "PRIMARY"}
		}, "config key server.cluster.system_database_mode is managed by the operator and cannot be set"),
		Entry("a multi-line config value", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"db.x": "1\nserver.default_listen_address=1.2.3.4"}
		}, "config values must be single lines"),
		Entry("an operator-owned env variable", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_AUTH", Value: "neo4j/plaintext"}}
		}, "env variables NEO4J_AUTH, NEO4J_ACCEPT_LICENSE_AGREEMENT"),
		Entry("a zero data volume", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			q := resource.MustParse("0")
			c.Spec.Storage.Data.Size = &q
		}, "storage size must be greater than zero"),
		Entry("an unknown retention policy", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Storage.RetentionPolicy.WhenDeleted = "Keep" },
			`spec.storage.retentionPolicy.whenDeleted: Unsupported value: "Keep"`),
		Entry("source ranges on a ClusterIP Service", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Service.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
		}, "service.loadBalancerSourceRanges is only allowed with service.type LoadBalancer"),
		Entry("an unknown Service type", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Service.Type = "ExternalName" },
			`spec.service.type: Unsupported value: "ExternalName"`),
		Entry("a reserved pod label", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.PodLabels = map[string]string{"app.kubernetes.io/name": "mine"}
		}, "podLabels may not use the app.kubernetes.io/ or neo4j.graphops.dev/ prefixes"),
		Entry("a reserved pod annotation", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.PodAnnotations = map[string]string{"neo4j.graphops.dev/config-hash": "x"}
		}, "podAnnotations may not use the neo4j.graphops.dev/ prefix"),
		Entry("a zero maxUnavailable", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.PodDisruptionBudget.MaxUnavailable = -1 },
			"spec.podDisruptionBudget.maxUnavailable"),
		Entry("a short grace period", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			g := int64(5)
			c.Spec.TerminationGracePeriodSeconds = &g
		}, "spec.terminationGracePeriodSeconds: Invalid value: 5"),
		Entry("a bad cluster domain", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.ClusterDomain = "Cluster_Local" },
			"spec.clusterDomain"),
		Entry("a name too long for per-server Service names", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Name = strings.Repeat("n", 41)
		}, "metadata.name must be at most 40 characters"),
	)
})

var _ = Describe("Scaling primaries in", func() {
	It("is refused by more than one at a time, with a message that says why", func() {
		c := newCluster(directNS, "shrinking", 5, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		c.Spec.Topology.Primaries = 3
		err := env.Client.Update(ctx, c)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("topology.primaries may decrease by one at a time"))
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Topology.Primaries = 4 })
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Topology.Primaries = 6 })
	})
})

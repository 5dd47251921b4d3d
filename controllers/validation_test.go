package controllers_test

import (
	"fmt"

	"k8s.io/utils/ptr"

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
		// A database has at most 11 primaries and 20 secondaries (Operations
		// Manual, clustering/introduction.adoc); every primary server hosts
		// system as a primary.
		Entry("too many primaries", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 12 },
			"spec.topology.primaries in body should be less than or equal to 11"),
		Entry("too many secondaries for a database", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology.Secondaries = 30
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr.To[int32](21)}}}
		}, "spec.databases[0].topology.secondaries in body should be less than or equal to 20"),
		Entry("negative secondaries", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Secondaries = -1 },
			"spec.topology.secondaries"),
		Entry("no license acceptance", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.AcceptLicenseAgreement = "" },
			`spec.acceptLicenseAgreement: Unsupported value: "": supported values: "yes", "eval"`),
		Entry("a license answer that is not yes or eval", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.AcceptLicenseAgreement = "no" },
			`supported values: "yes", "eval"`),
		Entry("a TLS channel with both a Secret and an issuer", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "s", IssuerRef: &v1alpha1.IssuerRef{Name: "ca"}}}
		}, "set exactly one of secretName (a Secret with tls.crt, tls.key and ca.crt) and issuerRef"),
		Entry("backup TLS without the backup port", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS.Backup = &v1alpha1.TLSCertificate{SecretName: "backup-cert"}
		}, "spec.tls.backup needs spec.backup.enabled"),
		Entry("seeding neo4j", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "neo4j", SeedFrom: &v1alpha1.SeedSource{URI: "s3://b/neo4j/"}}}
		}, "the neo4j database exists from the cluster's first start and cannot be seeded"),
		Entry("a seed with both a URI and a backup", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", SeedFrom: &v1alpha1.SeedSource{URI: "s3://b/s/", Backup: "b1"}}}
		}, "seedFrom needs exactly one of uri and backup"),
		Entry("restoring system", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Bootstrap = &v1alpha1.BootstrapSpec{FromBackup: []v1alpha1.DatabaseRestore{{Database: "system", SeedSource: v1alpha1.SeedSource{URI: "s3://b/system/"}}}}
		}, "the system database cannot be restored from a seed"),
		Entry("a database restored twice", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Bootstrap = &v1alpha1.BootstrapSpec{FromBackup: []v1alpha1.DatabaseRestore{{Database: "sales", SeedSource: v1alpha1.SeedSource{URI: "s3://b/sales/"}}}}
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", SeedFrom: &v1alpha1.SeedSource{URI: "s3://b/s/"}}}
		}, "a database is restored either by spec.bootstrap.fromBackup or by its seedFrom, not both"),
		Entry("a TLS channel with neither", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{} },
			"set exactly one of secretName"),
		Entry("an unknown client authentication", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS.HTTPS = &v1alpha1.HTTPSTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "s", ClientAuth: "MAYBE"}}
		}, `supported values: "NONE", "OPTIONAL", "REQUIRE"`),
		Entry("a Bolt TLS level of DISABLED", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "s"}, Level: "DISABLED"}
		}, `supported values: "REQUIRED", "OPTIONAL"`),
		Entry("both a ServiceMonitor and a PodMonitor", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Monitoring = v1alpha1.MonitoringSpec{ServiceMonitor: &v1alpha1.PrometheusMonitor{}, PodMonitor: &v1alpha1.PrometheusMonitor{}}
		}, "set serviceMonitor or podMonitor, not both: Prometheus would scrape every server twice"),
		Entry("a scrape interval that is not a duration", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Monitoring.PodMonitor = &v1alpha1.PrometheusMonitor{Interval: "often"}
		}, "spec.monitoring.podMonitor.interval"),
		Entry("plugins in spec.plugins and in NEO4J_PLUGINS", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "apoc"}}
			c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_PLUGINS", Value: `["apoc"]`}}
		}, "with spec.plugins, the env variables NEO4J_PLUGINS and NEO4J_dbms_security_procedures_* are the operator's"),
		Entry("procedure settings in a role's config beside plugins", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "apoc"}}
			c.Spec.Secondary.Config = v1alpha1.Neo4jConfig{"dbms.security.procedures.unrestricted": "x.*"}
		}, "extend the procedure settings in spec.procedures"),
		Entry("an unknown plugin", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "streams"}} },
			`spec.plugins[0].name: Unsupported value: "streams"`),
		Entry("n10s from the installer on CalVer", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "n10s"}} },
			"the Neo4j image installs n10s on 5.x only"),
		Entry("an additional volume named like the operator's", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.AdditionalVolumes = []corev1.Volume{{Name: "tls-extra", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}, "additionalVolumes may not use the names the operator uses"),
		Entry("a mount over /data", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.AdditionalVolumeMounts = []corev1.VolumeMount{{Name: "x", MountPath: "/data"}}
		}, "additionalVolumeMounts may not mount over /conf"),
		Entry("a sidecar named neo4j", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Sidecars = []corev1.Container{{Name: "neo4j", Image: "busybox"}}
		}, "sidecars may not be named neo4j or plugin-*"),
		Entry("the LDAP password in env beside spec.ldap", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.LDAP.SystemPasswordSecret = &v1alpha1.SecretKeyRef{Name: "l", Key: "p"}
			c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_dbms_security_ldap_authorization_system__password", Value: "x"}}
		}, "the operator sets the LDAP system password"),
		Entry("both a spec and a ConfigMap for server-logs.xml", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Logging = v1alpha1.LoggingSpec{ServerLogsXML: "<x/>", ServerLogsConfigMap: &v1alpha1.ConfigMapKeyRef{Name: "m", Key: "k"}}
		}, "set serverLogsXML or serverLogsConfigMap, not both"),
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
		}, "env variable NEO4J_AUTH is set by the operator or names a setting it manages"),
		Entry("an env variable of an owned setting", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_server_cluster_advertised__address", Value: "me:6000"}}
		}, "env variable NEO4J_server_cluster_advertised__address is set by the operator or names a setting it manages"),
		Entry("a Community tag", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Image.Tag = "2025.10.1" },
			"image.tag must be an Enterprise tag such as 2025.10.1-enterprise or 5.26.12-enterprise: on the official neo4j repository, tags without -enterprise are Community Edition images"),
		Entry("a setting 2025.x does not know", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "10s", "server.cluster.catchup.pull_interval": "5s"}
		}, "config has a setting that Neo4j 2025.x does not know (spec.config, primary.config or secondary.config); Neo4j refuses unknown settings at startup"),
		Entry("a 5.26 setting that 2025.x removed, in a role's config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Primary.Config = v1alpha1.Neo4jConfig{"server.groups": "east"}
		}, "config has a setting that Neo4j 2025.x does not know"),
		Entry("a setting 5.26 does not know", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Image.Tag = "5.26.12-enterprise"
			c.Spec.Secondary.Config = v1alpha1.Neo4jConfig{"dbms.fleet_manager.enabled": "true"}
		}, "config has a setting that Neo4j 5.26 does not know"),
		Entry("a typo on 5.26", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Image.Tag = "5.26.12-enterprise"
			c.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timout": "10s"}
		}, "config has a setting that Neo4j 5.26 does not know"),
		Entry("an SSL policy of an unknown scope", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"dbms.ssl.policy.fabric.enabled": "true"}
		}, "config has a setting that Neo4j 2025.x does not know"),
		Entry("an apoc setting in config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"apoc.export.file.enabled": "true"}
		}, "apoc.* settings go in spec.apocConfig: Neo4j reads them from apoc.conf, and refuses them in neo4j.conf"),
		Entry("a key that is not apoc's in apocConfig", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.APOCConfig = v1alpha1.APOCConfig{"db.transaction.timeout": "1s"}
		}, "apocConfig keys must start with apoc."),
		Entry("JVM arguments in config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"server.jvm.additional": "-Xss2m"}
		}, "config key server.jvm.additional is set from spec.jvm.additionalArguments"),
		Entry("a JVM argument that is not one", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.JVM.AdditionalArguments = []string{"Xss2m"}
		}, "jvm.additionalArguments must each start with - and be a single line"),
		Entry("heap in config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"server.memory.heap.max_size": "3g"}
		}, "config key server.memory.heap.max_size is set from spec.memory (heap, pageCache)"),
		Entry("heap and page cache over the limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			l := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi")}
			c.Spec.Resources = corev1.ResourceRequirements{Requests: l, Limits: l}
			heap, pc := resource.MustParse("3Gi"), resource.MustParse("3Gi")
			c.Spec.Memory = v1alpha1.MemorySpec{Heap: &heap, PageCache: &pc}
		}, "primaries: the memory limit (or, without one, the request) must be at least 2Gi, and heap + page cache + 1Gi of headroom must fit within it"),
		Entry("a secondary heap over its own limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			l := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("3Gi")}
			heap := resource.MustParse("2Gi")
			c.Spec.Secondary = v1alpha1.RoleSpec{Resources: &corev1.ResourceRequirements{Limits: l}, Memory: v1alpha1.MemorySpec{Heap: &heap}}
		}, "secondaries: the memory limit (or, without one, the request) must be at least 2Gi"),
		Entry("a memory limit below 2Gi", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			l := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
			c.Spec.Resources = corev1.ResourceRequirements{Limits: l}
		}, "primaries: the memory limit (or, without one, the request) must be at least 2Gi"),
		Entry("a heap over the default 2Gi limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			heap := resource.MustParse("1Gi")
			c.Spec.Memory.Heap = &heap
		}, "primaries: the memory limit (or, without one, the request) must be at least 2Gi"),
		Entry("a memory request below 2Gi, no limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
		}, "primaries: the memory limit (or, without one, the request) must be at least 2Gi"),
		Entry("a heap in milli-bytes", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			heap := resource.MustParse("512m")
			c.Spec.Memory.Heap = &heap
		}, "memory.heap must be at least 256Mi (in Kubernetes quantities m means milli: write 512Mi, not 512m)"),
		Entry("a zero data volume", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			q := resource.MustParse("0")
			c.Spec.Storage.Data.Size = &q
		}, "storage size must be greater than zero"),
		Entry("an absolute subPath", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Storage.Data.SubPath = "/data" },
			"subPath must be a relative path without .."),
		Entry("a subPath leaving the volume", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Storage.Data.SubPath = "data/../.." },
			"subPath must be a relative path without .."),
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

var _ = Describe("Setting names the CRD accepts", func() {
	It("accepts plugin namespaces, documented groups, and anything once strict validation is off", func() {
		for i, cfg := range []v1alpha1.Neo4jConfig{
			{"gds.enterprise.license_file": "/licenses/gds.license", "dbms.bloom.license_file": "/licenses/bloom.license"},
			{"dbms.ssl.policy.bolt.enabled": "true", "dbms.security.oidc.azure.audience": "x", "dbms.routing.load_balancing.config.server_policies.east": "all()"},
			{"server.config.strict_validation.enabled": "false", "myplugin.setting": "1"},
		} {
			c := newCluster(directNS, "names-"+string(rune('a'+i)), 3, 0)
			c.Spec.Config = cfg
			Expect(env.Client.Create(ctx, c)).To(Succeed(), "%v", cfg)
		}
	})
})

var _ = Describe("Scaling and database topologies", func() {
	It("admits any scale-in: the operator drains servers one at a time", func() {
		c := newCluster(directNS, "shrinking", 7, 3)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 0}
		})
	})

	It("refuses a declared database that needs more servers than the cluster has, or system", func() {
		three, four := int32(3), int32(4)
		for _, tc := range []struct {
			dbs []v1alpha1.DatabaseSpec
			msg string
		}{
			{[]v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: &four}}},
				"a database in spec.databases has more primaries than topology.primaries"},
			{[]v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: &three, Secondaries: &three}}},
				"a database in spec.databases has more copies (primaries + secondaries) than the cluster has servers"},
			{[]v1alpha1.DatabaseSpec{{Name: "neo4j", Topology: v1alpha1.DatabaseTopology{Secondaries: &three}}},
				"a database in spec.databases has more copies (primaries + secondaries) than the cluster has servers"},
			{[]v1alpha1.DatabaseSpec{{Name: "system"}}, "the system database cannot be listed"},
		} {
			c := newCluster(directNS, "dbs", 3, 2)
			c.Spec.Databases = tc.dbs
			err := env.Client.Create(ctx, c)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(tc.msg))
		}
	})
})

var _ = Describe("Neo4j version changes", func() {
	It("admits upgrades and refuses downgrades, unless the user says no server ran the newer version", func() {
		for i, tc := range []struct {
			from, to string
			ok       bool
		}{
			{"5.26.12-enterprise", "5.26.13-enterprise", true},
			{"5.26.12-enterprise", "2025.01.0-enterprise", true},
			{"5.26.12-enterprise", "2026.08.0-enterprise", true},
			{"2025.09.0-enterprise", "2025.10.1-enterprise", true},
			{"2025.10.1-enterprise", "2026.01.0-enterprise", true},
			{"5.26.12-enterprise", "5.26.10-enterprise", false},
			{"2025.10.1-enterprise", "2025.10.0-enterprise", false},
			{"2025.10.1-enterprise", "2025.09.3-enterprise", false},
			{"2025.01.0-enterprise", "5.26.12-enterprise", false},
		} {
			c := newCluster(directNS, fmt.Sprintf("version-%d", i), 1, 0)
			c.Spec.Image.Tag = tc.from
			Expect(env.Client.Create(ctx, c)).To(Succeed())
			c.Spec.Image.Tag = tc.to
			err := env.Client.Update(ctx, c)
			if tc.ok {
				Expect(err).NotTo(HaveOccurred(), "%s → %s", tc.from, tc.to)
				continue
			}
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%s → %s: %v", tc.from, tc.to, err)
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("image.tag may not go from %s back to %s: Neo4j does not support downgrades", tc.from, tc.to)))
			updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
				f.Spec.Image.AllowDowngrade = true
				f.Spec.Image.Tag = tc.to
			})
		}
	})
})

var _ = Describe("A volume's subPath", func() {
	It("can be set at creation and never changed, added or removed", func() {
		c := newCluster(directNS, "subpath-helm", 1, 0)
		c.Spec.Storage.Data.SubPath = "data"
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		for _, sub := range []string{"", "data/neo4j"} {
			fresh := getCluster(c)
			fresh.Spec.Storage.Data.SubPath = sub
			err := env.Client.Update(ctx, fresh)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%q: %v", sub, err)
			Expect(err.Error()).To(ContainSubstring("subPath cannot be changed: the servers would start on another folder of the volume"))
		}

		d := newCluster(directNS, "subpath-none", 1, 0)
		Expect(env.Client.Create(ctx, d)).To(Succeed())
		fresh := getCluster(d)
		fresh.Spec.Storage.Data.SubPath = "data"
		err := env.Client.Update(ctx, fresh)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("subPath cannot be changed"))
	})
})

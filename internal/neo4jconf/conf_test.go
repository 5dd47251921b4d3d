package neo4jconf

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

func cluster(tag string, primaries, secondaries int32) *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	c.Name = "graph"
	c.Spec.Image.Tag = tag
	c.Spec.Topology = v1alpha1.Topology{Primaries: primaries, Secondaries: secondaries}
	return c.WithDefaults()
}

func TestParseTag(t *testing.T) {
	for _, tc := range []struct {
		tag    string
		want   Version
		errSub string
	}{
		{"5.26.12-enterprise", Version{5, 26}, ""},
		{"5.26-enterprise", Version{5, 26}, ""},
		{"2025.10.1-enterprise", Version{2025, 10}, ""},
		{"2026.01.0", Version{2026, 1}, ""},
		{"5.25.1-enterprise", Version{}, "5.26 or later"},
		{"4.4.30-enterprise", Version{}, "5.26 or later"},
		{"latest", Version{}, "does not start with a Neo4j version"},
		{"enterprise", Version{}, "does not start with a Neo4j version"},
	} {
		got, err := ParseTag(tc.tag)
		if tc.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("%s: err = %v, want it to mention %q", tc.tag, err, tc.errSub)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.tag, got, err, tc.want)
		}
	}
}

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster *v1alpha1.Neo4jEnterpriseCluster
		role    Role
		want    map[string]string // "" means absent
	}{
		{"calver primary", cluster("2025.10.1-enterprise", 3, 2), Primary, map[string]string{
			"dbms.cluster.discovery.resolver_type":                "K8S",
			"dbms.kubernetes.discovery.service_port_name":         "tcp-tx",
			"dbms.kubernetes.discovery.v2.service_port_name":      "",
			"dbms.cluster.discovery.version":                      "",
			"dbms.kubernetes.label_selector":                      "sel",
			"dbms.cluster.minimum_initial_system_primaries_count": "3",
			"initial.dbms.default_primaries_count":                "3",
			"initial.dbms.default_secondaries_count":              "2",
			"server.cluster.system_database_mode":                 "",
			"initial.server.mode_constraint":                      "",
		}},
		{"5.26 secondary", cluster("5.26.12-enterprise", 1, 4), Secondary, map[string]string{
			"dbms.kubernetes.discovery.service_port_name":         "",
			"dbms.kubernetes.discovery.v2.service_port_name":      "tcp-tx",
			"dbms.kubernetes.service_port_name":                   "tcp-tx",
			"dbms.cluster.discovery.version":                      "V2_ONLY",
			"dbms.cluster.minimum_initial_system_primaries_count": "1",
			"initial.dbms.default_primaries_count":                "1",
			"initial.dbms.default_secondaries_count":              "4",
			"server.cluster.system_database_mode":                 "SECONDARY",
			"initial.server.mode_constraint":                      "SECONDARY",
		}},
		{"seven primaries cap formation at three", cluster("2025.10.1-enterprise", 7, 0), Primary, map[string]string{
			"dbms.cluster.minimum_initial_system_primaries_count": "3",
			"initial.dbms.default_primaries_count":                "3",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := Build(Input{Cluster: tc.cluster, Role: tc.role, DiscoverySelector: "sel"})
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got := conf.Conf[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func limits(mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}
}

func qty(s string) *resource.Quantity { q := resource.MustParse(s); return &q }

// The limit less 1Gi of headroom is split between what is unset; a role's
// memory fields replace the cluster's one by one.
func TestMemory(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		limit, request         string
		cluster, role          v1alpha1.MemorySpec
		heap, pagecache, check string // "" = absent; check = error substring
	}{
		{name: "both derived", limit: "10Gi", heap: "4608m", pagecache: "4608m"},
		{name: "heap set", limit: "8Gi", cluster: v1alpha1.MemorySpec{Heap: qty("2Gi")}, heap: "2048m", pagecache: "5120m"},
		{name: "page cache set", limit: "8Gi", cluster: v1alpha1.MemorySpec{PageCache: qty("3Gi")}, heap: "4096m", pagecache: "3072m"},
		{name: "both set", limit: "8Gi", cluster: v1alpha1.MemorySpec{Heap: qty("3Gi"), PageCache: qty("3Gi")}, heap: "3072m", pagecache: "3072m"},
		{name: "role overrides heap only", limit: "8Gi", cluster: v1alpha1.MemorySpec{Heap: qty("3Gi"), PageCache: qty("3Gi")},
			role: v1alpha1.MemorySpec{Heap: qty("1Gi")}, heap: "1024m", pagecache: "3072m"},
		{name: "minimum limit", limit: "2Gi", heap: "512m", pagecache: "512m"},
		{name: "no memory at all: Neo4j decides", limit: ""},
		{name: "no memory at all, heap set", limit: "", cluster: v1alpha1.MemorySpec{Heap: qty("1Gi")}, heap: "1024m"},
		{name: "request only: derived from it", request: "6Gi", heap: "2560m", pagecache: "2560m"},
		{name: "large: heap capped at 31Gi", limit: "128Gi", heap: "31744m", pagecache: "98304m"},
		{name: "large, page cache set: heap capped", limit: "128Gi", cluster: v1alpha1.MemorySpec{PageCache: qty("64Gi")}, heap: "31744m", pagecache: "65536m"},
		{name: "too much", limit: "4Gi", cluster: v1alpha1.MemorySpec{Heap: qty("3Gi"), PageCache: qty("3Gi")},
			heap: "3072m", pagecache: "3072m", check: "primaries: heap 3072m + page cache 3072m + 1Gi of headroom must fit within the memory limit 4Gi, with at least 256Mi each"},
		{name: "derived page cache too small", limit: "2Gi", cluster: v1alpha1.MemorySpec{Heap: qty("900Mi")},
			heap: "900m", pagecache: "124m", check: "with at least 256Mi each"},
		{name: "limit below 2Gi", limit: "1536Mi", heap: "256m", pagecache: "256m", check: "primaries: the memory limit 1536Mi is below 2Gi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cluster("2025.10.1-enterprise", 3, 0)
			c.Spec.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
			if tc.limit != "" {
				c.Spec.Resources = limits(tc.limit)
			}
			if tc.request != "" {
				c.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(tc.request)}
			}
			c.Spec.Memory, c.Spec.Primary.Memory = tc.cluster, tc.role
			f, err := Build(Input{Cluster: c, Role: Primary})
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{"server.memory.heap.initial_size": tc.heap, "server.memory.heap.max_size": tc.heap, "server.memory.pagecache.size": tc.pagecache} {
				if got := f.Conf[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			err = CheckMemory(c, Primary)
			if tc.check == "" && err != nil || tc.check != "" && (err == nil || !strings.Contains(err.Error(), tc.check)) {
				t.Errorf("CheckMemory = %v, want %q", err, tc.check)
			}
		})
	}
}

func TestJVMArguments(t *testing.T) {
	no := false
	for _, tc := range []struct {
		tag   string
		spec  v1alpha1.JVMSpec
		count int
		first string
		last  string
	}{
		{"5.26.12-enterprise", v1alpha1.JVMSpec{}, 20, "-XX:+UseG1GC", "-Dlog4j.layout.jsonTemplate.maxStringLength=32768"},
		{"2025.01.0-enterprise", v1alpha1.JVMSpec{}, 20, "-XX:+UseG1GC", "-Dlog4j.layout.jsonTemplate.maxStringLength=32768"},
		{"2025.10.1-enterprise", v1alpha1.JVMSpec{}, 22, "-XX:+UseG1GC", "-Dlog4j.layout.jsonTemplate.maxStringLength=32768"},
		{"2026.02.0-enterprise", v1alpha1.JVMSpec{}, 23, "-XX:+UseG1GC", "-Dorg.neo4j.shaded.lucene9.vectorization.upperJavaFeatureVersion=25"},
		{"2025.10.1-enterprise", v1alpha1.JVMSpec{AdditionalArguments: []string{"-XX:+ExitOnOutOfMemoryError", "-Dfoo=bar"}}, 24, "-XX:+UseG1GC", "-Dfoo=bar"},
		{"2025.10.1-enterprise", v1alpha1.JVMSpec{UseDefaultArguments: &no, AdditionalArguments: []string{"-Xss2m"}}, 1, "-Xss2m", "-Xss2m"},
	} {
		c := cluster(tc.tag, 3, 0)
		c.Spec.JVM = tc.spec
		f, err := Build(Input{Cluster: c.WithDefaults(), Role: Primary})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.JVM) != tc.count || f.JVM[0] != tc.first || f.JVM[len(f.JVM)-1] != tc.last {
			t.Errorf("%s %+v: %d arguments %q..%q, want %d %q..%q", tc.tag, tc.spec, len(f.JVM), f.JVM[0], f.JVM[len(f.JVM)-1], tc.count, tc.first, tc.last)
		}
		if got := strings.Count(f.NeoConf(), "\nserver.jvm.additional="); got != tc.count {
			t.Errorf("%s: %d server.jvm.additional lines, want %d", tc.tag, got, tc.count)
		}
	}
}

func TestUnknownSettingsRefusedWithSuggestion(t *testing.T) {
	for _, tc := range []struct {
		tag, key, want string
	}{
		{"2025.10.1-enterprise", "server.cluster.catchup.pull_interval", `config key "server.cluster.catchup.pull_interval" is not a setting of Neo4j 2025.10 (Neo4j refuses unknown settings at startup); did you mean "db.cluster.catchup.pull_interval"?`},
		{"5.26.12-enterprise", "server.cluster.catchup.pull_interval", `not a setting of Neo4j 5.26 (Neo4j refuses unknown settings at startup); did you mean "db.cluster.catchup.pull_interval"?`},
		{"2025.10.1-enterprise", "db.transaction.timout", `did you mean "db.transaction.timeout"?`},
		{"2025.10.1-enterprise", "dbms.cluster.discovery.log_level", `not a setting of Neo4j 2025.10`},
		{"2025.10.1-enterprise", "apoc.export.file.enabled", "apoc.* settings go in spec.apocConfig"},
		{"2025.10.1-enterprise", "server.jvm.additional", "use spec.jvm.additionalArguments"},
		{"2025.10.1-enterprise", "server.memory.heap.max_size", "set from spec.memory"},
	} {
		c := withConfig(tc.key, "1")
		c.Spec.Image.Tag = tc.tag
		_, err := Build(Input{Cluster: c, Role: Primary})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: err = %v, want %q", tc.tag, tc.key, err, tc.want)
		}
	}
	for _, key := range []string{"dbms.cluster.discovery.log_level", "server.groups", "dbms.ssl.policy.bolt.enabled",
		"dbms.security.oidc.azure.audience", "dbms.routing.load_balancing.config.server_policies.north", "internal.dbms.anything"} {
		c := withConfig(key, "1")
		c.Spec.Image.Tag = "5.26.12-enterprise"
		if _, err := Build(Input{Cluster: c, Role: Primary}); err != nil {
			t.Errorf("5.26 %s refused: %v", key, err)
		}
	}
	for _, key := range []string{"dbms.ssl.policy.fabric.enabled", "dbms.ssl.policy.bolt.enable", "dbms.security.oidc.azure.nope"} {
		if _, err := Build(Input{Cluster: withConfig(key, "1"), Role: Primary}); err == nil {
			t.Errorf("%s accepted", key)
		}
	}
}

func TestEnvChecked(t *testing.T) {
	for _, tc := range []struct {
		name, want string
	}{
		{"NEO4J_db_transaction_timeout", ""},
		{"NEO4J_apoc_export_file_enabled", ""},
		{"NEO4J_PLUGINS", ""},
		{"HOST_IP", ""},
		{"NEO4J_server_cluster_catchup_pull__interval", `env variable NEO4J_server_cluster_catchup_pull__interval sets a setting: config key "server.cluster.catchup.pull_interval" is not a setting`},
		{"NEO4J_server_memory_heap_max__size", "set from spec.memory"},
		{"NEO4J_server_cluster_advertised__address", "managed by the operator"},
		{"NEO4J_AUTH", "set by the operator"},
	} {
		c := cluster("2025.10.1-enterprise", 3, 0)
		c.Spec.Env = []corev1.EnvVar{{Name: tc.name, Value: "1"}}
		_, err := Build(Input{Cluster: c, Role: Primary})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestRenderSortedAndHashIgnoresFormationOnly(t *testing.T) {
	a := Files{Conf: Conf{"b.x": "1", "a.y": "2", "initial.dbms.default_primaries_count": "3"}, JVM: []string{"-Xb", "-Xa"}}
	if got := a.NeoConf(); !strings.Contains(got, "a.y=2\nb.x=1\ninitial.dbms.default_primaries_count=3\nserver.jvm.additional=-Xb\nserver.jvm.additional=-Xa\n") {
		t.Errorf("not sorted, or JVM arguments out of order:\n%s", got)
	}
	b := Files{Conf: Conf{"b.x": "1", "a.y": "2", "initial.dbms.default_primaries_count": "5", "dbms.cluster.minimum_initial_system_primaries_count": "1"}, JVM: []string{"-Xb", "-Xa"}}
	if a.Hash() != b.Hash() {
		t.Error("formation-only settings changed the hash")
	}
	b.Conf["a.y"] = "3"
	if a.Hash() == b.Hash() {
		t.Error("a real change kept the hash")
	}
	b.Conf["a.y"], b.JVM = "2", []string{"-Xa", "-Xb"}
	if a.Hash() == b.Hash() {
		t.Error("reordered JVM arguments kept the hash")
	}
	b.JVM, b.APOC = a.JVM, Conf{"apoc.trigger.enabled": "true"}
	if a.Hash() == b.Hash() {
		t.Error("an apoc.conf change kept the hash")
	}
	if _, err := Build(Input{Cluster: withConfig("db.x", "1\nserver.default_listen_address=1.2.3.4"), Role: Primary}); err == nil {
		t.Error("a value with a newline would inject a setting; it must be refused")
	}
}

func withConfig(k, v string) *v1alpha1.Neo4jEnterpriseCluster {
	c := cluster("2025.10.1-enterprise", 3, 0)
	c.Spec.Config = v1alpha1.Neo4jConfig{k: v1alpha1.ConfigValue(v)}
	return c
}

func TestBadKeysRefused(t *testing.T) {
	for _, k := range []string{"Dbms.x", "nodots", "a.b=c", "a.b\nserver.x", "a..b", ".a.b", "a.b "} {
		if _, err := Build(Input{Cluster: withConfig(k, "1"), Role: Primary}); err == nil || !strings.Contains(err.Error(), "not a neo4j.conf setting name") {
			t.Errorf("%q: err = %v, want a refusal", k, err)
		}
	}
	if _, err := Build(Input{Cluster: withConfig("db.tx_log.rotation.retention_policy", "2 days"), Role: Primary}); err != nil {
		t.Errorf("a real setting was refused: %v", err)
	}
}

func TestCheckAuthAsTheImageDoes(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"neo4j/a-long-password", ""},
		{"neo4j/a-long-password\n", ""},
		{"neo4j/a-long-password/true", ""},
		{"neo4j/ab/cdefghij", "may not contain a slash"},
		{"admin/a-long-password", "the user must be neo4j"},
		{"neo4j/neo4j", "may not be neo4j"},
		{"neo4j/short", "at least 8 characters"},
		{"neo4j/short\n\n\n", "at least 8 characters"},
		{"none", "must hold neo4j/<password>"},
		{"", "must hold neo4j/<password>"},
	} {
		err := CheckAuth(tc.value)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: err = %v, want %q", tc.value, err, tc.want)
		}
	}
}

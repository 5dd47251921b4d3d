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
				if got := conf[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestMemoryDerivedFromLimitUnlessSet(t *testing.T) {
	c := cluster("2025.10.1-enterprise", 3, 0)
	c.Spec.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("10Gi")}
	conf, _ := Build(Input{Cluster: c, Role: Primary})
	for _, k := range []string{"server.memory.heap.initial_size", "server.memory.heap.max_size", "server.memory.pagecache.size"} {
		if conf[k] != "4096m" {
			t.Errorf("%s = %q, want 4096m (40%% of 10Gi)", k, conf[k])
		}
	}
	c.Spec.Config = v1alpha1.Neo4jConfig{"server.memory.pagecache.size": "2g"}
	conf, _ = Build(Input{Cluster: c, Role: Primary})
	if conf["server.memory.pagecache.size"] != "2g" || conf["server.memory.heap.max_size"] != "4096m" {
		t.Errorf("a user setting must win over the derived one: %v", conf)
	}
	c.Spec.Resources.Limits = nil
	conf, _ = Build(Input{Cluster: c, Role: Primary})
	if _, ok := conf["server.memory.heap.max_size"]; ok {
		t.Error("without a memory limit, Neo4j sizes its own heap")
	}
}

func TestOwnedKeysRefused(t *testing.T) {
	for _, k := range v1alpha1.OperatorConfigKeys {
		c := cluster("2025.10.1-enterprise", 3, 1)
		c.Spec.Secondary.Config = v1alpha1.Neo4jConfig{k: "x"}
		if _, err := Build(Input{Cluster: c, Role: Secondary}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s: err = %v, want a refusal naming the key", k, err)
		}
	}
}

func TestRenderSortedAndHashIgnoresFormationOnly(t *testing.T) {
	a := Conf{"b.x": "1", "a.y": "2", "initial.dbms.default_primaries_count": "3"}
	if got := a.Render(); !strings.Contains(got, "a.y=2\nb.x=1\ninitial.dbms.default_primaries_count=3\n") {
		t.Errorf("not sorted:\n%s", got)
	}
	b := Conf{"b.x": "1", "a.y": "2", "initial.dbms.default_primaries_count": "5", "dbms.cluster.minimum_initial_system_primaries_count": "1"}
	if a.Hash() != b.Hash() {
		t.Error("formation-only settings changed the hash")
	}
	b["a.y"] = "3"
	if a.Hash() == b.Hash() {
		t.Error("a real change kept the hash")
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

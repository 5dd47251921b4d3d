package render_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// shuffledCopy rebuilds every map of the spec with keys inserted in a random
// order. Go randomises map iteration anyway; this makes sure no output
// depends on insertion order either.
func shuffledCopy(c *v1alpha1.Neo4jEnterpriseCluster, r *rand.Rand) *v1alpha1.Neo4jEnterpriseCluster {
	out := c.DeepCopy()
	s := &out.Spec
	s.Config = shuffle(r, s.Config)
	s.Secondary.Config = shuffle(r, s.Secondary.Config)
	s.Primary.Config = shuffle(r, s.Primary.Config)
	s.PodLabels = shuffle(r, s.PodLabels)
	s.PodAnnotations = shuffle(r, s.PodAnnotations)
	s.Service.Annotations = shuffle(r, s.Service.Annotations)
	s.Scheduling.NodeSelector = shuffle(r, s.Scheduling.NodeSelector)
	return out
}

func shuffle[M ~map[string]V, V any](r *rand.Rand, m M) M {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	n := make(M, len(m))
	for _, k := range keys {
		n[k] = m[k]
	}
	return n
}

func TestRenderIsDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, path := range samples(t) {
		c := loadSample(t, path)
		// Many settings make insertion order matter if anything leaks it.
		for i := range 40 {
			if c.Spec.Config == nil {
				c.Spec.Config = v1alpha1.Neo4jConfig{}
			}
			c.Spec.Config[commonSettings(t)[i]] = v1alpha1.ConfigValue(fmt.Sprint(i))
		}
		want := toYAML(t, mustRender(t, c))
		for range 200 {
			if got := toYAML(t, mustRender(t, shuffledCopy(c, r))); !bytes.Equal(got, want) {
				t.Fatalf("%s: two renders of the same spec differ", path)
			}
		}
	}
}

// commonSettings are 40 settings both 5.26 and CalVer know, none of them
// owned by the operator.
func commonSettings(t testing.TB) []string {
	var out []string
	v5, _ := neo4jconf.ParseTag("5.26.12-enterprise")
	vc, _ := neo4jconf.ParseTag(v1alpha1.DefaultImageTag)
	for _, n := range neo4jconf.Names("5.26") {
		if neo4jconf.Known(v5, n) && neo4jconf.Known(vc, n) && !strings.Contains(n, "<") && !slices.Contains(v1alpha1.OperatorConfigKeys, n) && strings.HasPrefix(n, "db.") {
			out = append(out, n)
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d common db.* settings", len(out))
	}
	return out[:40]
}

func templates(t testing.TB, o *render.Objects) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, s := range o.StatefulSets {
		data, err := json.Marshal(s.Spec.Template)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Name] = data
	}
	return out
}

// Scaling must never change a pod template: discovery goes through the
// per-server Services, and formation-only settings are out of the hash.
func TestScalingLeavesPodTemplatesByteIdentical(t *testing.T) {
	base := loadSample(t, "../../config/samples/neo4j_v1alpha1_neo4jenterprisecluster_seed.yaml")
	want := templates(t, mustRender(t, base))
	for primaries := int32(1); primaries <= 7; primaries++ {
		for secondaries := int32(1); secondaries <= 5; secondaries++ {
			c := base.DeepCopy()
			c.Spec.Topology = v1alpha1.Topology{Primaries: primaries, Secondaries: secondaries}
			o := mustRender(t, c)
			got := templates(t, o)
			for name, tmpl := range want {
				if !bytes.Equal(got[name], tmpl) {
					t.Fatalf("%d primaries, %d secondaries: the pod template of %s changed", primaries, secondaries, name)
				}
			}
			if n := *o.StatefulSets[0].Spec.Replicas; n != primaries {
				t.Fatalf("primary replicas = %d, want %d", n, primaries)
			}
			if n := *o.StatefulSets[1].Spec.Replicas; n != secondaries {
				t.Fatalf("secondary replicas = %d, want %d", n, secondaries)
			}
			if got, want := len(o.Services), int(primaries+secondaries)+4; got != want {
				t.Fatalf("%d services, want %d (internals per server, headless per role, client, metrics)", got, want)
			}
		}
	}
}

func TestSecondaryStatefulSetOnlyWithSecondaries(t *testing.T) {
	c := loadSample(t, "../../config/samples/neo4j_v1alpha1_neo4jenterprisecluster_minimal.yaml")
	o := mustRender(t, c)
	if len(o.StatefulSets) != 1 || o.StatefulSets[0].Name != "minimal-primary" {
		t.Fatalf("want only minimal-primary, got %d StatefulSets", len(o.StatefulSets))
	}
	if len(o.ConfigMaps) != 1 || !strings.HasPrefix(o.ConfigMaps[0].Name, "minimal-primary-config-") {
		t.Fatalf("want only the primaries' ConfigMap, got %d", len(o.ConfigMaps))
	}
}

func TestConfigChangeChangesExactlyTheAffectedHash(t *testing.T) {
	base := loadSample(t, "../../config/samples/neo4j_v1alpha1_neo4jenterprisecluster_production.yaml")
	baseHashes := mustRender(t, base).ConfigHashes
	var h0 map[neo4jconf.Role]string
	cases := []struct {
		name               string
		mutate             func(c *v1alpha1.Neo4jEnterpriseCluster)
		primary, secondary bool // whether the hash must change
	}{
		{"cluster-wide key", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Config["db.transaction.timeout"] = "90s" }, true, true},
		{"new cluster-wide key", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Config["db.logs.query.enabled"] = "OFF" }, true, true},
		{"removed cluster-wide key", func(c *v1alpha1.Neo4jEnterpriseCluster) { delete(c.Spec.Config, "db.transaction.timeout") }, true, true},
		{"secondary-only key", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Secondary.Config["db.cluster.catchup.pull_interval"] = "10s"
		}, false, true},
		{"primary-only key", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Primary.Config = v1alpha1.Neo4jConfig{"db.checkpoint.interval.time": "10m"}
		}, true, false},
		{"secondary memory limit, memory set", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Secondary.Resources.Limits["memory"] = resource.MustParse("6Gi")
		}, false, false},
		{"secondary memory limit, memory derived", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Memory, c.Spec.Secondary.Memory = v1alpha1.MemorySpec{}, v1alpha1.MemorySpec{}
			h0 = mustRender(t, c).ConfigHashes
			c.Spec.Secondary.Resources.Limits["memory"] = resource.MustParse("6Gi")
		}, false, true},
		{"formation-only key", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config["initial.dbms.default_database"] = "graph"
		}, false, false},
		{"scaling", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology = v1alpha1.Topology{Primaries: 5, Secondaries: 4}
		}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base.DeepCopy()
			h0 = baseHashes
			tc.mutate(c)
			h := mustRender(t, c).ConfigHashes
			if changed := h[neo4jconf.Primary] != h0[neo4jconf.Primary]; changed != tc.primary {
				t.Errorf("primary hash changed = %v, want %v", changed, tc.primary)
			}
			if changed := h[neo4jconf.Secondary] != h0[neo4jconf.Secondary]; changed != tc.secondary {
				t.Errorf("secondary hash changed = %v, want %v", changed, tc.secondary)
			}
		})
	}
}

// FuzzRender feeds arbitrary settings and topologies to the renderer: it
// must never panic, must render the same bytes twice, and must keep pod
// templates independent of the topology.
func FuzzRender(f *testing.F) {
	f.Add("db.transaction.timeout", "60s", "db.cluster.catchup.pull_interval", "1s", int32(3), int32(2), "4Gi")
	f.Add("initial.dbms.default_database", "x", "a.b", "", int32(1), int32(0), "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, primaries, secondaries int32, memory string) {
		primaries = 1 + abs(primaries)%9
		secondaries = abs(secondaries) % 9
		c := &v1alpha1.Neo4jEnterpriseCluster{}
		c.Name, c.Namespace = "fuzz", "ns"
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: primaries, Secondaries: secondaries}
		c.Spec.Config = v1alpha1.Neo4jConfig{k1: v1alpha1.ConfigValue(v1)}
		c.Spec.Secondary.Config = v1alpha1.Neo4jConfig{k2: v1alpha1.ConfigValue(v2)}
		if q, err := parseQuantity(memory); err == nil {
			c.Spec.Resources.Limits = q
		}
		o1, err1 := render.Render(c)
		o2, err2 := render.Render(shuffledCopy(c, rand.New(rand.NewPCG(uint64(primaries), 7))))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("renders disagree on errors: %v / %v", err1, err2)
		}
		if err1 != nil {
			return // an owned or unknown key: refused, as the CRD refuses it
		}
		if !bytes.Equal(toYAML(t, o1), toYAML(t, o2)) {
			t.Fatal("two renders of the same spec differ")
		}
		scaled := c.DeepCopy()
		scaled.Spec.Topology = v1alpha1.Topology{Primaries: primaries + 2, Secondaries: secondaries + 1}
		t1, t2 := templates(t, o1), templates(t, mustRender(t, scaled))
		for name, tmpl := range t1 {
			if !bytes.Equal(tmpl, t2[name]) {
				t.Fatalf("scaling changed the pod template of %s", name)
			}
		}
	})
}

func abs(n int32) int32 {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

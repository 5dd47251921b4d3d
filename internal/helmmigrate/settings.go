package helmmigrate

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// serverSettings is what one release ran with, in the cluster's fields.
type serverSettings struct {
	conf      v1alpha1.Neo4jConfig
	memory    v1alpha1.MemorySpec
	jvm       []string
	apoc      v1alpha1.APOCConfig
	resources corev1.ResourceRequirements
}

// roleSettings puts the primaries' settings cluster-wide and the
// secondaries' differences in spec.secondary. Every server of a role runs
// alike under the operator, so releases of one role that differ are
// refused, as is what spec.secondary cannot express (a setting removed, or
// other JVM or APOC settings).
func (p *Plan) roleSettings(c *v1alpha1.Neo4jEnterpriseCluster, releases []Release) error {
	byRole := map[neo4jconf.Role]*serverSettings{}
	first := map[neo4jconf.Role]string{}
	for _, r := range releases {
		ro := role(r)
		got := p.serverSettings(r)
		if want, ok := byRole[ro]; ok {
			if what := differs(*want, got); what != "" {
				return fmt.Errorf("releases %s and %s (both %s) differ in %s: the operator runs every server of a role alike; align them with the chart first", first[ro], r.Name, ro, what)
			}
			continue
		}
		byRole[ro], first[ro] = &got, r.Name
	}
	prim := byRole[neo4jconf.Primary]
	s := &c.Spec
	s.Config, s.Memory, s.JVM.AdditionalArguments, s.APOCConfig, s.Resources = prim.conf, prim.memory, prim.jvm, prim.apoc, prim.resources
	sec, ok := byRole[neo4jconf.Secondary]
	if !ok {
		return nil
	}
	refuse := func(what string) error {
		return fmt.Errorf("the secondaries (release %s) and the primaries (release %s) differ in %s, which spec.secondary cannot express; align them with the chart first", first[neo4jconf.Secondary], first[neo4jconf.Primary], what)
	}
	if !equality.Semantic.DeepEqual(sec.jvm, prim.jvm) {
		return refuse("server.jvm.additional")
	}
	if !equality.Semantic.DeepEqual(sec.apoc, prim.apoc) {
		return refuse("apoc.* settings")
	}
	if !equality.Semantic.DeepEqual(sec.resources, prim.resources) {
		res := sec.resources
		s.Secondary.Resources = &res
	}
	if (prim.memory.Heap != nil && sec.memory.Heap == nil) || (prim.memory.PageCache != nil && sec.memory.PageCache == nil) {
		return refuse("memory: the primaries set a size the secondaries leave to Neo4j")
	}
	if !equality.Semantic.DeepEqual(sec.memory, prim.memory) {
		s.Secondary.Memory = sec.memory
	}
	for k, v := range sec.conf {
		if pv, ok := prim.conf[k]; !ok || pv != v {
			if s.Secondary.Config == nil {
				s.Secondary.Config = v1alpha1.Neo4jConfig{}
			}
			s.Secondary.Config[k] = v
		}
	}
	for k := range prim.conf {
		if _, ok := sec.conf[k]; !ok {
			return refuse("config " + k + ", set on the primaries only")
		}
	}
	return nil
}

// differs names the first field in which two releases' settings differ.
func differs(a, b serverSettings) string {
	switch {
	case !equality.Semantic.DeepEqual(a.resources, b.resources):
		return "resources"
	case !equality.Semantic.DeepEqual(a.memory, b.memory):
		return "memory settings"
	case !equality.Semantic.DeepEqual(a.jvm, b.jvm):
		return "server.jvm.additional"
	case !equality.Semantic.DeepEqual(a.apoc, b.apoc):
		return "apoc.* settings"
	}
	for _, k := range slices.Sorted(maps.Keys(a.conf)) {
		if b.conf[k] != a.conf[k] {
			return "config " + k
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.conf)) {
		if _, ok := a.conf[k]; !ok {
			return "config " + k
		}
	}
	return ""
}

func (p *Plan) serverSettings(r Release) serverSettings {
	conf, memory, jvm, apoc := p.settings(r.UserConfig)
	return serverSettings{conf: conf, memory: memory, jvm: jvm, apoc: apoc, resources: r.StatefulSet.Resources}
}

// settings sorts the release's user config (R-user-config: the chart's
// values.config and server.jvm.additional) into the fields the operator
// reads them from. What it cannot carry over is named in the notes.
func (p *Plan) settings(user map[string]string) (v1alpha1.Neo4jConfig, v1alpha1.MemorySpec, []string, v1alpha1.APOCConfig) {
	conf := v1alpha1.Neo4jConfig{}
	apoc := v1alpha1.APOCConfig{}
	var memory v1alpha1.MemorySpec
	var jvm []string
	for _, k := range slices.Sorted(maps.Keys(user)) {
		v := strings.TrimSpace(user[k])
		switch {
		case k == v1alpha1.JVMConfigKey:
			jvm = p.jvmArguments(v)
		case slices.Contains(v1alpha1.MemoryConfigKeys, k):
			p.memory(&memory, k, v)
		case slices.Contains(v1alpha1.OwnedConfigKeys, k):
			p.note("config %s=%s not carried over: the operator sets it from the topology, the Services and the volumes", k, v)
		case strings.HasPrefix(k, "server.directories.") && !underData(v):
			// Only the data volume moves: a folder elsewhere (an extra
			// volume of the chart's) would be empty under the operator.
			p.note("config %s=%s not carried over: only /data moves; set the matching volume on the cluster", k, v)
			if k == "server.directories.transaction.logs.root" || k == "server.directories.cluster_state" {
				p.refusal = fmt.Sprintf("config %s=%s is outside /data: the servers would start without it; move it into /data with the chart first", k, v)
			}
		case strings.Contains(v, "$("):
			// The chart's command expansion (for example the LDAP system
			// password read from a file); the operator has fields for those.
			p.note("config %s not carried over: its value runs a command (%s); set it through the cluster's fields (spec.ldap for the LDAP system password)", k, v)
		case k == "server.config.strict_validation.enabled" && strings.EqualFold(v, "false"):
			p.note("config %s=false kept: it is the chart's default, so the releases may carry settings Neo4j would refuse; remove it once the cluster runs", k)
			conf[k] = v1alpha1.ConfigValue(v)
		case strings.HasPrefix(k, "apoc."):
			apoc[k] = v1alpha1.ConfigValue(v)
		default:
			conf[k] = v1alpha1.ConfigValue(v)
		}
	}
	if len(conf) == 0 {
		conf = nil
	}
	if len(apoc) == 0 {
		apoc = nil
	}
	return conf, memory, jvm, apoc
}

// jvmArguments keeps the lines the operator does not already render as
// Neo4j's defaults.
func (p *Plan) jvmArguments(lines string) []string {
	var out []string
	for _, l := range strings.Split(lines, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), v1alpha1.JVMConfigKey+"="))
		if l != "" && !neo4jconf.IsDefaultJVMArgument(l) {
			out = append(out, l)
		}
	}
	return out
}

// memory moves a heap or page cache setting to spec.memory; the initial
// heap is dropped when it equals the maximum (the operator sets both).
func (p *Plan) memory(m *v1alpha1.MemorySpec, key, value string) {
	q, err := neo4jBytes(value)
	if err != nil {
		p.note("config %s=%s not carried over: %v; set spec.memory yourself", key, value, err)
		return
	}
	switch key {
	case "server.memory.heap.max_size":
		m.Heap = &q
	case "server.memory.pagecache.size":
		m.PageCache = &q
	case "server.memory.heap.initial_size":
		p.note("config %s=%s not carried over: the operator sets the initial heap to the maximum, as the Operations Manual recommends", key, value)
	}
}

// underData is true for a folder on the data volume: relative ones are
// resolved under it (server.directories.data, the image's /data).
func underData(dir string) bool {
	return !strings.HasPrefix(dir, "/") || dir == "/data" || strings.HasPrefix(dir, "/data/")
}

// byteUnits are neo4j.conf's byte-size multipliers, spelled exactly as the
// settings reference lists them ("valid multipliers are B, KiB, KB, K, kB,
// kb, k, MiB, ..., EiB, EB"); all are powers of 1024.
var byteUnits = map[string]uint{
	"": 0, "B": 0,
	"KiB": 10, "KB": 10, "K": 10, "kB": 10, "kb": 10, "k": 10,
	"MiB": 20, "MB": 20, "M": 20, "mB": 20, "mb": 20, "m": 20,
	"GiB": 30, "GB": 30, "G": 30, "gB": 30, "gb": 30, "g": 30,
	"TiB": 40, "TB": 40, "PiB": 50, "PB": 50, "EiB": 60, "EB": 60,
}

// neo4jBytes reads a byte size as neo4j.conf writes it: a number, with
// decimals allowed, and one of byteUnits.
func neo4jBytes(s string) (resource.Quantity, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	shift, ok := byteUnits[strings.TrimSpace(s[i:])]
	if i == 0 || err != nil || !ok {
		return resource.Quantity{}, fmt.Errorf("%q is not a byte size", s)
	}
	b := math.Round(n * math.Ldexp(1, int(shift)))
	if b >= math.MaxInt64 {
		return resource.Quantity{}, fmt.Errorf("%q is too large", s)
	}
	return *resource.NewQuantity(int64(b), resource.BinarySI), nil
}

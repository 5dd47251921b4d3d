package helmmigrate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// settings sorts the release's user config (R-user-config: the chart's
// values.config and server.jvm.additional) into the fields the operator
// reads them from. What it cannot carry over is named in the notes.
func (p *Plan) settings(user map[string]string) (v1alpha1.Neo4jConfig, v1alpha1.MemorySpec, []string, v1alpha1.APOCConfig) {
	conf := v1alpha1.Neo4jConfig{}
	apoc := v1alpha1.APOCConfig{}
	var memory v1alpha1.MemorySpec
	var jvm []string
	for _, k := range sortedKeys(user) {
		v := strings.TrimSpace(user[k])
		switch {
		case k == v1alpha1.JVMConfigKey:
			jvm = p.jvmArguments(v)
		case slices.Contains(v1alpha1.MemoryConfigKeys, k):
			p.memory(&memory, k, v)
		case slices.Contains(v1alpha1.OwnedConfigKeys, k):
			p.note("config %s=%s not carried over: the operator sets it from the topology, the Services and the volumes", k, v)
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

// neo4jBytes reads a byte size as neo4j.conf writes it: digits and an
// optional binary unit k, m, g or t in either case, optionally followed by
// "iB" or "B" (Operations Manual, configuration settings reference: byte
// sizes).
func neo4jBytes(s string) (resource.Quantity, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i == 0 {
		return resource.Quantity{}, fmt.Errorf("%q is not a byte size", s)
	}
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	unit := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s[i:])), "ib"), "b")
	shift, ok := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[unit]
	if err != nil || !ok {
		return resource.Quantity{}, fmt.Errorf("%q is not a byte size", s)
	}
	return *resource.NewQuantity(n<<shift, resource.BinarySI), nil
}

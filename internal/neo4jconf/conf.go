package neo4jconf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Role is a server role.
type Role string

// The two server roles.
const (
	Primary   Role = "primary"
	Secondary Role = "secondary"
)

// Ports the servers listen on. The K8S discovery resolver finds the
// discovery port by its name, so the names are part of the contract.
const (
	PortBolt    = 7687
	PortHTTP    = 7474
	PortHTTPS   = 7473
	PortTCPTx   = 6000
	PortRaft    = 7000
	PortRouting = 7688
	PortBackup  = 6362
	PortMetrics = 2004

	DiscoveryPortName = "tcp-tx"
)

// settingName is what a neo4j.conf key looks like. It also keeps "=" and
// line breaks out of keys, so a key cannot inject another setting.
var settingName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// Conf is a neo4j.conf as key/value settings.
type Conf map[string]string

// Input is what a role's configuration depends on.
type Input struct {
	Cluster *v1alpha1.Neo4jEnterpriseCluster // defaulted
	Role    Role
	// DiscoverySelector is the label selector of the per-server internals
	// Services, which the K8S resolver lists.
	DiscoverySelector string
}

// Build returns the neo4j.conf of a role. It refuses keys the operator owns,
// in case an object got past the CRD's validation (an older CRD, say).
func Build(in Input) (Conf, error) {
	spec := in.Cluster.Spec
	v, err := ParseTag(spec.Image.Tag)
	if err != nil {
		return nil, err
	}
	conf := Conf{
		// Defaults a user may override.
		"server.config.strict_validation.enabled":        "true",
		"dbms.routing.enabled":                           "true",
		"dbms.routing.default_router":                    "SERVER",
		"initial.dbms.automatically_enable_free_servers": "true",
		"server.metrics.prometheus.enabled":              "true",
		"server.metrics.enabled":                         "true",
	}
	for _, extra := range []v1alpha1.Neo4jConfig{spec.Config, roleSpec(in.Cluster, in.Role).Config} {
		for k, val := range extra {
			if !settingName.MatchString(k) {
				return nil, fmt.Errorf("config key %q is not a neo4j.conf setting name (lower-case words joined by dots, for example db.transaction.timeout)", k)
			}
			if slices.Contains(v1alpha1.OperatorConfigKeys, k) {
				return nil, fmt.Errorf("config key %q is managed by the operator", k)
			}
			if strings.ContainsAny(string(val), "\r\n") {
				return nil, fmt.Errorf("config value of %q spans lines; neo4j.conf values are single lines", k)
			}
			conf[k] = string(val)
		}
	}
	memory(conf, Resources(in.Cluster, in.Role))
	for k, val := range owned(in, v) {
		conf[k] = val
	}
	return conf, nil
}

// owned are the settings the operator decides.
func owned(in Input, v Version) Conf {
	t := in.Cluster.Spec.Topology
	listen := func(port int) string { return "0.0.0.0:" + strconv.Itoa(port) }
	c := Conf{
		"server.default_listen_address":        "0.0.0.0",
		"server.bolt.listen_address":           listen(PortBolt),
		"server.http.listen_address":           listen(PortHTTP),
		"server.https.listen_address":          listen(PortHTTPS),
		"server.cluster.listen_address":        listen(PortTCPTx),
		"server.cluster.raft.listen_address":   listen(PortRaft),
		"server.routing.listen_address":        listen(PortRouting),
		"server.backup.listen_address":         listen(PortBackup),
		"server.metrics.prometheus.endpoint":   listen(PortMetrics),
		"server.directories.data":              "/data",
		"server.directories.logs":              "/logs",
		"dbms.cluster.discovery.resolver_type": "K8S",
		"dbms.kubernetes.label_selector":       in.DiscoverySelector,
		// The resolver builds peers' names with this domain; it must be the
		// one the servers advertise.
		"dbms.kubernetes.cluster_domain": in.Cluster.Spec.ClusterDomain,

		// Formation-only settings: read when the cluster first forms.
		"dbms.cluster.minimum_initial_system_primaries_count": strconv.Itoa(int(min(t.Primaries, 3))),
		"initial.dbms.default_primaries_count":                strconv.Itoa(int(min(t.Primaries, 3))),
		"initial.dbms.default_secondaries_count":              strconv.Itoa(int(t.Secondaries)),
	}
	if v.CalVer() {
		c["dbms.kubernetes.discovery.service_port_name"] = DiscoveryPortName
	} else {
		c["dbms.cluster.discovery.version"] = "V2_ONLY"
		c["dbms.kubernetes.discovery.v2.service_port_name"] = DiscoveryPortName
	}
	if in.Role == Secondary {
		c["server.cluster.system_database_mode"] = "SECONDARY"
		c["initial.server.mode_constraint"] = "SECONDARY"
	}
	return c
}

// Resources are the container resources of a role.
func Resources(c *v1alpha1.Neo4jEnterpriseCluster, role Role) corev1.ResourceRequirements {
	if r := roleSpec(c, role).Resources; r != nil {
		return *r
	}
	return c.Spec.Resources
}

func roleSpec(c *v1alpha1.Neo4jEnterpriseCluster, role Role) v1alpha1.RoleSpec {
	if role == Secondary {
		return c.Spec.Secondary
	}
	return c.Spec.Primary
}

// memory derives heap and page cache from the memory limit (40% each,
// leaving a fifth for the JVM's native memory and the OS), unless the user
// set them.
func memory(conf Conf, r corev1.ResourceRequirements) {
	limit, ok := r.Limits[corev1.ResourceMemory]
	if !ok || limit.IsZero() {
		return
	}
	share := fmt.Sprintf("%dm", limit.Value()*2/5/(1<<20))
	for _, k := range []string{"server.memory.heap.initial_size", "server.memory.heap.max_size", "server.memory.pagecache.size"} {
		if _, set := conf[k]; !set {
			conf[k] = share
		}
	}
}

// Keys returns the setting names in order.
func (c Conf) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Render prints neo4j.conf, one sorted "key=value" line per setting.
func (c Conf) Render() string {
	var b strings.Builder
	b.WriteString("# Rendered by the neo4j-operator. Edit the Neo4jEnterpriseCluster, not this file.\n")
	for _, k := range c.Keys() {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(c[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// FormationOnly is true for settings a server reads only when the cluster
// first forms; changing them later needs no restart.
func FormationOnly(key string) bool {
	return strings.HasPrefix(key, "initial.") || key == "dbms.cluster.minimum_initial_system_primaries_count"
}

// Hash is a short digest of the settings a running server depends on. It is
// stamped into the pod template, so it must change exactly when a restart is
// needed.
func (c Conf) Hash() string {
	h := sha256.New()
	for _, k := range c.Keys() {
		if FormationOnly(k) {
			continue
		}
		fmt.Fprintf(h, "%s=%s\n", k, c[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

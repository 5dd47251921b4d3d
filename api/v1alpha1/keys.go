package v1alpha1

import (
	"slices"
	"strings"
)

// Annotations a user may set on a Neo4jEnterpriseCluster.
const (
	// AnnotationPaused set to "true" stops every write to the cluster's
	// objects until it is removed.
	AnnotationPaused = "neo4j.graphops.dev/paused"

	// AnnotationBootstrapped is written by the operator before neo4j is
	// restored from its backup (spec.bootstrap): with status.bootstrap,
	// it keeps the restore from ever running twice, even if the status is
	// lost (a restore from a snapshot, an older operator).
	AnnotationBootstrapped = "neo4j.graphops.dev/bootstrapped"

	// AnnotationRestartedAt, set to any new value (a timestamp, say), rolls
	// every server once, like `kubectl rollout restart` but for both roles.
	// The value is copied into the pod templates.
	AnnotationRestartedAt = "neo4j.graphops.dev/restartedAt"

	// AnnotationAllowFullRestart set to "true" lets the operator apply a
	// change that every server must make at the same moment (turning
	// spec.tls.cluster on or off: Neo4j needs the same cluster policy on
	// every server) by a full restart: all pods are deleted together and
	// start again together, with downtime. Without it such a change waits,
	// and FullRestartRequired says so.
	AnnotationAllowFullRestart = "neo4j.graphops.dev/allow-full-restart"
)

// OperatorConfigKeys are the neo4j.conf settings the operator owns. The
// CRD refuses them in config (hack/celgen writes the rules from these
// lists), and the renderer refuses them too, for objects stored before a
// CRD upgrade.
var OperatorConfigKeys = append(append(append([]string(nil), OwnedConfigKeys...), MemoryConfigKeys...), JVMConfigKey)

// OwnedConfigKeys are the settings the operator decides from the topology,
// the Services and the volumes.
var OwnedConfigKeys = []string{
	"dbms.cluster.discovery.resolver_type",
	"dbms.cluster.discovery.version",
	"dbms.kubernetes.label_selector",
	"dbms.kubernetes.cluster_domain",
	"dbms.kubernetes.discovery.service_port_name",
	"dbms.kubernetes.discovery.v2.service_port_name",
	"dbms.kubernetes.service_port_name",
	"dbms.cluster.endpoints",
	"dbms.cluster.discovery.endpoints",
	"dbms.cluster.discovery.v2.endpoints",
	"dbms.cluster.minimum_initial_system_primaries_count",
	"initial.dbms.default_primaries_count",
	"initial.dbms.default_secondaries_count",
	"initial.server.mode_constraint",
	"server.cluster.system_database_mode",
	"server.default_advertised_address",
	"server.default_listen_address",
	"server.bolt.listen_address",
	"server.bolt.advertised_address",
	"server.http.listen_address",
	"server.http.advertised_address",
	"server.https.listen_address",
	"server.https.advertised_address",
	"server.cluster.listen_address",
	"server.cluster.advertised_address",
	"server.cluster.raft.listen_address",
	"server.cluster.raft.advertised_address",
	"server.routing.listen_address",
	"server.routing.advertised_address",
	"server.discovery.listen_address",
	"server.discovery.advertised_address",
	"server.backup.listen_address",
	"server.metrics.prometheus.endpoint",
	"server.directories.data",
	"server.directories.logs",
	"server.directories.configuration",
	"server.directories.neo4j_home",
}

// MemoryConfigKeys are set from spec.memory.
var MemoryConfigKeys = []string{
	"server.memory.heap.initial_size",
	"server.memory.heap.max_size",
	"server.memory.pagecache.size",
}

// JVMConfigKey is set from spec.jvm, one line per argument.
const JVMConfigKey = "server.jvm.additional"

// OperatorEnvNames are environment variables the operator sets or that the
// Neo4j image reads as control variables, beside the NEO4J_* variables of
// OperatorConfigKeys (see EnvName).
var OperatorEnvNames = []string{
	"NEO4J_AUTH", "NEO4J_AUTH_PATH", "NEO4J_AUTH_FILE", "NEO4J_ACCEPT_LICENSE_AGREEMENT", "NEO4J_EDITION",
	"NEO4J_HOME", "NEO4J_CONF", "EXTENDED_CONF", "EXTENSION_SCRIPT", "POD_NAME", "POD_NAMESPACE", "SERVER_FQDN",
	// The LDAP system password file (spec.ldap).
	"NEO4J_dbms_security_ldap_authorization_system__password_FILE",
}

// EnvName is the variable the Neo4j image reads a setting from: NEO4J_,
// then the name with "_" doubled and "." as "_".
func EnvName(setting string) string {
	return "NEO4J_" + strings.ReplaceAll(strings.ReplaceAll(setting, "_", "__"), ".", "_")
}

// SettingOfEnv is the setting an environment variable sets, the way the
// image's entrypoint reads it, and false for variables that set none.
func SettingOfEnv(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "NEO4J_")
	if !ok || slices.Contains(OperatorEnvNames, name) || name == "NEO4J_PLUGINS" || name == "NEO4J_DEBUG" ||
		strings.HasSuffix(name, "_FILE") || rest == "" {
		return "", false
	}
	return strings.ReplaceAll(strings.ReplaceAll(rest, "_", "."), "..", "_"), true
}

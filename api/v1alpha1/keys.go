package v1alpha1

// Annotations a user may set on a Neo4jEnterpriseCluster.
const (
	// AnnotationPaused set to "true" stops every write to the cluster's
	// objects until it is removed.
	AnnotationPaused = "neo4j.graphops.dev/paused"

	// AnnotationRestartedAt, set to any new value (a timestamp, say), rolls
	// every server once, like `kubectl rollout restart` but for both roles.
	// The value is copied into the pod templates.
	AnnotationRestartedAt = "neo4j.graphops.dev/restartedAt"
)

// OperatorConfigKeys are the neo4j.conf settings the operator owns. The
// CRD's CEL rule on Neo4jConfig refuses them; a test keeps the two lists in
// step.
var OperatorConfigKeys = []string{
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
	"server.backup.listen_address",
	"server.metrics.prometheus.endpoint",
	"server.directories.data",
	"server.directories.logs",
}

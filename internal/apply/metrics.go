package apply

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics exported next to controller-runtime's. In a healthy steady state
// writes_total and write_conflicts_total stay flat: reconciles happen only
// on real changes, and each one that finds nothing to do adds to
// writes_skipped_total instead.
var (
	Writes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "neo4j_operator_writes_total",
		Help: "Writes the operator sent to the API server, by kind and verb (create, update, delete, status).",
	}, []string{"kind", "verb"})

	WriteConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "neo4j_operator_write_conflicts_total",
		Help: "Writes refused with 409 Conflict and retried from a fresh read, by kind.",
	}, []string{"kind"})

	WritesSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "neo4j_operator_writes_skipped_total",
		Help: "Objects found already as desired, so not written, by kind.",
	}, []string{"kind"})

	// ClusterWrites tells which cluster the writes are for: a cluster that
	// keeps writing at steady state is churning (the alert
	// Neo4jClusterChurning). Its series go with the cluster.
	ClusterWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "neo4j_operator_cluster_writes_total",
		Help: "Writes of a cluster's objects and status, by cluster.",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(Writes, WriteConflicts, WritesSkipped, ClusterWrites)
}

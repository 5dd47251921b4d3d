package neo4j

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	// Calls counts Bolt calls by query kind and outcome ("ok" or a Kind).
	Calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "neo4j_operator_bolt_calls_total",
		Help: "Bolt calls to Neo4j servers, by query and outcome.",
	}, []string{"query", "outcome"})
	// Latency of Bolt calls, connection included.
	Latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "neo4j_operator_bolt_call_duration_seconds",
		Help:    "Duration of Bolt calls to Neo4j servers, connection included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"query"})
)

func init() { metrics.Registry.MustRegister(Calls, Latency) }

func observe(query string, err error, took time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = string(KindOf(err))
	}
	Calls.WithLabelValues(query, outcome).Inc()
	Latency.WithLabelValues(query).Observe(took.Seconds())
}

package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// ScaleSteps counts the scaling steps entered, by direction (In, Out)
// and step (Done when an operation ends).
var ScaleSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "neo4j_operator_scale_steps_total",
	Help: "Scaling steps entered, by direction and step (Done: the operation ended).",
}, []string{"direction", "step"})

func init() { metrics.Registry.MustRegister(ScaleSteps) }

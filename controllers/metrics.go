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

// RolloutSteps counts the steps of rolls: Start, Evict (a pod evicted),
// Refused (an eviction the API refused, for a disruption budget) and Done.
var RolloutSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "neo4j_operator_rollout_steps_total",
	Help: "Steps of rolls: Start, Evict, Refused (an eviction refused by a disruption budget), Done.",
}, []string{"step"})

// RolloutInProgress is 1 for a cluster with a roll in progress, 0
// otherwise; the series goes with the cluster.
var RolloutInProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "neo4j_operator_rollout_in_progress",
	Help: "1 while a cluster's pods are being rolled, else 0.",
}, []string{"namespace", "name"})

// TLSReloads counts certificate reloads finished on every server of a
// cluster.
var TLSReloads = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "neo4j_operator_tls_reloads_total",
	Help: "Certificate rotations reloaded on every server of a cluster (dbms.security.reloadTLS()).",
})

func init() { metrics.Registry.MustRegister(ScaleSteps, RolloutSteps, RolloutInProgress, TLSReloads) }

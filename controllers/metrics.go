package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
)

// ScaleSteps counts the scaling steps entered, by direction (In, Out)
// and step (Done when an operation ends).
var ScaleSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "neo4j_operator_scale_steps_total",
	Help: "Scaling steps entered, by direction and step (Done: the operation ended).",
}, []string{"direction", "step"})

// RolloutSteps counts the steps of rolls: Start, Evict (a pod evicted),
// Refused (an eviction the API refused, for a disruption budget),
// FullRestart (the pods of a full restart deleted together) and Done.
var RolloutSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "neo4j_operator_rollout_steps_total",
	Help: "Steps of rolls: Start, Evict, Refused (an eviction refused by a disruption budget), FullRestart (every outdated pod deleted together), Done.",
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

// ClusterCondition is 1 while a cluster's condition is True, else 0, for
// the conditions alerts watch (Ready, Degraded, RolloutStuck, TLSReady);
// set at every reconcile, dropped with the cluster.
var ClusterCondition = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "neo4j_operator_cluster_condition",
	Help: "1 while the cluster's condition is True, else 0 (Ready, Degraded, RolloutStuck, TLSReady).",
}, []string{"namespace", "name", "condition"})

// CertificateExpiry is when each TLS channel's certificate expires.
var CertificateExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "neo4j_operator_certificate_expiry_timestamp_seconds",
	Help: "When the certificate of a cluster's TLS channel expires (its notAfter), in Unix seconds.",
}, []string{"namespace", "name", "channel"})

// alertedConditions are the conditions ClusterCondition exports.
var alertedConditions = []string{v1alpha1.ConditionReady, v1alpha1.ConditionDegraded, v1alpha1.ConditionRolloutStuck, v1alpha1.ConditionTLSReady}

// exportStatus sets the cluster's gauges from its status.
func exportStatus(c *v1alpha1.Neo4jEnterpriseCluster, st v1alpha1.Neo4jEnterpriseClusterStatus) {
	for _, t := range alertedConditions {
		cond := meta.FindStatusCondition(st.Conditions, t)
		if cond == nil {
			ClusterCondition.DeleteLabelValues(c.Namespace, c.Name, t)
			continue
		}
		v := 0.0
		if cond.Status == metav1.ConditionTrue {
			v = 1
		}
		ClusterCondition.WithLabelValues(c.Namespace, c.Name, t).Set(v)
	}
	expiry := map[string]float64{}
	if st.TLS != nil {
		for _, cert := range st.TLS.Certificates {
			if cert.NotAfter != nil {
				expiry[cert.Channel] = float64(cert.NotAfter.Unix())
			}
		}
	}
	// Set or dropped channel by channel: never a scrape without a series
	// that should be there (an alert's "for" would start over).
	for _, ch := range []string{v1alpha1.ChannelBolt, v1alpha1.ChannelHTTPS, v1alpha1.ChannelCluster, v1alpha1.ChannelBackup} {
		if at, ok := expiry[ch]; ok {
			CertificateExpiry.WithLabelValues(c.Namespace, c.Name, ch).Set(at)
		} else {
			CertificateExpiry.DeleteLabelValues(c.Namespace, c.Name, ch)
		}
	}
	if b := st.LastSuccessfulBackup; b != nil {
		LastSuccessfulBackup.WithLabelValues(c.Namespace, c.Name).Set(float64(b.CompletionTime.Unix()))
	} else {
		LastSuccessfulBackup.DeleteLabelValues(c.Namespace, c.Name)
	}
}

// LastSuccessfulBackup is when the cluster's newest completed backup
// finished: the alert Neo4jBackupMissing fires when it is more than 26
// hours ago. A cluster that never had one has no series (the alert covers
// clusters that had backups; docs/backup.md).
var LastSuccessfulBackup = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "neo4j_operator_last_successful_backup_timestamp_seconds",
	Help: "When the cluster's newest completed Neo4jBackup finished, in Unix seconds.",
}, []string{"namespace", "cluster"})

// ClusterReconciles counts reconciles per cluster: controller-runtime's
// reconcile_total says the operator is busy, this says which cluster
// keeps it busy (and lets a test see that one cluster was left alone
// while others were reconciled).
var ClusterReconciles = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "neo4j_operator_cluster_reconciles_total",
	Help: "Reconciles per cluster; flat while nothing about the cluster changes.",
}, []string{"namespace", "name"})

// forgetMetrics drops a deleted cluster's series.
func forgetMetrics(namespace, name string) {
	RolloutInProgress.DeleteLabelValues(namespace, name)
	apply.ClusterWrites.DeleteLabelValues(namespace, name)
	ClusterCondition.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	CertificateExpiry.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	LastSuccessfulBackup.DeleteLabelValues(namespace, name)
	ClusterReconciles.DeleteLabelValues(namespace, name)
}

func init() {
	metrics.Registry.MustRegister(ScaleSteps, RolloutSteps, RolloutInProgress, TLSReloads, ClusterCondition, CertificateExpiry, LastSuccessfulBackup, ClusterReconciles)
}

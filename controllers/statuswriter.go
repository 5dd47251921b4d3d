package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/status"
	"github.com/graphops-dev/neo4j-operator/internal/step"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// statusWriter is the one writer of a cluster's status, as CloudNativePG
// has one (pkg/resources/status): Report writes what the reconcile
// observed, Record writes the record of an operation that spans
// reconciles, locked or retried. Nothing else writes the status.
type statusWriter struct {
	r *Neo4jEnterpriseClusterReconciler
}

// recordMode is how a record is written.
type recordMode int

const (
	// locked: under the cached object's resourceVersion; a conflict means
	// the decision was made from a stale copy, and is made again.
	locked recordMode = iota
	// retried: from a fresh read, until it is written.
	retried
)

// status is the cluster's status writer.
func (r *Neo4jEnterpriseClusterReconciler) status() statusWriter { return statusWriter{r} }

// Report writes the computed status (conditions, counts, what Neo4j
// reports) through the status subresource, from a fresh read inside
// RetryOnConflict, and only when it differs semantically from what is
// there; the records it finds are kept as they are. Events fire on
// condition transitions only.
func (w statusWriter) Report(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, obs status.Observed) step.Result {
	r := w.r
	var reader client.Reader = r.Client
	var transitions []status.Transition
	var written *v1alpha1.Neo4jEnterpriseCluster
	var newGeneration bool
	err := retry.RetryOnConflict(apply.Backoff, func() error {
		fresh := &v1alpha1.Neo4jEnterpriseCluster{}
		if err := reader.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
			return err
		}
		if fresh.Generation != c.Generation {
			return nil // a newer spec: its own reconcile will report on it
		}
		next := status.Compute(fresh, obs)
		if equality.Semantic.DeepEqual(fresh.Status, next) {
			exportStatus(fresh, next)
			apply.WritesSkipped.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
			return nil
		}
		old, oldGeneration := fresh.Status.Conditions, fresh.Status.ObservedGeneration
		fresh.Status = next
		if err := r.Status().Update(ctx, fresh); err != nil {
			if apierrors.IsConflict(err) {
				apply.WriteConflicts.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
				log.FromContext(ctx).V(1).Info("status write conflict, retrying from a fresh read")
				reader = r.APIReader
			}
			return err
		}
		exportStatus(fresh, next)
		transitions = status.Transitions(old, next.Conditions)
		newGeneration = oldGeneration != next.ObservedGeneration
		written = fresh
		return nil
	})
	if err != nil {
		return step.Failed(fmt.Errorf("writing status: %w", err))
	}
	for _, t := range transitions {
		r.announce(written, t)
	}
	if newGeneration {
		r.adviseOnSpec(written)
	}
	return step.Result{}
}

// Record writes one of the status records of an operation that spans
// reconciles (status.scaling, status.rollout, status.tls,
// status.bootstrap). Locked, it writes with the cached cluster's
// resourceVersion as a lock: a decision made from a stale copy gets a
// conflict and is made again. Retried, it writes from a fresh read inside
// RetryOnConflict: a record of what Neo4j already answered must not be
// lost to a conflict. On success c holds the record and the new
// resourceVersion, and the reconciles that follow wait until the cache
// shows it (Written).
func (w statusWriter) Record(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, field string, mode recordMode, set func(*v1alpha1.Neo4jEnterpriseClusterStatus)) error {
	if mode == retried {
		return retry.RetryOnConflict(apply.Backoff, func() error {
			fresh := &v1alpha1.Neo4jEnterpriseCluster{}
			if err := w.r.APIReader.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
				return err
			}
			c.ResourceVersion, c.Status = fresh.ResourceVersion, fresh.Status
			return w.Record(ctx, c, field, locked, set)
		})
	}
	r := w.r
	next := c.DeepCopy()
	set(&next.Status)
	if err := r.Status().Update(ctx, next); err != nil {
		if apierrors.IsConflict(err) {
			apply.WriteConflicts.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
		}
		return fmt.Errorf("writing status.%s: %w", field, err)
	}
	set(&c.Status)
	c.ResourceVersion = next.ResourceVersion
	r.Written.Wrote(client.ObjectKeyFromObject(c), records(c), time.Now())
	return nil
}

package controllers

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// bootstrapStep restores neo4j from its backup, at most once. Before the
// recreate procedure is called, the record Requested is written
// (optimistic lock) and the cluster is annotated (AnnotationBootstrapped:
// it survives a lost status); Restored or Failed is written after Neo4j
// answers. An error that shows the call never ran (no connection, wrong
// credentials, not the leader, an untrusted certificate) withdraws both,
// and the restore is tried again; an answer that never came leaves
// Requested, which the plan reports as unconfirmed rather than risk
// replacing data twice. A restore the plan skips (data older than the
// cluster object, or the annotation without a status) is recorded as
// Skipped. It reports whether the status moved.
func (r *Neo4jEnterpriseClusterReconciler) bootstrapStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan) (step.Result, bool) {
	if why := p.Scale.BootstrapSkip; why != "" {
		skipped := &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapSkipped, SeedURI: bootstrapSeed(c), Since: metav1.Now(), Message: why}
		if err := r.writeBootstrap(ctx, c, skipped); err != nil {
			return step.Failed(err), false
		}
		r.event(c, corev1.EventTypeWarning, "RestoreSkipped", "Bootstrap", "%s", why)
		return step.After(time.Second, "report the skipped restore of neo4j"), true
	}
	cmd := p.Scale.Bootstrap
	requested := &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapRequested, SeedURI: cmd.SeedURI, Since: metav1.Now()}
	if err := r.status().Record(ctx, c, "bootstrap", locked, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Bootstrap = requested }); err != nil {
		return step.Failed(err), false
	}
	if err := r.markBootstrapped(ctx, c, cmd.SeedURI+" at "+requested.Since.UTC().Format(time.RFC3339)); err != nil {
		// Nothing was sent: withdraw the record and try again.
		return step.Failed(errors.Join(err, r.writeBootstrap(ctx, c, nil))), true
	}
	sent, err := r.recreate(ctx, c, p, *cmd)
	var next *v1alpha1.BootstrapStatus
	switch kind := neo4j.KindOf(err); {
	case err == nil:
		next = &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapRestored, SeedURI: cmd.SeedURI, Since: metav1.Now()}
		r.event(c, corev1.EventTypeNormal, "Restored", "Bootstrap", "neo4j restored from %s", cmd.SeedURI)
	case kind == neo4j.Refused:
		msg := neo4j.Refusal(err)
		next = &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapFailed, SeedURI: cmd.SeedURI, Since: metav1.Now(), Message: msg}
		r.event(c, corev1.EventTypeWarning, "RestoreFailed", "Bootstrap", "Neo4j refused to restore neo4j from %s: %s", cmd.SeedURI, msg)
	case !sent || kind == neo4j.AuthFailed || kind == neo4j.NotALeader || kind == neo4j.Untrusted:
		log.FromContext(ctx).Info("restore of neo4j not run; trying again", "reason", err.Error())
		err := errors.Join(r.unmarkBootstrapped(ctx, c), r.writeBootstrap(ctx, c, nil))
		return step.After(recheck, "restore of neo4j not run").Merge(step.Result{Err: err}), true
	default:
		log.FromContext(ctx).Info("restore of neo4j sent without an answer; not sent again", "reason", err.Error())
		return step.After(time.Second, "report the unconfirmed restore of neo4j"), true
	}
	if err := r.writeBootstrap(ctx, c, next); err != nil {
		return step.Failed(err), true
	}
	// A status record triggers no reconcile: come back to report.
	return step.After(time.Second, "report the restore of neo4j"), true
}

// bootstrapSeed names neo4j's seed in spec.bootstrap, for the record.
func bootstrapSeed(c *v1alpha1.Neo4jEnterpriseCluster) string {
	if b := c.Spec.Bootstrap; b != nil {
		for _, r := range b.FromBackup {
			if r.Database == scale.DefaultDatabase && r.URI != "" {
				return r.URI
			} else if r.Database == scale.DefaultDatabase {
				return "Neo4jBackup " + r.Backup
			}
		}
	}
	return ""
}

// writeBootstrap writes status.bootstrap from a fresh read: after Neo4j
// answered, a conflict must not lose the answer.
func (r *Neo4jEnterpriseClusterReconciler) writeBootstrap(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, b *v1alpha1.BootstrapStatus) error {
	return r.status().Record(ctx, c, "bootstrap", retried, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Bootstrap = b.DeepCopy() })
}

// markBootstrapped annotates the cluster before the restore runs.
func (r *Neo4jEnterpriseClusterReconciler) markBootstrapped(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, value string) error {
	before := c.DeepCopy()
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[v1alpha1.AnnotationBootstrapped] = value
	return r.patchMeta(ctx, c, before)
}

func (r *Neo4jEnterpriseClusterReconciler) unmarkBootstrapped(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) error {
	before := c.DeepCopy()
	delete(c.Annotations, v1alpha1.AnnotationBootstrapped)
	return r.patchMeta(ctx, c, before)
}

func (r *Neo4jEnterpriseClusterReconciler) patchMeta(ctx context.Context, c, before *v1alpha1.Neo4jEnterpriseCluster) error {
	if err := r.Patch(ctx, c, client.MergeFrom(before)); err != nil {
		return err
	}
	return nil
}

// recreate calls the recreate procedure on the system leader; sent is
// false when no connection could be opened (nothing reached Neo4j).
func (r *Neo4jEnterpriseClusterReconciler) recreate(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, cmd scale.Command) (bool, error) {
	conn, err := r.leaderConn(ctx, p)
	if err != nil {
		return false, err
	}
	defer func() { _ = conn.Close(ctx) }()
	v, _ := neo4jconf.ParseTag(p.Rendered.WithDefaults().Spec.Image.Tag)
	newName := !v.Before(neo4jconf.Version{Major: 2025, Minor: 4})
	err = conn.RecreateDatabase(ctx, newName, cmd.Database, cmd.Primaries, cmd.Secondaries, cmd.SeedURI)
	r.Observers.CommandSent(client.ObjectKeyFromObject(c))
	return true, err
}

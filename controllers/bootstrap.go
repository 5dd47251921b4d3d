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

// bootstrapStep restores neo4j from its backup, at most once: the record
// Requested is written (optimistic lock) before the recreate procedure is
// called, and Restored or Failed after it answers. A connection that
// could not be opened sent nothing, so its record is withdrawn and the
// restore tried again; an answer that never came leaves Requested, which
// the plan reports as unconfirmed rather than risk replacing data twice.
// It reports whether the status moved.
func (r *Neo4jEnterpriseClusterReconciler) bootstrapStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan) (step.Result, bool) {
	cmd := p.Scale.Bootstrap
	requested := &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapRequested, SeedURI: cmd.SeedURI, Since: metav1.Now()}
	if err := r.writeRecord(ctx, c, "bootstrap", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Bootstrap = requested }); err != nil {
		return step.Failed(err), false
	}
	sent, err := r.recreate(ctx, c, p, *cmd)
	var next *v1alpha1.BootstrapStatus
	switch msg := neo4j.Refusal(err); {
	case err == nil:
		next = &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapRestored, SeedURI: cmd.SeedURI, Since: metav1.Now()}
		r.event(c, corev1.EventTypeNormal, "Restored", "Bootstrap", "neo4j restored from %s", cmd.SeedURI)
	case msg != "":
		next = &v1alpha1.BootstrapStatus{State: v1alpha1.BootstrapFailed, SeedURI: cmd.SeedURI, Since: metav1.Now(), Message: msg}
		r.event(c, corev1.EventTypeWarning, "RestoreFailed", "Bootstrap", "Neo4j refused to restore neo4j from %s: %s", cmd.SeedURI, msg)
	case !sent:
		log.FromContext(ctx).Info("restore of neo4j not sent; trying again", "reason", err.Error())
	default:
		log.FromContext(ctx).Info("restore of neo4j sent without an answer; not sent again", "reason", err.Error())
		return step.After(time.Second, "report the unconfirmed restore of neo4j"), true
	}
	if err := r.writeRecord(ctx, c, "bootstrap", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Bootstrap = next }); err != nil {
		return step.Failed(err), true
	}
	if next == nil {
		return step.After(recheck, "restore of neo4j not sent"), true
	}
	// A status record triggers no reconcile: come back to report.
	return step.After(time.Second, "report the restore of neo4j"), true
}

// recreate calls the recreate procedure on the system leader; sent is
// false when no connection could be opened (nothing reached Neo4j).
func (r *Neo4jEnterpriseClusterReconciler) recreate(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, cmd scale.Command) (bool, error) {
	leader := neo4j.SystemLeader(p.Neo4j.Databases)
	if leader == "" {
		return false, errors.New("no server leads the system database")
	}
	conn, err := r.Observers.Admin(ctx, r.target(p.Rendered, false), leader)
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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// scalePoll is how soon a cluster with a scaling operation or a waiting
// placement is looked at again, on top of the observers' events.
const scalePoll = 2 * time.Second

// scaleStep carries out the scaling decision: its Neo4j commands first,
// then its transition of status.scaling (an optimistic-lock write). It
// says whether the reconcile may apply objects: not when a transition the
// rendered replicas assume could not be written.
func (r *Neo4jEnterpriseClusterReconciler) scaleStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan) (step.Result, bool) {
	d := p.Scale
	res := step.Result{}
	switch {
	case d.Scaling != nil:
		res = step.After(scalePoll, "scaling: "+d.Waiting)
	case d.Waiting != "":
		// Nothing in flight: what it waits for (health, a poll) wakes the
		// cluster through the observers; this is only a backstop.
		res = step.After(recheck, "waiting: "+d.Waiting)
	}
	if len(d.Commands) > 0 {
		if err := r.send(ctx, c, p, d.Commands); err != nil {
			log.FromContext(ctx).Info("a Neo4j command failed; trying again after the next poll", "error", err.Error())
			return res.Merge(step.After(scalePoll, "a Neo4j command failed")), !d.Transition
		}
	}
	if !d.Transition {
		return res, true
	}
	if err := r.transition(ctx, c, d.Scaling); err != nil {
		return recordFailed(err, "status.scaling"), false
	}
	return res.Merge(step.After(200*time.Millisecond, "scaling moved to its next step")), true
}

// transition writes status.scaling with the cached cluster's
// resourceVersion as a lock: a reconcile working from a stale copy gets a
// conflict and looks again, so a step is never recorded from an outdated
// view. Each step gets an Event and a count.
func (r *Neo4jEnterpriseClusterReconciler) transition(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, to *v1alpha1.ScalingStatus) error {
	from := c.Status.Scaling
	if err := r.status().Record(ctx, c, "scaling", locked, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Scaling = to }); err != nil {
		return err
	}
	direction, stepName, note := describe(from, to)
	ScaleSteps.WithLabelValues(direction, stepName).Inc()
	log.FromContext(ctx).Info("scaling", "direction", direction, "step", stepName, "note", note)
	r.event(c, corev1.EventTypeNormal, "Scale"+direction, string(stepName), "%s", note)
	return nil
}

// describe names a transition for the Event and the metric.
func describe(from, to *v1alpha1.ScalingStatus) (direction, stepName, note string) {
	if to == nil {
		how := "finished"
		if from.Direction == v1alpha1.ScaleIn && from.Step == v1alpha1.StepCordon {
			how = "ended: the spec keeps " + strings.Join(from.Servers, ", ")
		}
		return string(from.Direction), "Done", fmt.Sprintf("scale-%s of the %s servers %s; the StatefulSet has %d",
			map[v1alpha1.ScalingDirection]string{v1alpha1.ScaleIn: "in", v1alpha1.ScaleOut: "out"}[from.Direction], from.Role, how, from.Replicas)
	}
	return string(to.Direction), string(to.Step), fmt.Sprintf("%s: %s (the %s StatefulSet heads to %d)",
		strings.Join(to.Servers, ", "), to.Step, to.Role, to.Replicas)
}

// send runs the commands on the system database's leader, in order,
// stopping at the first failure. Each is recorded as sent (the next
// decision waits for a poll that follows it); a refusal is kept for the
// condition that reports it.
func (r *Neo4jEnterpriseClusterReconciler) send(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, p plan.Plan, cmds []scale.Command) error {
	key := client.ObjectKeyFromObject(c)
	conn, err := r.leaderConn(ctx, p)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	for _, cmd := range cmds {
		err := run(ctx, conn, cmd)
		r.Observers.CommandSent(key)
		if err != nil {
			if msg := neo4j.Refusal(err); msg != "" && r.Observers.Refused(key, string(cmd.Kind), cmd.Target(), msg) {
				r.event(c, corev1.EventTypeWarning, "Neo4jRefused", string(cmd.Kind), "%s: %s", commandNote(p, cmd), msg)
			}
			return err
		}
		r.Observers.Accepted(key)
		log.FromContext(ctx).Info("Neo4j command", "command", cmd.Kind, "note", commandNote(p, cmd))
		r.event(c, corev1.EventTypeNormal, "Neo4jCommand", string(cmd.Kind), "%s", commandNote(p, cmd))
	}
	return nil
}

// errNoLeader: no server leads the system database, so no administration
// command can be sent.
var errNoLeader = errors.New("no server leads the system database")

// errNoPoll: Neo4j has not answered a poll yet, so its leader is unknown.
var errNoPoll = errors.New("no poll of Neo4j yet")

// leaderConn opens an administration connection to the system database's
// leader, as the last poll names it: writes must reach the leader, and over
// bolt:// nothing forwards them. Every administration command goes this way.
func (r *Neo4jEnterpriseClusterReconciler) leaderConn(ctx context.Context, p plan.Plan) (*neo4j.Conn, error) {
	return r.connTo(ctx, p.Rendered, p.Neo4j.Databases)
}

// AdminConn is leaderConn from the observers' last poll, for the users and
// roles controller (controllers/access), which sends its own commands.
func (r *Neo4jEnterpriseClusterReconciler) AdminConn(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (*neo4j.Conn, error) {
	obs, _, ok := r.Observers.LastFresh(client.ObjectKeyFromObject(c))
	if !ok {
		return nil, errNoPoll
	}
	return r.connTo(ctx, c, obs.Databases)
}

// connTo dials the leader of the system database among dbs.
func (r *Neo4jEnterpriseClusterReconciler) connTo(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, dbs []neo4j.Database) (*neo4j.Conn, error) {
	leader := neo4j.SystemLeader(dbs)
	if leader == "" {
		return nil, errNoLeader
	}
	return r.Observers.Admin(ctx, r.target(c, false), leader)
}

// recordFailed is the one policy for a status record (status.scaling,
// status.rollout) that could not be written: a conflict means another
// reconcile moved it, so this one looks again at once from a fresh copy;
// anything else is a failure.
func recordFailed(err error, record string) step.Result {
	if apierrors.IsConflict(err) {
		return step.After(100*time.Millisecond, record+" changed meanwhile")
	}
	return step.Failed(err)
}

func run(ctx context.Context, conn *neo4j.Conn, cmd scale.Command) error {
	switch cmd.Kind {
	case scale.Enable:
		return conn.EnableServer(ctx, cmd.Server, cmd.Mode)
	case scale.Cordon:
		return conn.CordonServer(ctx, cmd.Server)
	case scale.DryRun:
		_, err := conn.DryRunDeallocate(ctx, cmd.Server) // a refusal is the answer; the moves are Neo4j's business
		return err
	case scale.Deallocate:
		return conn.DeallocateServer(ctx, cmd.Server)
	case scale.Drop:
		return conn.DropServer(ctx, cmd.Server)
	case scale.Reallocate:
		return conn.ReallocateDatabases(ctx)
	case scale.Create:
		return conn.CreateSeededDatabase(ctx, cmd.Database, cmd.Primaries, cmd.Secondaries, neo4j.Seed{URI: cmd.SeedURI, Config: cmd.SeedConfig})
	case scale.Alter:
		return conn.SetTopology(ctx, cmd.Database, cmd.Primaries, cmd.Secondaries)
	}
	return fmt.Errorf("unknown command %q", cmd.Kind)
}

// commandNote says what a command does, naming the server's pod.
func commandNote(p plan.Plan, cmd scale.Command) string {
	pod := cmd.Server
	for _, s := range p.Neo4j.Servers {
		if s.ID == cmd.Server {
			pod = render.PodOfAddress(s.Address)
		}
	}
	switch cmd.Kind {
	case scale.Enable:
		if cmd.Mode == "" {
			return "enabled the cordoned server of " + pod + " again, with its options"
		}
		return fmt.Sprintf("enabled the server of %s (mode constraint %s)", pod, cmd.Mode)
	case scale.DryRun:
		return "Neo4j's dry run accepts deallocating " + pod
	case scale.Cordon:
		return "cordoned the server of " + pod
	case scale.Deallocate:
		return "deallocating the databases of " + pod
	case scale.Drop:
		return "dropped the server of " + pod
	case scale.Reallocate:
		return "reallocated the databases over the enabled servers"
	case scale.Create:
		seed := ""
		if cmd.SeedURI != "" {
			seed = ", seeded from " + cmd.SeedURI
		}
		return fmt.Sprintf("created database %s with %d primaries and %d secondaries%s", cmd.Database, cmd.Primaries, cmd.Secondaries, seed)
	default:
		return fmt.Sprintf("set the topology of %s to %d primaries and %d secondaries", cmd.Database, cmd.Primaries, cmd.Secondaries)
	}
}

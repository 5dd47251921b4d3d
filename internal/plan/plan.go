// Package plan decides what a reconcile does, from what it observed and
// nothing else: a pure function, table-tested. The controller observes
// (caches, the API server), calls Compute, and acts on the Plan through
// the one write path. Operations that span reconciles (scale-in, rolls)
// will keep their state in the cluster's status and be decided here too.
package plan

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/rollout"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
	"github.com/graphops-dev/neo4j-operator/internal/status"
	"github.com/graphops-dev/neo4j-operator/internal/tlsreload"
)

// Observed is what a reconcile read before deciding anything.
type Observed struct {
	Cluster *v1alpha1.Neo4jEnterpriseCluster
	Auth    Auth
	// StatefulSets the cluster controls, by role.
	StatefulSets map[neo4jconf.Role]*appsv1.StatefulSet
	// Owned are the objects of prunable kinds the cluster controls, by
	// Key.
	Owned map[string]client.Object
	// Neo4j is the observers' last poll of the cluster's Neo4j servers
	// (nil: none yet, or the operator does not observe Neo4j).
	Neo4j *observer.Observation
	// Scale is what scaling decides from, when the operator observes
	// Neo4j (nil: it does not, and the StatefulSets follow the spec).
	Scale *scale.Input
	// Rollout is what a roll decides from (nil: no StatefulSet yet).
	Rollout *rollout.Input
	// TLS is what the certificates decide from (nil without spec.tls);
	// its Servers are filled in from the rendered topology.
	TLS *tlsreload.Input
	// CertManager is true when the API server serves cert-manager's
	// Certificates: without it, none are applied.
	CertManager bool
	// Monitors are the Prometheus Operator kinds the API server serves
	// (ServiceMonitor, PodMonitor): the others are not applied.
	Monitors map[string]bool
	// LastBackup is the cluster's newest completed Neo4jBackup (nil:
	// none).
	LastBackup *v1alpha1.LastBackup
}

// Auth is what was found of the auth Secret; never its value.
type Auth struct {
	Found bool
	// Problem says why the value is unusable ("" when usable or absent).
	Problem string
	// Version is the Secret's resourceVersion as read.
	Version string
}

// Plan is what to do now.
type Plan struct {
	// LastBackup is reported in the status as it was observed.
	LastBackup *v1alpha1.LastBackup
	// Paused: write nothing but the status.
	Paused bool
	// GenerateAuthSecret creates "<cluster>-auth" before anything else.
	GenerateAuthSecret bool
	// AuthVersion is the auth Secret's resourceVersion as observed: the
	// Neo4j observers read the Secret again when it moves.
	AuthVersion string
	// WaitingForSecret: the user's auth Secret is missing or unusable;
	// nothing is applied until it is fixed.
	WaitingForSecret bool
	// Apply are the desired objects, in apply order.
	Apply []client.Object
	// Prune are owned objects no longer desired: delete them once every
	// desired object is in place.
	Prune []client.Object
	// Issues are problems the user must fix (Degraded condition, Event).
	Issues []status.Issue
	// Neo4j is what the status reports of Neo4j, as observed.
	Neo4j *observer.Observation
	// Scale is the scaling and placement decision (nil when Neo4j is not
	// observed).
	Scale *scale.Decision
	// Rendered is the cluster as rendered: its topology is the replicas
	// the scaling decision allows now.
	Rendered *v1alpha1.Neo4jEnterpriseCluster
	// Rollout is the roll decision (nil when there is nothing to decide
	// from).
	Rollout *rollout.Decision
	// TLS is the certificates' decision (nil without spec.tls, or when
	// nothing is rendered).
	TLS *tlsreload.Decision
}

// Key names an object within its cluster: kind and name.
func Key(kind, name string) string { return kind + "/" + name }

// Compute decides. kindOf names an object's kind (from the scheme).
func Compute(o Observed, kindOf func(client.Object) string) Plan {
	c := o.Cluster
	if c.IsPaused() {
		return Plan{Paused: true, Neo4j: o.Neo4j, LastBackup: o.LastBackup}
	}
	p := Plan{Neo4j: o.Neo4j, LastBackup: o.LastBackup, AuthVersion: o.Auth.Version}
	switch {
	case !o.Auth.Found && c.GeneratesAuthSecret():
		p.GenerateAuthSecret = true
	case !o.Auth.Found:
		key := c.WithDefaults().Spec.Auth.SecretKey
		p.WaitingForSecret = true
		p.Issues = append(p.Issues, status.Issue{Reason: "AuthSecretMissing",
			Message: fmt.Sprintf("auth Secret %s/%s not found; create it with key %s=neo4j/<password>", c.Namespace, c.AuthSecretName(), key)})
		return p
	case o.Auth.Problem != "":
		p.WaitingForSecret = true
		p.Issues = append(p.Issues, status.Issue{Reason: "AuthSecretInvalid", Message: o.Auth.Problem})
		return p
	}
	if held := fullRestartHeld(o); held != nil {
		p.Issues = append(p.Issues, *held)
		return p
	}
	p.Rendered = c
	if o.Scale != nil {
		d := scale.Decide(*o.Scale)
		p.Scale = &d
		p.Issues = append(p.Issues, d.Issues...)
		p.Rendered = c.DeepCopy()
		p.Rendered.Spec.Topology = v1alpha1.Topology{Primaries: d.Replicas[neo4jconf.Primary], Secondaries: d.Replicas[neo4jconf.Secondary]}
	}
	objs, err := render.Render(p.Rendered)
	if err != nil {
		p.Issues = append(p.Issues, status.Issue{Reason: "InvalidSpec", Message: err.Error()})
		return p
	}
	if !o.CertManager {
		objs.Certificates = nil // TLSReady says why
	}
	var served []*unstructured.Unstructured
	for _, m := range objs.Monitors {
		if o.Monitors[m.GetKind()] {
			served = append(served, m)
			continue
		}
		p.Issues = append(p.Issues, status.Issue{Reason: "PrometheusOperatorMissing", Message: fmt.Sprintf(
			"spec.monitoring asks for a %s, but this API server does not serve monitoring.coreos.com/v1 %ss: install the Prometheus Operator's CRDs and restart the operator, or scrape the %s Service yourself",
			m.GetKind(), m.GetKind(), render.MetricsServiceName(c))})
	}
	objs.Monitors = served
	if o.Scale != nil && !disruptable(o) {
		render.HoldDisruptions(objs.PodDisruptionBudgets)
	}
	p.Apply = objs.All()
	desired := map[string]bool{}
	for _, obj := range p.Apply {
		desired[Key(kindOf(obj), obj.GetName())] = true
	}
	for key, obj := range o.Owned {
		if !desired[key] {
			p.Prune = append(p.Prune, obj)
		}
	}
	sort.Slice(p.Prune, func(i, j int) bool {
		return Key(kindOf(p.Prune[i]), p.Prune[i].GetName()) < Key(kindOf(p.Prune[j]), p.Prune[j].GetName())
	})
	if o.TLS != nil {
		in := *o.TLS
		in.Servers = render.PodNames(p.Rendered)
		d := tlsreload.Decide(in)
		p.TLS = &d
		p.Issues = append(p.Issues, d.Problems...)
	}
	if o.Rollout != nil {
		in := *o.Rollout
		in.FullRestartAllowed = c.AllowsFullRestart()
		d := rollout.Decide(in)
		p.Rollout = &d
		if d.Stuck != "" {
			p.Issues = append(p.Issues, status.Issue{Reason: "RolloutStuck", Message: d.Stuck})
		}
	}
	return p
}

// disruptable: Neo4j can lose one server to a voluntary disruption now,
// by the same verdict that lets the roll go on (ECK sets its budget from
// the cluster's health the same way). The verdict is the status's (Ready:
// formed, every server enabled and Available, every copy as requested)
// and, with a poll in hand, a single writer for every writable database.
// Without a poll yet (an operator that just started) the status written
// before stands, so a restart changes no budget. Replication lag is left
// out: polls that differ only in lag wake no reconcile, so the budget
// could not follow it; a copy still catching up shows as store copying.
func disruptable(o Observed) bool {
	if !status.Neo4j(o.Cluster, o.Neo4j).Ready() {
		return false
	}
	if o.Neo4j == nil {
		return true
	}
	ok, _ := rollout.HaveWriters(o.Neo4j.Databases)
	return ok
}

// fullRestartHeld refuses, until the user allows a full restart, a spec
// that turns the cluster channel's TLS on or off while the servers run
// the other policy. Neo4j needs the same policy on every server (5.x
// clustering/setup/encryption.adoc), so no roll of one pod at a time can
// make the change: every server must stop, and start again, together.
// Nothing is applied meanwhile: a StatefulSet written with the new policy
// would give it to any pod that restarts for another reason, which could
// then not join the others.
func fullRestartHeld(o Observed) *status.Issue {
	live := o.StatefulSets[neo4jconf.Primary]
	c := o.Cluster
	if live == nil || c.AllowsFullRestart() {
		return nil
	}
	want := c.Spec.TLS.Cluster != nil
	if render.ClusterTLS(&live.Spec.Template.Spec) == want {
		return nil
	}
	change := map[bool]string{true: "turns on", false: "turns off"}[want]
	return &status.Issue{Reason: "FullRestartRequired", Message: fmt.Sprintf(
		"spec.tls.cluster %s TLS between the servers of a running cluster: Neo4j needs the same cluster policy on every server, so all of them must stop and start again together, with downtime. "+
			"Annotate the cluster %s=true to restart it so, or set spec.tls.cluster back; until then none of its objects change",
		change, v1alpha1.AnnotationAllowFullRestart)}
}

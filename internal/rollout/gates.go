package rollout

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// The health gate: named, pure predicates in the manner of ECK's
// upgrade_predicates.go. Before each pod, every predicate must hold, in
// order; the first that fails is what the roll waits on, and its name is
// recorded in status.rollout.gate. The Neo4j ones apply when the operator
// observes Neo4j. docs/design.md lists them.

// Gate is a failed predicate and what it saw.
type Gate struct {
	Name, Saw string
}

func (g Gate) String() string { return g.Name + ": " + g.Saw }

// Subject is what a gate is checked for: the pod restarted last (its
// replacement must have caught up) and a pod about to be evicted that is
// already down.
type Subject struct {
	Restarted, Down string
}

// Predicate is one check of the gate. Check says whether it holds, and if
// not what it saw; the text is stable for a given state, since it is
// written to the status.
type Predicate struct {
	Name  string
	Check func(in Input, s Subject) (ok bool, saw string)
}

// KubernetesGates hold with or without Neo4j observed.
var KubernetesGates = []Predicate{
	{"NotScaling", notScaling},
	{"StatefulSetsObserved", statefulSetsObserved},
	{"PodsReady", podsReady},
}

// DownGates are checked before evicting a pod that is down: nothing it
// does counts any more, so only one pod may be in replacement at a time.
var DownGates = []Predicate{
	{"NotScaling", notScaling},
	{"StatefulSetsObserved", statefulSetsObserved},
	{"NoneReplacing", noneReplacing},
}

// Neo4jGates need the operator's Neo4j observation.
var Neo4jGates = []Predicate{
	{"Neo4jPolled", neo4jPolled},
	{"ServersAvailable", serversAvailable},
	{"DatabasesAllocated", databasesAllocated},
	{"CaughtUp", caughtUp},
}

func (in Input) firstFailing(preds []Predicate, s Subject) *Gate {
	for _, p := range preds {
		if ok, saw := p.Check(in, s); !ok {
			return &Gate{Name: p.Name, Saw: saw}
		}
	}
	return nil
}

// notScaling: no scaling operation is in progress. Rolls and scaling take
// turns; scaling waits for a roll the same way.
func notScaling(in Input, _ Subject) (bool, string) {
	if sc := in.Cluster.Status.Scaling; sc != nil {
		return false, fmt.Sprintf("a scale-%s of the %s servers is in progress", map[bool]string{true: "in", false: "out"}[sc.Direction == "In"], sc.Role)
	}
	return true, ""
}

// statefulSetsObserved: the StatefulSet controller has seen each
// StatefulSet's latest spec (so its update revision and counts are
// current), and the cache shows the operator's own last writes.
func statefulSetsObserved(in Input, _ Subject) (bool, string) {
	for _, role := range roles {
		if s := in.StatefulSets[role]; s != nil && s.Status.ObservedGeneration < s.Generation {
			return false, fmt.Sprintf("the StatefulSet controller has not seen generation %d of %s", s.Generation, s.Name)
		}
	}
	if !in.CacheSynced {
		return false, "the cache does not show the operator's last StatefulSet write yet"
	}
	return true, ""
}

// podsReady: every pod each StatefulSet wants exists, is Ready and is not
// terminating.
func podsReady(in Input, s Subject) (bool, string) {
	if ok, saw := noneReplacing(in, s); !ok {
		return false, saw
	}
	for _, name := range in.wanted() {
		if !podReady(in.pod(name)) {
			return false, name + " is not Ready"
		}
	}
	return true, ""
}

// noneReplacing: every pod each StatefulSet wants exists and none is
// terminating: no other restart is in flight.
func noneReplacing(in Input, _ Subject) (bool, string) {
	for _, name := range in.wanted() {
		switch p := in.pod(name); {
		case p == nil:
			return false, name + " does not exist"
		case p.DeletionTimestamp != nil:
			return false, name + " is terminating"
		}
	}
	return true, ""
}

// wanted are the pods the StatefulSets want, by name.
func (in Input) wanted() []string {
	var out []string
	for _, role := range roles {
		if sts := in.StatefulSets[role]; sts != nil {
			for i := int32(0); i < ptr.Deref(sts.Spec.Replicas, 1); i++ {
				out = append(out, fmt.Sprintf("%s-%d", sts.Name, i))
			}
		}
	}
	return out
}

// neo4jPolled: Neo4j answered a poll taken after every pod became Ready,
// so the other Neo4j gates judge the restarted server, not a view from
// before its restart.
func neo4jPolled(in Input, _ Subject) (bool, string) {
	o := in.Neo4j
	switch {
	case o == nil:
		return false, "no poll of Neo4j yet"
	case o.Failure != "":
		return false, "the last poll failed: " + string(o.Failure)
	}
	for i := range in.Pods {
		// Condition times have a resolution of one second: a poll counts
		// only if it started a full second after the time recorded.
		if p := &in.Pods[i]; podReady(p) && !o.At.After(readySince(p).Add(time.Second)) {
			return false, "no poll since " + p.Name + " became Ready"
		}
	}
	return true, ""
}

// serversAvailable: every enabled server is Available, and the restarted
// pod's server is listed, enabled and Available.
func serversAvailable(in Input, s Subject) (bool, string) {
	seen := s.Restarted == ""
	for _, srv := range in.Neo4j.Servers {
		pod := render.PodOfAddress(srv.Address)
		if pod == s.Restarted && s.Restarted != "" {
			seen = true
			if srv.State != neo4j.StateEnabled {
				return false, fmt.Sprintf("the server of %s is %s", pod, srv.State)
			}
		}
		if srv.State == neo4j.StateEnabled && srv.Health != neo4j.HealthAvailable {
			return false, fmt.Sprintf("the server of %s is %s", pod, srv.Health)
		}
	}
	if !seen {
		return false, "Neo4j lists no server for " + s.Restarted
	}
	return true, ""
}

// databasesAllocated: every copy of every database has its requested
// status, and each database has as many copies as its topology asks.
func databasesAllocated(in Input, _ Subject) (bool, string) {
	for _, d := range in.Neo4j.Databases {
		if d.CurrentStatus != d.RequestedStatus {
			return false, fmt.Sprintf("%s on %s is %s", d.Name, render.PodOfAddress(d.Address), d.CurrentStatus)
		}
		if d.CurrentPrimaries < d.RequestedPrimaries || d.CurrentSecondaries < d.RequestedSecondaries {
			return false, fmt.Sprintf("%s has %d of %d primaries and %d of %d secondaries", d.Name,
				d.CurrentPrimaries, d.RequestedPrimaries, d.CurrentSecondaries, d.RequestedSecondaries)
		}
	}
	return true, ""
}

// caughtUp: each database on the restarted server is at most MaxLag
// transactions behind its writer. The Operations Manual (SHOW DATABASES,
// listing-databases.adoc) reports replicationLag as the number of
// transactions a copy is behind the primary, as a negative integer, and
// only for copies online or deallocating.
func caughtUp(in Input, s Subject) (bool, string) {
	if s.Restarted == "" {
		return true, ""
	}
	for _, d := range in.Neo4j.Databases {
		if render.PodOfAddress(d.Address) != s.Restarted || d.RequestedStatus != "online" {
			continue // a stopped database has no lag to report
		}
		if d.ReplicationLag == nil {
			return false, fmt.Sprintf("%s on %s reports no replication lag", d.Name, s.Restarted)
		}
		if lag := *d.ReplicationLag; lag < -in.MaxLag || lag > in.MaxLag {
			return false, fmt.Sprintf("%s on %s is more than %d transactions behind its writer", d.Name, s.Restarted, in.MaxLag)
		}
	}
	return true, ""
}

// GateNames lists every predicate, in the order checked.
func GateNames() []string {
	var out []string
	for _, p := range slices.Concat(KubernetesGates, Neo4jGates, DownGates[2:]) {
		out = append(out, p.Name)
	}
	return out
}

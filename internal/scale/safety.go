package scale

import (
	"fmt"
	"maps"
	"slices"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// notSettled says what keeps a scale-in from starting: every enabled
// server Available and every database at its requested status and
// topology.
func notSettled(c *v1alpha1.Neo4jEnterpriseCluster, v view) string {
	if !v.obs.Healthy() {
		return "every enabled server is Available and every database online"
	}
	if p := placementBut(c, v, nil, lowering(c, v)); !p.Placed {
		return "the databases are placed: " + p.Message
	}
	return ""
}

// quorum refuses to remove a primary when the system database's other
// primaries that are Available are not a majority of its current
// primaries: the membership change could not commit.
func quorum(v view, role neo4jconf.Role, leaving *neo4j.Server) *Issue {
	if role != neo4jconf.Primary {
		return nil
	}
	members, others := 0, 0
	for _, d := range v.obs.Databases {
		if d.Name != "system" || d.Role != "primary" {
			continue
		}
		members++
		if d.Address != leaving.Address && d.CurrentStatus == "online" {
			others++
		}
	}
	if others < members/2+1 {
		return &Issue{Reason: "SystemQuorum", Message: fmt.Sprintf(
			"removing %s would lose the system database's quorum: %d of its %d primaries would be online, a majority is %d; bring the others back first",
			render.PodOfAddress(leaving.Address), others, members, members/2+1)}
	}
	return nil
}

// startQuorum checks the quorum for the first server a scale-in of a role
// would remove, and refuses when that server cannot be told.
func startQuorum(c *v1alpha1.Neo4jEnterpriseCluster, v view, r neo4jconf.Role, cur int32) *Issue {
	s := v.byPod[render.PodName(c, r, cur-1)]
	if s == nil {
		if v.unmatched > 0 {
			return &Issue{Reason: "ServerUnknown", Message: fmt.Sprintf("%d servers in SHOW SERVERS have no address the operator can map to a pod; no server is removed until each is known", v.unmatched)}
		}
		return nil // the pod never joined: it holds no vote
	}
	return quorum(v, r, s)
}

// shrinkable is true when a database's topology may be lowered now: the
// cluster is healthy and a scale-in the spec asks for would be admitted.
// A lowered topology removes copies, so it must wait as a removal would.
//
// While the spec also removes servers, it is not: the scale-in lowers
// topologies once the leaving server is cordoned (stepDowns), so that
// Neo4j drops the copies on that server and not on one that stays, which
// DEALLOCATE would then copy back.
func shrinkable(c *v1alpha1.Neo4jEnterpriseCluster, in Input, v view) bool {
	if !v.obs.Healthy() || refuseScaleIn(c, in.Current, v) != nil || wantsScaleIn(c, in.Current) {
		return false
	}
	for _, r := range []neo4jconf.Role{neo4jconf.Secondary, neo4jconf.Primary} {
		if cur := in.Current[r]; render.Replicas(c, r) < cur && startQuorum(c, v, r, cur) != nil {
			return false
		}
	}
	return true
}

// refuseScaleIn checks the cluster the spec asks for against every
// database's topology: the declared ones as declared, the others as Neo4j
// has them.
func refuseScaleIn(c *v1alpha1.Neo4jEnterpriseCluster, current map[neo4jconf.Role]int32, v view) *Issue {
	p := min(render.Replicas(c, neo4jconf.Primary), current[neo4jconf.Primary])
	s := min(render.Replicas(c, neo4jconf.Secondary), current[neo4jconf.Secondary])
	want := wanted(c, v)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		t := want[name]
		if t.primaries > int(p) || t.primaries+t.secondaries > int(p+s) {
			how := "lower it in spec.databases first"
			if !t.declared {
				how = "it is not in spec.databases: lower it with ALTER DATABASE, or declare it"
			}
			return &Issue{Reason: "ScaleInRefused", Message: fmt.Sprintf(
				"scale-in to %d primaries and %d secondaries refused: database %s needs %d primaries and %d secondaries (%d servers, %d of them primaries); %s. Nothing was changed",
				p, s, name, t.primaries, t.secondaries, t.primaries+t.secondaries, t.primaries, how)}
		}
	}
	return nil
}

type topology struct{ primaries, secondaries int }

// kept is a database's topology to keep through a scale-in.
type kept struct {
	topology
	declared bool
}

// wanted is every database's topology to keep: declared ones as declared
// (as Neo4j has them when declared one is out of reach), the others as
// Neo4j has them. system is left out: its topology is the servers.
func wanted(c *v1alpha1.Neo4jEnterpriseCluster, v view) map[string]kept {
	out := map[string]kept{}
	for _, d := range v.obs.Databases {
		if d.Name != "system" && d.Topological() {
			out[d.Name] = kept{topology{int(d.RequestedPrimaries), int(d.RequestedSecondaries)}, false}
		}
	}
	for _, d := range Declared(c) {
		t := topology{d.Primaries, d.Secondaries}
		if have, ok := out[d.Name]; ok && unreachable(have.topology, t) {
			t = have.topology
		}
		out[d.Name] = kept{t, true}
	}
	return out
}

// unreachable: Neo4j cannot move a database to one primary automatically
// (Operations Manual, clustering/databases.adoc).
func unreachable(have, want topology) bool {
	return want.primaries == 1 && have.primaries > 1
}

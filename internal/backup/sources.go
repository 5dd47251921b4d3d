package backup

import (
	"fmt"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Which servers a backup reads from, and when it must not start. The
// Neo4j facts are the Operations Manual's,
// modules/ROOT/pages/backup-restore/online-backup.adoc (branches 5.x and
// dev, section "Targeting multiple servers"):
//
//	"If the command finds one or more servers that do not respond, it
//	continues trying to backup from other servers and continues backing
//	up other requested databases, but the exit code of the command is
//	non-zero"
//
// so one server down in --from fails the whole backup (exit code 1:
// "succeeded but encountered problems such as some servers being
// uncontactable", section "Exit codes"), and --from is a "Comma-separated
// list of host and port of Neo4j instances, each of which are tried in
// order" (the options table). Section "Cluster configurations":
//
//	"It is generally recommended to select secondary database copies to
//	act as backup resources [...] If a secondary is not available, then a
//	primary can be selected"
//
// hence secondaries first.

// ReasonDeferred is the Ready condition's reason while a backup that has
// not started waits for the cluster (Deferred says why).
const ReasonDeferred = "Deferred"

// Sources are the --from addresses of a backup of c, in the order
// neo4j-admin tries them: the secondaries, then the primaries, each by
// ordinal. When the operator observes Neo4j (status.servers is filled),
// only the servers Usable as a source are named; none may be.
//
// When status.servers is empty the operator does not observe Neo4j
// (--neo4j-observe=false) and cannot tell a server that is down: every
// server is named, as before, but secondaries first. An empty list also
// follows a failed poll (Neo4j unreachable from the operator); the same
// fallback applies then, since the status does not tell the two apart.
func Sources(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	all := secondariesFirst(c, render.BackupAddresses(c))
	if len(c.Status.Servers) == 0 {
		return all
	}
	usable := usablePods(c.Status.Servers)
	var out []string
	for _, a := range all {
		if usable[render.PodOfAddress(a)] {
			out = append(out, a)
		}
	}
	return out
}

// secondariesFirst moves the secondary StatefulSet's servers ahead of the
// others, keeping the order within each. The addresses keep the form
// render.BackupAddresses gives them (the internals Service's FQDN and the
// backup port); render.PodOfAddress maps each back to its pod.
func secondariesFirst(c *v1alpha1.Neo4jEnterpriseCluster, addrs []string) []string {
	var sec, rest []string
	for _, a := range addrs {
		if isSecondary(c, render.PodOfAddress(a)) {
			sec = append(sec, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(sec, rest...)
}

// isSecondary reports whether a pod belongs to the secondary StatefulSet
// (its pods are <statefulset>-<ordinal>).
func isSecondary(c *v1alpha1.Neo4jEnterpriseCluster, pod string) bool {
	return strings.HasPrefix(pod, render.StatefulSetName(c, neo4jconf.Secondary)+"-")
}

// Usable reports whether a server, as SHOW SERVERS reports it, can serve
// a backup without failing it. It must be Available: the manual's
// modules/ROOT/pages/clustering/monitoring/show-servers-monitoring.adoc
// (5.x and dev) says Unavailable means it "has not had successful network
// communication with the cluster for a while". And Enabled, from
// modules/ROOT/pages/clustering/servers.adoc (5.x and dev): a Free server
// "needs to be explicitly enabled in order to be considered an active
// member"; on a Cordoned one "allocations on cordoned servers are removed
// first" when a topology shrinks, and the operator cordons a server only
// to remove it; a Deallocating one's databases are being moved and each
// copy "stopped on" it once started elsewhere; a Deallocated one "no
// longer hosts any databases besides the system database"; a Dropped one
// left the cluster. A copy removed under a running backup could fail it.
func Usable(s v1alpha1.ServerStatus) bool {
	return s.State == neo4j.StateEnabled && s.Health == neo4j.HealthAvailable
}

// usablePods are the pods of the Usable servers.
func usablePods(servers []v1alpha1.ServerStatus) map[string]bool {
	out := map[string]bool{}
	for _, s := range servers {
		if Usable(s) && s.Pod != "" {
			out[s.Pod] = true
		}
	}
	return out
}

// Deferred says why a backup of c must not start now, or "" when it can.
// A roll restarts the servers one by one and a scaling step adds, cordons
// or removes them: a server named in --from could stop answering under
// the backup, which the manual says fails it. Both end by themselves, so
// the backup waits instead of failing. A backup already running is not
// stopped: only its start is deferred.
func Deferred(c *v1alpha1.Neo4jEnterpriseCluster) string {
	switch {
	case c.Status.Rollout != nil:
		return "a roll of the servers is in progress (status.rollout): a server named in --from could restart under the backup and fail it; the backup starts once the roll ends"
	case c.Status.Scaling != nil:
		return fmt.Sprintf("a scaling operation is in progress (status.scaling: %s, %s servers): a server named in --from could leave under the backup and fail it; the backup starts once it ends",
			c.Status.Scaling.Direction, c.Status.Scaling.Role)
	case len(Sources(c)) == 0:
		return "no reachable server to back up from: Neo4j reports none of the cluster's servers Enabled and Available (" + serverStates(c) + "); the backup starts once one is"
	}
	return ""
}

// serverStates lists the servers of c's pods as Neo4j reports them,
// pod=State/Health, in render's order.
func serverStates(c *v1alpha1.Neo4jEnterpriseCluster) string {
	byPod := map[string]v1alpha1.ServerStatus{}
	for _, s := range c.Status.Servers {
		byPod[s.Pod] = s
	}
	var out []string
	for _, pod := range render.PodNames(c) {
		if s, ok := byPod[pod]; ok {
			out = append(out, pod+"="+s.State+"/"+s.Health)
		} else {
			out = append(out, pod+"=not reported")
		}
	}
	return strings.Join(out, ", ")
}

package cluster

import (
	"fmt"
	"sync"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// The monitoring procedures, answered by any server for itself, leader or
// not. One so far: the cluster status check, from the Operations Manual,
// clustering/monitoring/status-check.adoc (branches 5.x and dev):
//
//	CALL dbms.cluster.statusCheck(databases :: LIST<STRING>, timeoutMilliseconds = null :: INTEGER)
//
// accepted as the operator sends it (neo4j.StatusCheckQuery, both
// arguments as parameters) and as the manual's examples write it, with
// an empty list: CALL dbms.cluster.statusCheck([]). From the fake's state:
//
//   - releases before 5.24 have no such procedure ("Neo4j 5.24 introduces
//     the dbms.cluster.statusCheck() procedure"): Options.Release 5.x with
//     x < 24 answers Neo.ClientError.Procedure.ProcedureNotFound, as the
//     fake answers a recreate procedure a release lacks;
//   - an empty list checks "all *clustered* databases on that server, i.e.
//     it does not run on singles or secondaries": every database the
//     server hosts as a primary, among two primaries or more; a database
//     named that the server does not host as such a primary gives one row
//     with an error ("An example of an error is that one or more of the
//     requested databases do not exist on the requester");
//   - "a row for all primary members of all the requested databases",
//     members in order of appearance, requester TRUE on the server's own
//     row;
//   - memberStatus: UNAVAILABLE ("either too far behind the leader or
//     unreachable") for a member not Available (cut off with
//     SetReachable, its pod gone, or within CatchUp of its start) or made
//     to lag with SetLagging; REPLICATING ("can participate in replicating
//     but cannot apply ... while waiting for the database to start") for a
//     copy still store copying; APPLYING otherwise. A requester that is
//     not Available itself hears from no one: every member UNAVAILABLE;
//   - the leader is the database's writer as SHOW DATABASES reports it
//     (views.go: system's leader, else the first primary host in order of
//     appearance); recognisedLeader is its server id for every member the
//     requester hears from (NULL for the others, and when there is no
//     leader); the fake models no terms: recognisedLeaderTerm is 1 for a
//     known leader, NULL otherwise;
//   - replicationSuccessful ("if this server managed to replicate the
//     dummy transaction to a majority of cluster members"; "the same
//     column-wise"): the requester is Available and not lagging ("this
//     server is too far behind in applying updates and can't replicate"),
//     the leader is not UNAVAILABLE, and a majority of the members are not
//     UNAVAILABLE;
//   - error is NULL but in the rows above; the timeout is accepted and not
//     waited for.
//
// SetLagging is the knob that makes a primary fall behind while it stays
// reachable (Available in SHOW SERVERS). SHOW DATABASES' replicationLag
// does not follow it: views.go reports 0 for every online copy.

const qStatusCheckLiteral = "CALL dbms.cluster.statusCheck([])"

var statusCheckKeys = []string{"database", "serverId", "serverName", "address", "replicationSuccessful", "memberStatus",
	"recognisedLeader", "recognisedLeaderTerm", "requester", "error"}

// answerMonitoring answers the read-only monitoring procedures any server
// answers for itself, leader or not (ok false: not one of them). It runs
// under the cluster's lock, after settle.
func (c *Cluster) answerMonitoring(server string, q bolt.Query) (bolt.Result, *bolt.Failure, bool) {
	switch q.Text {
	case neo4j.StatusCheckQuery, qStatusCheckLiteral:
		res, fail := c.statusCheck(server, q)
		return res, fail, true
	}
	return bolt.Result{}, nil, false
}

// monitor is the monitoring state Cluster (cluster.go) has no field for:
// the servers SetLagging made lag. Read and written under the cluster's
// lock; one per cluster that used the knob.
type monitor struct{ lagging map[string]bool }

var monitors sync.Map // *Cluster → *monitor

// SetLagging makes a server fall too far behind its databases' leaders to
// count (memberStatus UNAVAILABLE, and it cannot replicate), or catch up
// again. It stays reachable: SHOW SERVERS still reports it Available.
func (c *Cluster) SetLagging(name string, lagging bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, _ := monitors.LoadOrStore(c, &monitor{lagging: map[string]bool{}})
	m.(*monitor).lagging[name] = lagging
}

// lagging is true for a server SetLagging made lag (under the lock).
func (c *Cluster) lagging(name string) bool {
	m, ok := monitors.Load(c)
	return ok && m.(*monitor).lagging[name]
}

// hasStatusCheck: dbms.cluster.statusCheck exists from 5.24 on; an empty
// or unreadable Release is CalVer, which has it.
func (o Options) hasStatusCheck() bool {
	var major, minor int
	if _, err := fmt.Sscanf(o.Release, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 5 || (major == 5 && minor >= 24)
}

func (c *Cluster) statusCheck(server string, q bolt.Query) (bolt.Result, *bolt.Failure) {
	if !c.opts.hasStatusCheck() {
		return bolt.Result{}, &bolt.Failure{Code: neo4j.CodeProcedureNotFound,
			Message: "There is no procedure with the name `dbms.cluster.statusCheck` registered for this database instance."}
	}
	var names []string
	if q.Text == neo4j.StatusCheckQuery {
		list, ok := q.Params["databases"].([]any)
		if !ok {
			return bolt.Result{}, &bolt.Failure{Code: "Neo.ClientError.Statement.ArgumentError", Message: "databases must be a LIST<STRING>"}
		}
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return bolt.Result{}, &bolt.Failure{Code: "Neo.ClientError.Statement.ArgumentError", Message: "databases must be a LIST<STRING>"}
			}
			names = append(names, s)
		}
		if t, ok := q.Params["timeoutMilliseconds"]; ok && t != nil {
			if _, ok := t.(int64); !ok {
				return bolt.Result{}, &bolt.Failure{Code: "Neo.ClientError.Statement.ArgumentError", Message: "timeoutMilliseconds must be an INTEGER"}
			}
		}
	}
	req := c.servers[server]
	if req == nil { // its volume was forgotten under an open connection
		return bolt.Result{Keys: statusCheckKeys}, nil
	}
	all := len(names) == 0
	if all {
		names = c.dbNames()
	}
	now := c.opts.Now()
	var rows [][]any
	for _, name := range names {
		db := c.databases[name]
		var a *allocation
		if db != nil {
			a = db.hosts[server]
		}
		members := c.primaryMembers(db)
		switch {
		case a == nil && !all:
			rows = append(rows, errorRow(name, req, "database "+name+" does not exist on this server"))
		case (a == nil || a.role != "primary" || len(members) < 2) && !all:
			rows = append(rows, errorRow(name, req, "database "+name+" is not a clustered database hosted as a primary on this server"))
		case a == nil || a.role != "primary" || len(members) < 2:
			// "it does not run on singles or secondaries"
		default:
			rows = append(rows, c.checkRows(db, members, server, now)...)
		}
	}
	return bolt.Result{Keys: statusCheckKeys, Rows: rows}, nil
}

// primaryMembers are the servers hosting a primary copy of db, in order
// of appearance.
func (c *Cluster) primaryMembers(db *database) []string {
	var out []string
	if db == nil {
		return out
	}
	for _, n := range c.order {
		if a := db.hosts[n]; a != nil && a.role == "primary" {
			out = append(out, n)
		}
	}
	return out
}

// leaderOf is the database's writer as SHOW DATABASES reports it
// (views.go, showDatabases): system's leader, else its first primary host.
func (c *Cluster) leaderOf(db *database, members []string) string {
	if db.name == "system" {
		return c.leader
	}
	if len(members) == 0 {
		return ""
	}
	return members[0]
}

// checkRows are the requester's rows for one database.
func (c *Cluster) checkRows(db *database, members []string, requester string, now time.Time) [][]any {
	reachable := func(n string) bool { return c.servers[n].available(now, c.opts.CatchUp) }
	heard := reachable(requester)
	status := map[string]string{}
	up := 0
	for _, n := range members {
		switch {
		case !heard, !reachable(n), c.lagging(n):
			status[n] = neo4j.MemberUnavailable
		case c.status(db, n, now) != "online":
			status[n] = neo4j.MemberReplicating
		default:
			status[n] = neo4j.MemberApplying
		}
		if status[n] != neo4j.MemberUnavailable {
			up++
		}
	}
	leader := c.leaderOf(db, members)
	replicated := heard && !c.lagging(requester) && leader != "" && status[leader] != neo4j.MemberUnavailable && 2*up > len(members)
	var rows [][]any
	for _, n := range members {
		s := c.servers[n]
		var recognised, term any
		if leader != "" && heard && reachable(n) {
			recognised, term = c.servers[leader].id, int64(1)
		}
		rows = append(rows, []any{db.name, s.id, s.name, s.address, replicated, status[n], recognised, term, n == requester, nil})
	}
	return rows
}

// errorRow is the requester's row for a database it cannot check.
func errorRow(db string, req *server, msg string) []any {
	return []any{db, req.id, req.name, req.address, false, nil, nil, nil, true, msg}
}

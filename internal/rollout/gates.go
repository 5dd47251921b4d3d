package rollout

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
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
// replacement must have caught up), a pod about to be evicted that is
// already down, and the pod the roll would evict next ("" when none is
// left): the one that must be safe to shut down.
type Subject struct {
	Restarted, Down, Next string
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

// Neo4jGates need the operator's Neo4j observation. All but the last are
// the older path, which holds on every release; SafeToShutDown is the
// Operations Manual's "safe to shut down", from dbms.cluster.statusCheck,
// which every supported release has (internal/neo4j/statuscheck.go): it
// stands aside only when the servers answer that they have no such
// procedure.
var Neo4jGates = []Predicate{
	{"Neo4jPolled", neo4jPolled},
	{"ServersAvailable", serversAvailable},
	{"DatabasesAllocated", databasesAllocated},
	{"DatabasesHaveWriter", databasesHaveWriter},
	{"CaughtUp", caughtUp},
	{"SafeToShutDown", safeToShutDown},
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

// HaveWriters is the DatabasesHaveWriter predicate on its own, for the
// disruption budget: ok, or which database has no single writer.
func HaveWriters(dbs []neo4j.Database) (bool, string) {
	return databasesHaveWriter(Input{Neo4j: &observer.Observation{Databases: dbs}}, Subject{})
}

// databasesHaveWriter: every database that takes writes has exactly one
// writer in SHOW DATABASES. The writer column is "true for the instance
// that accepts writes for this database (this instance is the leader for
// this database in a cluster ...)" (Operations Manual,
// database-administration/standard-databases/listing-databases.adoc, 5.x
// and dev), and "At any given time, only one primary is automatically
// elected as a writer among the database's primaries"
// (clustering/introduction.adoc). None is expected of a database that is
// requested offline, read-only or composite: "There is usually one
// writer, though there may be none if the database is read-only or
// unhealthy" (clustering/setup/routing.adoc); a composite database (type
// composite) has no role ("The value for composite databases is NULL",
// listing-databases) and inherits its topology from its constituents
// (composite-databases/create-composite-databases.adoc); a property
// shard has replicas, not primaries (neo4j.Database.Topological). Every
// other database: a leader per database, which "Available" in SHOW
// SERVERS does not say (clustering/servers.adoc: it is about the server).
func databasesHaveWriter(in Input, _ Subject) (bool, string) {
	writers := map[string]int{}
	var names []string
	for _, d := range in.Neo4j.Databases {
		if d.RequestedStatus != "online" || d.Access == "read-only" || !d.Topological() {
			continue
		}
		if _, seen := writers[d.Name]; !seen {
			names = append(names, d.Name)
			writers[d.Name] = 0
		}
		if d.Writer {
			writers[d.Name]++
		}
	}
	sort.Strings(names)
	for _, name := range names {
		switch n := writers[name]; {
		case n == 0:
			return false, name + " has no writer"
		case n > 1:
			return false, fmt.Sprintf("%s has %d writers", name, n)
		}
	}
	return true, ""
}

// caughtUp: each database on the restarted server, and each primary copy
// on every server but the one to shut down next (the primaries that will
// carry the databases while it is down), is at most MaxLag transactions
// behind its writer. The Operations Manual (SHOW DATABASES,
// listing-databases.adoc) reports replicationLag as the number of
// transactions a copy is behind the primary, as a negative integer, and
// only for copies online or deallocating; the lag is as the server that
// answered the poll sees it. This is the older path's "caught up"
// (clustering/monitoring/endpoints.adoc: "a majority of the *other*
// primaries are healthy, caught up, ..."; its noMembersLagging compares
// every primary, with a threshold picked for the workload: MaxLag).
func caughtUp(in Input, s Subject) (bool, string) {
	check := func(d neo4j.Database, pod string) (bool, string) {
		if d.ReplicationLag == nil {
			return false, fmt.Sprintf("%s on %s reports no replication lag", d.Name, pod)
		}
		if lag := *d.ReplicationLag; lag < -in.MaxLag || lag > in.MaxLag {
			return false, fmt.Sprintf("%s on %s is more than %d transactions behind its writer", d.Name, pod, in.MaxLag)
		}
		return true, ""
	}
	// The restarted server first, all its copies: its replacement must
	// have caught up.
	for _, d := range in.Neo4j.Databases {
		if s.Restarted == "" || render.PodOfAddress(d.Address) != s.Restarted || d.RequestedStatus != "online" || !d.Topological() {
			continue // a stopped database has no lag to report; a composite one no copy of its own
		}
		if ok, saw := check(d, s.Restarted); !ok {
			return false, saw
		}
	}
	for _, d := range in.Neo4j.Databases {
		pod := render.PodOfAddress(d.Address)
		if d.Role != "primary" || pod == s.Next || pod == s.Restarted || d.RequestedStatus != "online" || !d.Topological() {
			continue
		}
		if ok, saw := check(d, pod); !ok {
			return false, saw
		}
	}
	return true, ""
}

// safeToShutDown: for every clustered database, the pod to shut down next
// leaves enough healthy primaries behind, as dbms.cluster.statusCheck
// reports them (Observation.Replication: every primary host's answer).
//
// The Operations Manual: "Counter-intuitively, that a primary is safe to
// shutdown means that a majority of the *other* primaries are healthy,
// caught up, and have recently heard from that database's leader"
// (clustering/monitoring/endpoints.adoc), and "A database remains
// available for writes as long as a simple majority of its primary
// allocations are functioning" (clustering/introduction.adoc). From the
// status check (clustering/monitoring/status-check.adoc), a member
// counts as healthy, caught up and in touch with the leader when:
//
//   - every answer that could replicate ("replicationSuccessful: TRUE --
//     if this server managed to replicate the dummy transaction to a
//     majority of cluster members") reports it APPLYING ("can replicate
//     and is actively applying transactions"; UNAVAILABLE is "too far
//     behind the leader or unreachable", REPLICATING "cannot apply"), and
//     at least one does;
//   - its recognisedLeader is the leader, the one of the highest term ("If
//     the members report different leaders, the one with the highest term
//     should be trusted");
//   - its own answer, if the operator asked it, did not fail: a failed
//     replication means "this server is too far behind in applying
//     updates and can't replicate", or a real issue in the cluster.
//
// How many: with N primaries, of which the pod to shut down is one, the
// others must hold a simple majority of all N, so that the database stays
// writable (introduction.adoc); for an odd N that is exactly a majority
// of the others (endpoints.adoc), for an even N one more; a database of
// two primaries tolerates no fault ("M = 2F + 1", introduction.adoc), so
// its other primary must be healthy. When the pod to shut down is no
// primary of the database (a secondary, or none left), a simple majority
// of all N.
//
// Which databases: those requested online with two primaries or more, not
// composite nor property shards. The procedure "does not run on singles
// or secondaries" (status-check.adoc), and "cannot verify the write
// availability of a database configured to have a single primary"
// (clustering/multi-region-deployment/disaster-recovery.adoc): a single
// is left to the older path (DatabasesAllocated: its copy is online).
//
// When every server answered that it has no such procedure
// (ProcedureNotFound: a release before 5.24, which the operator does not
// support), the gate holds: the older path (ServersAvailable,
// DatabasesAllocated, DatabasesHaveWriter, CaughtUp) is all there is.
func safeToShutDown(in Input, s Subject) (bool, string) {
	r := in.Neo4j.Replication
	switch {
	case r == nil:
		return false, "no poll of dbms.cluster.statusCheck yet"
	case r.Unsupported():
		return true, ""
	}
	pods := in.podsByServerID()
	pod := func(id, address, name string) string {
		if p := pods[id]; p != "" {
			return p
		}
		if p := render.PodOfAddress(address); p != "" {
			return p
		}
		return name
	}
	for _, db := range in.clustered() {
		if ok, saw := safeFor(r, db, s.Next, pod); !ok {
			return false, saw
		}
	}
	return true, ""
}

// clustered are the databases the status check must cover, by name, with
// their number of primaries: the requested count, or the copies with the
// primary role if more (a count the manual does not show for system).
func (in Input) clustered() []clusteredDB {
	requested, copies := map[string]int64{}, map[string]int64{}
	for _, d := range in.Neo4j.Databases {
		if d.RequestedStatus != "online" || !d.Topological() {
			continue
		}
		requested[d.Name] = max(requested[d.Name], d.RequestedPrimaries)
		if d.Role == "primary" {
			copies[d.Name]++
		}
	}
	var out []clusteredDB
	for name, n := range requested {
		if n = max(n, copies[name]); n >= 2 {
			out = append(out, clusteredDB{name, n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

type clusteredDB struct {
	name      string
	primaries int64
}

// podsByServerID maps the servers SHOW SERVERS lists to their pods.
func (in Input) podsByServerID() map[string]string {
	out := map[string]string{}
	for _, srv := range in.Neo4j.Servers {
		if p := render.PodOfAddress(srv.Address); p != "" {
			out[srv.ID] = p
		}
	}
	return out
}

// safeFor judges one database from every answer.
func safeFor(r *observer.Replication, db clusteredDB, next string, pod func(id, address, name string) string) (bool, string) {
	type member struct {
		pod     string
		applies bool     // a successful answer reports it APPLYING
		faults  []string // what stands against it
	}
	members := map[string]*member{}
	get := func(row neo4j.StatusCheckRow) *member {
		m := members[row.ServerID]
		if m == nil {
			m = &member{pod: pod(row.ServerID, row.Address, row.ServerName)}
			members[row.ServerID] = m
		}
		return m
	}
	leader, term := "", int64(-1)
	replicated := false
	var silent []string // the servers asked that did not answer
	for _, c := range r.Checks {
		if c.Failure != "" {
			if c.Code != neo4j.CodeProcedureNotFound {
				silent = append(silent, render.PodOfAddress(c.Server))
			}
			continue
		}
		for _, row := range c.Rows {
			if row.Database != db.name {
				continue
			}
			m := get(row)
			switch {
			case row.Error != "":
				if row.Requester {
					m.faults = append(m.faults, "reports an error")
				}
				continue
			case !row.ReplicationSuccessful:
				if row.Requester {
					m.faults = append(m.faults, "cannot replicate")
				}
			default:
				replicated = true
				if row.MemberStatus == neo4j.MemberApplying {
					m.applies = true
				} else {
					m.faults = append(m.faults, "is "+row.MemberStatus)
				}
			}
			if row.RecognisedLeader != "" && row.RecognisedLeaderTerm > term {
				leader, term = row.RecognisedLeader, row.RecognisedLeaderTerm
			}
		}
	}
	if len(members) == 0 {
		return false, db.name + ": no server reported it in dbms.cluster.statusCheck"
	}
	if !replicated {
		return false, db.name + ": no primary could replicate (replicationSuccessful is false everywhere)"
	}
	if leader == "" {
		return false, db.name + ": no primary recognises a leader"
	}
	// The leader check, from every successful answer.
	for _, c := range r.Checks {
		for _, row := range c.Rows {
			if row.Database == db.name && row.Error == "" && row.ReplicationSuccessful && row.RecognisedLeader != leader {
				members[row.ServerID].faults = append(members[row.ServerID].faults, "does not follow the leader")
			}
		}
	}
	n := max(int64(len(members)), db.primaries)
	need := n/2 + 1
	nextIsMember := false
	healthy := 0
	var against []string
	for _, m := range members {
		if m.pod == next && next != "" {
			nextIsMember = true
			continue
		}
		if slices.Contains(silent, m.pod) {
			m.faults = append(m.faults, "did not answer")
		}
		if !m.applies && len(m.faults) == 0 {
			m.faults = append(m.faults, "is reported APPLYING by no server that could replicate")
		}
		if len(m.faults) == 0 {
			healthy++
			continue
		}
		slices.Sort(m.faults)
		against = append(against, m.pod+" "+strings.Join(slices.Compact(m.faults), ", "))
	}
	sort.Strings(against)
	if nextIsMember {
		need = min(need, n-1)
	}
	if int64(healthy) >= need {
		return true, ""
	}
	why := ""
	if len(against) > 0 {
		why = ": " + strings.Join(against, "; ")
	}
	if nextIsMember {
		return false, fmt.Sprintf("%s: %d of the other %d primaries besides %s are healthy, %d needed%s", db.name, healthy, n-1, next, need, why)
	}
	return false, fmt.Sprintf("%s: %d of its %d primaries are healthy, %d needed%s", db.name, healthy, n, need, why)
}

// GateNames lists every predicate, in the order checked.
func GateNames() []string {
	var out []string
	for _, p := range slices.Concat(KubernetesGates, Neo4jGates, DownGates[2:]) {
		out = append(out, p.Name)
	}
	return out
}

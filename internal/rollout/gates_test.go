package rollout

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// replicate (re)builds the world's status checks from its SHOW DATABASES
// rows: every server hosting a primary copy answers for each database it
// hosts as a primary among two or more, a row per primary member, each
// APPLYING and recognising the database's writer (term 3), the requester
// flagged; as clustering/monitoring/status-check.adoc documents the
// procedure's output.
func (w *world) replicate() *world {
	dbs := w.in.Neo4j.Databases
	members := map[string][]string{}
	writer := map[string]string{}
	var hosts []string
	for _, d := range dbs {
		pod := render.PodOfAddress(d.Address)
		if d.Role == "primary" && d.RequestedPrimaries >= 2 {
			members[d.Name] = append(members[d.Name], pod)
			if !slices.Contains(hosts, pod) {
				hosts = append(hosts, pod)
			}
		}
		if d.Writer {
			writer[d.Name] = pod
		}
	}
	r := &observer.Replication{}
	for _, req := range hosts {
		c := observer.StatusCheck{Server: addr(req)}
		for _, d := range dbs {
			if render.PodOfAddress(d.Address) != req || d.Role != "primary" || d.RequestedPrimaries < 2 {
				continue
			}
			for _, m := range members[d.Name] {
				c.Rows = append(c.Rows, neo4j.StatusCheckRow{Database: d.Name, ServerID: m, ServerName: m, Address: addr(m),
					ReplicationSuccessful: true, MemberStatus: neo4j.MemberApplying, RecognisedLeader: writer[d.Name], RecognisedLeaderTerm: 3,
					Requester: m == req})
			}
		}
		r.Checks = append(r.Checks, c)
	}
	w.in.Neo4j.Replication = r
	return w
}

// member edits a member's row for a database in every answer.
func (w *world) member(db, pod string, edit func(*neo4j.StatusCheckRow)) *world {
	for i := range w.in.Neo4j.Replication.Checks {
		for j := range w.in.Neo4j.Replication.Checks[i].Rows {
			if r := &w.in.Neo4j.Replication.Checks[i].Rows[j]; r.Database == db && r.ServerID == pod {
				edit(r)
			}
		}
	}
	return w
}

// view edits every row of one server's answer for a database.
func (w *world) view(requester, db string, edit func(*neo4j.StatusCheckRow)) *world {
	for i := range w.in.Neo4j.Replication.Checks {
		if c := &w.in.Neo4j.Replication.Checks[i]; c.Server == addr(requester) {
			for j := range c.Rows {
				if c.Rows[j].Database == db {
					edit(&c.Rows[j])
				}
			}
		}
	}
	return w
}

// unanswered: the server did not answer the status check.
func (w *world) unanswered(pod string, kind neo4j.Kind, code string) *world {
	for i := range w.in.Neo4j.Replication.Checks {
		if c := &w.in.Neo4j.Replication.Checks[i]; c.Server == addr(pod) {
			*c = observer.StatusCheck{Server: c.Server, Failure: kind, Code: code}
		}
	}
	return w
}

// database adds a database hosted by the pods named, primaries first.
func (w *world) database(name string, primaries int, hosts ...string) *world {
	for i, h := range hosts {
		role := "primary"
		if i >= primaries {
			role = "secondary"
		}
		w.in.Neo4j.Databases = append(w.in.Neo4j.Databases, neo4j.Database{Name: name, Address: addr(h), Role: role, Type: "standard",
			Access: "read-write", Writer: i == 0, CurrentStatus: "online", RequestedStatus: "online",
			RequestedPrimaries: int64(primaries), CurrentPrimaries: int64(primaries),
			RequestedSecondaries: int64(len(hosts) - primaries), CurrentSecondaries: int64(len(hosts) - primaries), ReplicationLag: ptr.To[int64](0)})
	}
	return w
}

func status(s string) func(*neo4j.StatusCheckRow) {
	return func(r *neo4j.StatusCheckRow) { r.MemberStatus = s }
}

func cannotReplicate(r *neo4j.StatusCheckRow) { r.ReplicationSuccessful = false }

func (w *world) everywhere(pod string, edit func(*neo4j.StatusCheckRow)) *world {
	return w.member("neo4j", pod, edit).member("system", pod, edit)
}

// oldNeo4jGates are the Neo4j gates as they were before the status check
// (git history of gates.go): a state they pass and the new gate refuses
// is a hole the new gate closes.
var oldNeo4jGates = []Predicate{
	{"Neo4jPolled", neo4jPolled},
	{"ServersAvailable", serversAvailable},
	{"DatabasesAllocated", databasesAllocated},
	{"CaughtUp", oldCaughtUp},
}

// oldCaughtUp is the former caughtUp, verbatim: the restarted server
// only.
func oldCaughtUp(in Input, s Subject) (bool, string) {
	if s.Restarted == "" {
		return true, ""
	}
	for _, d := range in.Neo4j.Databases {
		if render.PodOfAddress(d.Address) != s.Restarted || d.RequestedStatus != "online" {
			continue
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

// gateCase is one state, the subject, the new gate's verdict (the first
// failing predicate, "" when every one holds) and whether the old gate
// let it through.
type gateCase struct {
	name    string
	w       *world
	s       Subject
	want    string
	oldPass bool
}

func runGateCases(t *testing.T, cases []gateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if g := tc.w.in.firstFailing(Neo4jGates, tc.s); g != nil {
				got = g.String()
			}
			if got != tc.want {
				t.Errorf("new gate: %q\n                want %q", got, tc.want)
			}
			old := tc.w.in.firstFailing(oldNeo4jGates, tc.s)
			if (old == nil) != tc.oldPass {
				t.Errorf("old gate: %v, want passing %v", old, tc.oldPass)
			}
		})
	}
}

func TestSafeToShutDown(t *testing.T) {
	next := func(p string) Subject { return Subject{Restarted: "g-secondary-1", Next: p} }
	runGateCases(t, []gateCase{
		{name: "every member APPLYING, following its leader: safe", w: newWorld(), s: next("g-primary-2"), oldPass: true},
		{name: "no status check polled yet (the roll has just asked for it)",
			w: newWorld().noReplication(), s: next("g-primary-2"), want: "SafeToShutDown: no poll of dbms.cluster.statusCheck yet", oldPass: true},
		{name: "a release without the procedure (every server: ProcedureNotFound): the older path alone",
			w: newWorld().unanswered("g-primary-0", neo4j.Refused, neo4j.CodeProcedureNotFound).unanswered("g-primary-1", neo4j.Refused, neo4j.CodeProcedureNotFound).
				unanswered("g-primary-2", neo4j.Refused, neo4j.CodeProcedureNotFound), s: next("g-primary-2"), oldPass: true},
		{name: "another primary UNAVAILABLE, though SHOW SERVERS says Available: not safe to shut down a primary",
			w: newWorld().everywhere("g-primary-0", status(neo4j.MemberUnavailable)), s: next("g-primary-2"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-2 are healthy, 2 needed: g-primary-0 is UNAVAILABLE"},
		{name: "the same, shutting down a secondary: a majority of the primaries is left",
			w: newWorld().everywhere("g-primary-0", status(neo4j.MemberUnavailable)), s: next("g-secondary-0"), oldPass: true},
		{name: "the same, shutting down the unhealthy primary itself: the other two are healthy",
			w: newWorld().everywhere("g-primary-0", status(neo4j.MemberUnavailable)), s: next("g-primary-0"), oldPass: true},
		{name: "two primaries unhealthy, shutting down a secondary: no majority",
			w: newWorld().member("neo4j", "g-primary-0", status(neo4j.MemberUnavailable)).member("neo4j", "g-primary-1", status(neo4j.MemberReplicating)),
			s: next("g-secondary-0"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of its 3 primaries are healthy, 2 needed: g-primary-0 is UNAVAILABLE; g-primary-1 is REPLICATING"},
		{name: "a member following another leader, of a lower term",
			w: newWorld().member("neo4j", "g-primary-1", func(r *neo4j.StatusCheckRow) { r.RecognisedLeader, r.RecognisedLeaderTerm = "g-primary-2", 2 }),
			s: next("g-primary-2"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-2 are healthy, 2 needed: g-primary-1 does not follow the leader"},
		{name: "the highest term is trusted; a stale requester that cannot replicate counts against itself only",
			w: newWorld().view("g-primary-2", "neo4j", func(r *neo4j.StatusCheckRow) {
				r.ReplicationSuccessful, r.RecognisedLeader, r.RecognisedLeaderTerm = false, "g-primary-2", 2
			}), s: next("g-primary-0"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-0 are healthy, 2 needed: g-primary-2 cannot replicate"},
		{name: "the stale requester is the one to shut down: safe",
			w: newWorld().view("g-primary-2", "neo4j", func(r *neo4j.StatusCheckRow) {
				r.ReplicationSuccessful, r.RecognisedLeader, r.RecognisedLeaderTerm = false, "g-primary-2", 2
			}), s: next("g-primary-2"), oldPass: true},
		{name: "nobody can replicate system",
			w: newWorld().member("system", "g-primary-0", cannotReplicate).member("system", "g-primary-1", cannotReplicate).member("system", "g-primary-2", cannotReplicate),
			s: next("g-secondary-0"), oldPass: true, want: "SafeToShutDown: system: no primary could replicate (replicationSuccessful is false everywhere)"},
		{name: "no primary recognises a leader",
			w: newWorld().everywhere("g-primary-0", noLeader).everywhere("g-primary-1", noLeader).everywhere("g-primary-2", noLeader),
			s: next("g-secondary-0"), oldPass: true, want: "SafeToShutDown: neo4j: no primary recognises a leader"},
		{name: "a primary host that did not answer counts against itself",
			w: newWorld().unanswered("g-primary-1", neo4j.Timeout, ""), s: next("g-primary-2"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-2 are healthy, 2 needed: g-primary-1 did not answer"},
		{name: "a requester's error row counts against it",
			w: newWorld().view("g-primary-1", "neo4j", func(r *neo4j.StatusCheckRow) { r.Error = "database neo4j does not exist" }),
			s: next("g-primary-2"), oldPass: true,
			want: "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-2 are healthy, 2 needed: g-primary-1 reports an error"},
		{name: "a clustered database no server reported",
			w: newWorld().database("sales", 3, "g-primary-0", "g-primary-1", "g-primary-2"), s: next("g-secondary-0"), oldPass: true,
			want: "SafeToShutDown: sales: no server reported it in dbms.cluster.statusCheck"},
		{name: "a single-primary database is not checked (the procedure does not run on singles)",
			w: newWorld().database("solo", 1, "g-primary-0"), s: next("g-primary-0"), oldPass: true},
		{name: "two primaries: the other must be healthy",
			w: newWorld().database("pair", 2, "g-primary-0", "g-primary-1").replicate(), s: next("g-primary-1"), oldPass: true},
		{name: "two primaries, the other UNAVAILABLE",
			w: newWorld().database("pair", 2, "g-primary-0", "g-primary-1").replicate().member("pair", "g-primary-0", status(neo4j.MemberUnavailable)),
			s: next("g-primary-1"), oldPass: true,
			want: "SafeToShutDown: pair: 0 of the other 1 primaries besides g-primary-1 are healthy, 1 needed: g-primary-0 is UNAVAILABLE"},
		{name: "four primaries: the other three must all be healthy to keep a majority of four (a majority of the three others would not)",
			w: newWorld().database("quad", 4, "g-primary-0", "g-primary-1", "g-primary-2", "g-secondary-0").replicate().
				member("quad", "g-secondary-0", status(neo4j.MemberUnavailable)), s: next("g-primary-2"), oldPass: true,
			want: "SafeToShutDown: quad: 2 of the other 3 primaries besides g-primary-2 are healthy, 3 needed: g-secondary-0 is UNAVAILABLE"},
		{name: "a composite database (no primaries) is not checked (the old gate wanted a lag of it on the restarted server)",
			w: newWorld().composite("all"), s: next("g-primary-2")},
		{name: "after the last pod (no next): a majority of each database",
			w: newWorld().everywhere("g-primary-0", status(neo4j.MemberUnavailable)), s: Subject{Restarted: "g-primary-1"}, oldPass: true},
	})
}

func TestDatabasesHaveWriter(t *testing.T) {
	s := Subject{Restarted: "g-secondary-1", Next: "g-secondary-0"}
	runGateCases(t, []gateCase{
		{name: "one writer each", w: newWorld(), s: s, oldPass: true},
		{name: "neo4j lost its writer: every server still Available, every copy online",
			w: newWorld().allDatabases(func(d *neo4j.Database) { d.Writer = d.Writer && d.Name != "neo4j" }), s: s, oldPass: true,
			want: "DatabasesHaveWriter: neo4j has no writer"},
		{name: "two writers",
			w: newWorld().copies("g-primary-2", func(d *neo4j.Database) { d.Writer = d.Writer || d.Name == "system" }), s: s, oldPass: true,
			want: "DatabasesHaveWriter: system has 2 writers"},
		{name: "a read-only database may have none (routing.adoc)",
			w: newWorld().allDatabases(func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.Writer, d.Access = false, "read-only"
				}
			}), s: s, oldPass: true},
		{name: "a database requested offline has none",
			w: newWorld().allDatabases(func(d *neo4j.Database) {
				if d.Name == "neo4j" {
					d.Writer, d.RequestedStatus, d.CurrentStatus, d.ReplicationLag = false, "offline", "offline", nil
				}
			}), s: s, oldPass: true},
		{name: "a composite database has none", w: newWorld().composite("all"), s: s},
	})
}

func TestCaughtUpOnEveryRemainingPrimary(t *testing.T) {
	lag := func(pod, db string, n int64) func(*world) *world {
		return func(w *world) *world {
			return w.copies(pod, func(d *neo4j.Database) {
				if d.Name == db {
					d.ReplicationLag = ptr.To(n)
				}
			})
		}
	}
	runGateCases(t, []gateCase{
		{name: "a primary that is not the restarted server is behind",
			w: lag("g-primary-0", "neo4j", -5000)(newWorld()), s: Subject{Restarted: "g-secondary-1", Next: "g-secondary-0"}, oldPass: true,
			want: "CaughtUp: neo4j on g-primary-0 is more than 1000 transactions behind its writer"},
		{name: "the primary behind is the one to shut down next",
			w: lag("g-primary-0", "neo4j", -5000)(newWorld()), s: Subject{Restarted: "g-secondary-1", Next: "g-primary-0"}, oldPass: true},
		{name: "a secondary that is not the restarted server is behind: not a primary",
			w: lag("g-secondary-0", "neo4j", -5000)(newWorld()), s: Subject{Restarted: "g-secondary-1", Next: "g-primary-2"}, oldPass: true},
		{name: "the restarted server, first, as before",
			w: lag("g-primary-0", "neo4j", -5000)(lag("g-secondary-1", "system", -2000)(newWorld())), s: Subject{Restarted: "g-secondary-1", Next: "g-secondary-0"},
			want: "CaughtUp: system on g-secondary-1 is more than 1000 transactions behind its writer"},
		{name: "a primary reports no lag",
			w: newWorld().copies("g-primary-1", func(d *neo4j.Database) { d.ReplicationLag = nil }), s: Subject{Next: "g-primary-2"}, oldPass: true,
			want: "CaughtUp: system on g-primary-1 reports no replication lag"},
	})
}

func noLeader(r *neo4j.StatusCheckRow) { r.RecognisedLeader, r.RecognisedLeaderTerm = "", -1 }

func (w *world) noReplication() *world { w.in.Neo4j.Replication = nil; return w }

// composite adds a composite database: on every server, no role, no
// writer, no counts (listing-databases.adoc).
func (w *world) composite(name string) *world {
	for _, s := range w.in.Neo4j.Servers {
		w.in.Neo4j.Databases = append(w.in.Neo4j.Databases, neo4j.Database{Name: name, Type: neo4j.TypeComposite, Access: "read-only",
			Address: s.Address, CurrentStatus: "online", RequestedStatus: "online"})
	}
	return w
}

// The poll the new gate needs comes from the observers once the roll asks
// for it: until then the first pod waits, naming the gate.
func TestDecideWaitsForTheStatusCheck(t *testing.T) {
	d := Decide(newWorld().noReplication().in)
	if d.Evict != nil || d.Waiting != "SafeToShutDown: no poll of dbms.cluster.statusCheck yet" {
		t.Errorf("got evict %v waiting %q", d.Evict, d.Waiting)
	}
}

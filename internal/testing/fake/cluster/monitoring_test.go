package cluster_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// statusCheck runs dbms.cluster.statusCheck on a server and renders each
// row as "database member status leader requester/replicated", member and
// leader by server name ("-" for NULL).
func statusCheck(t *testing.T, c *cluster.Cluster, conn *neo4j.Conn, dbs ...string) []string {
	t.Helper()
	rows, err := conn.StatusCheck(ctx(), dbs, 0)
	ok(t, err)
	names := map[string]string{"": "-"}
	for _, s := range c.Servers() {
		names[s.ID] = s.Name
	}
	out := []string{}
	for _, r := range rows {
		if r.Error != "" {
			out = append(out, fmt.Sprintf("%s %s error: %s (requester %v, replicated %v)", r.Database, names[r.ServerID], r.Error, r.Requester, r.ReplicationSuccessful))
			continue
		}
		if names[r.ServerID] != r.ServerName || r.Address != addr(r.ServerName) {
			t.Errorf("row %+v: serverName and address are not the member's", r)
		}
		if (r.RecognisedLeader == "") != (r.RecognisedLeaderTerm == -1) {
			t.Errorf("row %+v: a leader without a term, or a term without a leader", r)
		}
		req := ""
		if r.Requester {
			req = " requester"
		}
		out = append(out, fmt.Sprintf("%s %s %s %s%s %v", r.Database, names[r.ServerID], r.MemberStatus, names[r.RecognisedLeader], req, r.ReplicationSuccessful))
	}
	return out
}

func expectRows(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", step, got, want)
	}
}

// A 3+1 cluster: every primary member of every clustered database the
// server hosts as a primary, in order of appearance; the secondary runs
// none; a member cut off, or lagging, is UNAVAILABLE; a majority still
// replicates, a minority or a lagging requester does not; the leader is
// the writer SHOW DATABASES reports, and follows the system leader when
// it moves.
func TestStatusCheckAnswers(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	ok(t, c.SetPod("g-secondary-0", addr("g-secondary-0"), true, true))
	p0, p1, p2, s0 := dial("g-primary-0"), dial("g-primary-1"), dial("g-primary-2"), dial("g-secondary-0")

	expectRows(t, "within CatchUp of the start, nobody is heard from", statusCheck(t, c, p1, "system"),
		"system g-primary-0 UNAVAILABLE - false",
		"system g-primary-1 UNAVAILABLE - requester false",
		"system g-primary-2 UNAVAILABLE - false")

	clk.Add(10 * time.Second)
	expectRows(t, "healthy, asked on a follower", statusCheck(t, c, p1),
		"neo4j g-primary-0 APPLYING g-primary-0 true",
		"neo4j g-primary-1 APPLYING g-primary-0 requester true",
		"neo4j g-primary-2 APPLYING g-primary-0 true",
		"system g-primary-0 APPLYING g-primary-0 true",
		"system g-primary-1 APPLYING g-primary-0 requester true",
		"system g-primary-2 APPLYING g-primary-0 true")
	expectRows(t, "a secondary runs no check for an empty list", statusCheck(t, c, s0))
	expectRows(t, "a secondary asked for neo4j by name", statusCheck(t, c, s0, "neo4j", "nope"),
		"neo4j g-secondary-0 error: database neo4j is not a clustered database hosted as a primary on this server (requester true, replicated false)",
		"nope g-secondary-0 error: database nope does not exist on this server (requester true, replicated false)")

	c.SetReachable("g-primary-2", false)
	expectRows(t, "one member cut off: UNAVAILABLE, its leader unknown; two of three still replicate", statusCheck(t, c, p0, "neo4j"),
		"neo4j g-primary-0 APPLYING g-primary-0 requester true",
		"neo4j g-primary-1 APPLYING g-primary-0 true",
		"neo4j g-primary-2 UNAVAILABLE - true")
	expectRows(t, "the member cut off hears from no one and cannot replicate", statusCheck(t, c, p2, "neo4j"),
		"neo4j g-primary-0 UNAVAILABLE - false",
		"neo4j g-primary-1 UNAVAILABLE - false",
		"neo4j g-primary-2 UNAVAILABLE - requester false")
	c.SetReachable("g-primary-2", true)

	c.SetLagging("g-primary-1", true)
	if got := states(servers(t, p0)); got[1] != "g-primary-1=Enabled/Available" {
		t.Errorf("a lagging server is still Available: %v", got)
	}
	expectRows(t, "a lagging member: UNAVAILABLE, still following the leader", statusCheck(t, c, p0, "neo4j"),
		"neo4j g-primary-0 APPLYING g-primary-0 requester true",
		"neo4j g-primary-1 UNAVAILABLE g-primary-0 true",
		"neo4j g-primary-2 APPLYING g-primary-0 true")
	expectRows(t, "a lagging requester cannot replicate", statusCheck(t, c, p1, "neo4j"),
		"neo4j g-primary-0 APPLYING g-primary-0 false",
		"neo4j g-primary-1 UNAVAILABLE g-primary-0 requester false",
		"neo4j g-primary-2 APPLYING g-primary-0 false")
	c.SetLagging("g-primary-2", true)
	expectRows(t, "two of three lagging: no majority", statusCheck(t, c, p0, "neo4j"),
		"neo4j g-primary-0 APPLYING g-primary-0 requester false",
		"neo4j g-primary-1 UNAVAILABLE g-primary-0 false",
		"neo4j g-primary-2 UNAVAILABLE g-primary-0 false")
	c.SetLagging("g-primary-1", false)
	c.SetLagging("g-primary-2", false)

	c.RemovePod("g-primary-0")
	if c.Leader() != "g-primary-1" {
		t.Fatalf("system leader %s", c.Leader())
	}
	expectRows(t, "the system leader moved; neo4j's writer (the fake elects none) is gone", statusCheck(t, c, p1),
		"neo4j g-primary-0 UNAVAILABLE - false",
		"neo4j g-primary-1 APPLYING g-primary-0 requester false",
		"neo4j g-primary-2 APPLYING g-primary-0 false",
		"system g-primary-0 UNAVAILABLE - true",
		"system g-primary-1 APPLYING g-primary-1 requester true",
		"system g-primary-2 APPLYING g-primary-1 true")
	dbs, err := p1.ShowDatabases(ctx())
	ok(t, err)
	for _, d := range dbs {
		if d.Writer && d.Name == "neo4j" && d.Address != addr("g-primary-0") || d.Writer && d.Name == "system" && d.Address != addr("g-primary-1") {
			t.Errorf("the status check's leaders are not SHOW DATABASES' writers: %+v", d)
		}
	}

	// The manual's own form, with a literal empty list, is accepted; a
	// list of something else is not.
	if code := cypher(t, c, "g-primary-1", "CALL dbms.cluster.statusCheck([])", nil); code != "" {
		t.Errorf("literal form: %s", code)
	}
	if code := cypher(t, c, "g-primary-1", neo4j.StatusCheckQuery, map[string]any{"databases": []any{int64(1)}}); code != "Neo.ClientError.Statement.ArgumentError" {
		t.Errorf("a list of integers: %q", code)
	}
}

// A database of one primary is a single: an empty list skips it, a name
// gets an error row.
func TestStatusCheckSkipsSingles(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{AutoEnable: true, DefaultPrimaries: 1, InitialPrimaries: 2})
	for _, n := range []string{"g-primary-0", "g-primary-1"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	clk.Add(time.Second)
	conn := dial("g-primary-0")
	expectRows(t, "neo4j has one primary: only system", statusCheck(t, c, conn),
		"system g-primary-0 APPLYING g-primary-0 requester true",
		"system g-primary-1 APPLYING g-primary-0 true")
	expectRows(t, "neo4j by name", statusCheck(t, c, conn, "neo4j"),
		"neo4j g-primary-0 error: database neo4j is not a clustered database hosted as a primary on this server (requester true, replicated false)")
}

// Releases before 5.24 have no status check (status-check.adoc: "Neo4j
// 5.24 introduces"); 5.26 and CalVer do.
func TestStatusCheckByRelease(t *testing.T) {
	for _, tc := range []struct {
		release string
		has     bool
	}{{"5.23", false}, {"5.24", true}, {"5.26", true}, {"2025.01", true}, {"", true}} {
		t.Run(tc.release, func(t *testing.T) {
			c, _, dial := newCluster(t, cluster.Options{AutoEnable: true, InitialPrimaries: 1, Release: tc.release})
			ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
			_, err := dial("g-primary-0").StatusCheck(ctx(), nil, 0)
			if tc.has && err != nil || !tc.has && !neo4j.ProcedureNotFound(err) {
				t.Errorf("release %q: %v", tc.release, err)
			}
		})
	}
}

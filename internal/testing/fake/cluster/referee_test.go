package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// five is a formed cluster of four primary servers and one secondary, all
// Available, neo4j on the first three primaries.
func five(t *testing.T, o cluster.Options) (*cluster.Cluster, *clock, *neo4j.Conn) {
	t.Helper()
	o.CatchUp, o.AutoEnable, o.DefaultPrimaries, o.InitialPrimaries = time.Second, true, 3, 3
	c, clk, dial := newCluster(t, o)
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3", "g-secondary-0"} {
		ok(t, c.SetPod(n, addr(n), strings.Contains(n, "secondary"), true))
	}
	clk.Add(time.Second)
	cluster.TakeViolations()
	return c, clk, dial("g-primary-0")
}

func id(t *testing.T, conn *neo4j.Conn, name string) string {
	for _, s := range servers(t, conn) {
		if s.Name == name || strings.HasPrefix(s.Address, name+"-") {
			return s.ID
		}
	}
	t.Fatalf("no server %s", name)
	return ""
}

func rules(v []cluster.Violation) []string {
	var out []string
	for _, x := range v {
		out = append(out, x.Rule)
	}
	return out
}

// Administration commands while the pods of a StatefulSet run different
// revisions are a violation; SHOWs are not, nor commands once every pod
// runs one revision.
func TestAdminCommandDuringARoll(t *testing.T) {
	c, _, conn := five(t, cluster.Options{})
	c.SetRevisions(map[string]string{"g-primary-0": "a|img:5.26.1", "g-primary-1": "b|img:5.26.2", "g-secondary-0": "a|img:5.26.1"})
	servers(t, conn)
	if v := c.Violations(); len(v) != 0 {
		t.Fatalf("a SHOW is a violation: %v", v)
	}
	ok(t, conn.SetTopology(ctx(), "neo4j", 3, 0))
	v := cluster.TakeViolations()
	if len(v) != 1 || v[0].Rule != cluster.RuleAdminDuringRoll || !strings.Contains(v[0].Detail, "g-primary") {
		t.Fatalf("violations %v, want one %s naming g-primary", v, cluster.RuleAdminDuringRoll)
	}
	c.SetRevisions(map[string]string{"g-primary-0": "b|img:5.26.2", "g-primary-1": "b|img:5.26.2", "g-secondary-0": "a|img:5.26.1"})
	ok(t, conn.SetTopology(ctx(), "neo4j", 3, 1))
	if v := cluster.TakeViolations(); len(v) != 0 {
		t.Errorf("after the roll: %v", v)
	}
}

// ENABLE SERVER takes the manual's literal options; a parameter is
// refused, and options on a cordoned server are a violation.
func TestEnableServerForms(t *testing.T) {
	c, _, conn := five(t, cluster.Options{})
	sid := id(t, conn, "g-primary-3")
	if code := cypher(t, c, "g-primary-0", "ENABLE SERVER '"+sid+"' OPTIONS {modeConstraint: $mode}", map[string]any{"mode": "NONE"}); code != "Neo.ClientError.Statement.SyntaxError" {
		t.Errorf("a parameter in OPTIONS: %q, want a syntax error", code)
	}
	ok(t, conn.CordonServer(ctx(), sid))
	ok(t, conn.EnableServer(ctx(), sid, ""))
	if v := cluster.TakeViolations(); len(v) != 0 {
		t.Errorf("the bare form: %v", v)
	}
	ok(t, conn.CordonServer(ctx(), sid))
	ok(t, conn.EnableServer(ctx(), sid, "NONE"))
	if got := rules(cluster.TakeViolations()); len(got) != 1 || got[0] != cluster.RuleOptionsReset {
		t.Errorf("options on a cordoned server: %v", got)
	}
}

// DRYRUN DEALLOCATE answers what DEALLOCATE would: the moves, or the
// refusal, and changes nothing (server-syntax.adoc, servers.adoc).
func TestDryRunDeallocate(t *testing.T) {
	c, _, conn := five(t, cluster.Options{})
	moves, err := conn.DryRunDeallocate(ctx(), id(t, conn, "g-primary-2"))
	ok(t, err)
	if len(moves) != 1 || moves[0].Database != "neo4j" || moves[0].ToServerID != id(t, conn, "g-primary-3") || moves[0].Mode != "primary" {
		t.Errorf("moves %+v, want neo4j to g-primary-3 as primary", moves)
	}
	if got := serverViews(c.Servers())[2]; !strings.HasPrefix(got, "g-primary-2=Enabled") {
		t.Errorf("a dry run changed the server: %s", got)
	}
	// A database with one primary cannot be deallocated: refused, as
	// DEALLOCATE is.
	ok(t, conn.CreateDatabase(ctx(), "solo", 1, 0))
	if _, err := conn.DryRunDeallocate(ctx(), id(t, conn, "g-primary-0")); neo4j.KindOf(err) != neo4j.Refused || !strings.Contains(err.Error(), "only primary of solo") {
		t.Errorf("%v, want refused", err)
	}
}

// A quorum of a database's primary hosts cordoned refuses a deallocation
// (servers.adoc).
func TestDeallocationRefusedWithAQuorumCordoned(t *testing.T) {
	_, _, conn := five(t, cluster.Options{})
	ok(t, conn.CordonServer(ctx(), id(t, conn, "g-primary-1")))
	ok(t, conn.CordonServer(ctx(), id(t, conn, "g-primary-2")))
	if err := conn.DeallocateServer(ctx(), id(t, conn, "g-primary-2")); neo4j.KindOf(err) != neo4j.Refused || !strings.Contains(err.Error(), "quorum") {
		t.Errorf("%v, want a refusal naming the quorum", err)
	}
}

// At most 11 primaries and 20 secondaries (clustering/introduction.adoc).
func TestTopologyLimits(t *testing.T) {
	_, _, conn := five(t, cluster.Options{})
	if err := conn.CreateDatabase(ctx(), "big", 1, 21); neo4j.KindOf(err) != neo4j.Refused || !strings.Contains(err.Error(), "at most 11 primaries and 20 secondaries") {
		t.Errorf("%v, want refused", err)
	}
}

// Lowering a topology before the leaving server is cordoned drops a copy
// a staying server held, and DEALLOCATE copies it back: a violation. In
// the manual's order (cordon, lower, deallocate) there is none.
func TestCopiedBackOnlyInTheWrongOrder(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cordonLast bool
		want       int
	}{{"lower, then cordon and deallocate", true, 1}, {"cordon, lower, deallocate", false, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, conn := five(t, cluster.Options{})
			leaving := id(t, conn, "g-primary-2")
			if !tc.cordonLast {
				ok(t, conn.CordonServer(ctx(), leaving))
			}
			ok(t, conn.SetTopology(ctx(), "neo4j", 2, 0))
			if tc.cordonLast {
				ok(t, conn.CordonServer(ctx(), leaving))
			}
			if err := conn.DeallocateServer(ctx(), leaving); err != nil && tc.cordonLast {
				t.Fatal(err)
			}
			clk.Add(time.Second)
			c.Servers()
			if got := rules(cluster.TakeViolations()); len(got) != tc.want {
				t.Errorf("violations %v, want %d", got, tc.want)
			}
		})
	}
}

// Composite databases are in every server's hosting and in SHOW
// DATABASES as composite and read-only; a read-only database says so; a
// Free server's address may be NULL; a server denied a database gets no
// copy of it.
func TestShapesTheOperatorMustRead(t *testing.T) {
	c, clk, conn := five(t, cluster.Options{NullFreeAddress: true})
	c.AddComposite("library")
	c.SetReadOnly("neo4j", true)
	c.SetServerOptions("g-primary-3", nil, []string{"sales"})
	ok(t, conn.CreateDatabase(ctx(), "sales", 3, 0))
	clk.Add(time.Second)
	ss := servers(t, conn)
	if !equal(ss[0].Hosting, []string{"neo4j", "sales", "system", "library"}) || !equal(ss[3].Denied, []string{"sales"}) {
		t.Errorf("hosting %v, denied %v", ss[0].Hosting, ss[3].Denied)
	}
	dbs, err := conn.ShowDatabases(ctx())
	ok(t, err)
	types := map[string]string{}
	for _, d := range dbs {
		types[d.Name] = d.Type + "/" + d.Access
		if d.Name == "sales" && strings.HasPrefix(d.Address, "g-primary-3") {
			t.Error("sales was allocated to a server that denies it")
		}
	}
	if types["library"] != "composite/read-only" || types["neo4j"] != "standard/read-only" || types["sales"] != "standard/read-write" {
		t.Errorf("types %v", types)
	}
	ok(t, c.SetPod("g-primary-4", addr("g-primary-4"), false, true))
	c.SetServerOptions("g-primary-4", nil, nil)
	for _, s := range servers(t, conn) {
		if s.State == neo4j.StateFree && s.Address != "" {
			t.Errorf("a Free server's address %q, want NULL", s.Address)
		}
	}
}

// Servers with and without the cluster SSL policy running at once are a
// violation, recorded once until they agree again: a roll of one pod at
// a time breaks the rule; a full restart, every old server stopping
// before a new one runs, does not.
func TestMixedClusterPolicy(t *testing.T) {
	names := []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3", "g-secondary-0"}
	c, _, _ := five(t, cluster.Options{})
	for _, n := range names {
		c.SetClusterPolicy(n, false, false)
	}
	if v := cluster.TakeViolations(); len(v) != 0 {
		t.Fatalf("one policy everywhere: %v", v)
	}

	// One pod at a time: g-primary-0 comes back with the policy while the
	// others run without it.
	c.RemovePod("g-primary-0")
	c.SetClusterPolicy("g-primary-0", true, false)
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	c.SetClusterPolicy("g-primary-0", true, false) // the next list: the same mix, no second record
	c.RemovePod("g-primary-1")                     // the mix shrinks: still the same breach
	v := cluster.TakeViolations()
	if len(v) != 1 || v[0].Rule != cluster.RuleMixedPolicy ||
		v[0].Detail != "servers with the cluster SSL policy (g-primary-0) and without it (g-primary-1, g-primary-2, g-primary-3, g-secondary-0) running at once" ||
		v[0].Source != "clustering/setup/encryption.adoc (5.x)" {
		t.Fatalf("violations %v, want one %s", v, cluster.RuleMixedPolicy)
	}

	// A full restart: every pod terminating, then gone, before any comes
	// back with the policy.
	c, _, _ = five(t, cluster.Options{})
	for _, n := range names {
		c.SetClusterPolicy(n, false, false)
	}
	for _, n := range names {
		c.SetClusterPolicy(n, false, true)
	}
	for _, n := range names {
		c.RemovePod(n)
	}
	for _, n := range names {
		c.SetClusterPolicy(n, true, false)
		ok(t, c.SetPod(n, addr(n), strings.Contains(n, "secondary"), true))
	}
	if v := cluster.TakeViolations(); len(v) != 0 {
		t.Fatalf("a full restart: %v", v)
	}
}

package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func addr(name string) string        { return name + "-internals.ns.svc.cluster.local:7687" }
func ctx() context.Context           { return context.Background() }
func states(s []neo4j.Server) []string {
	out := []string{}
	for _, x := range s {
		out = append(out, x.Name+"="+x.State+"/"+x.Health)
	}
	return out
}

func newCluster(t *testing.T, o cluster.Options) (*cluster.Cluster, *clock, func(name string) *neo4j.Conn) {
	t.Helper()
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	o.Password, o.Now = "pw-12345678", clk.Now
	c := cluster.New(o)
	t.Cleanup(c.Close)
	dial := func(name string) *neo4j.Conn {
		conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}.Dial(addr(name), neo4j.Credentials{User: "neo4j", Password: "pw-12345678"}, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(ctx()) })
		return conn
	}
	return c, clk, dial
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func servers(t *testing.T, c *neo4j.Conn) []neo4j.Server {
	t.Helper()
	s, err := c.ShowServers(ctx())
	ok(t, err)
	return s
}

func TestFormationAndHealth(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	ok(t, c.SetPod("g-secondary-0", addr("g-secondary-0"), true, false)) // not Ready: not there yet
	conn := dial("g-primary-1")
	list := servers(t, conn)
	if got := states(list); len(got) != 3 || got[0] != "g-primary-0=Enabled/Unavailable" {
		t.Fatalf("servers %v", got)
	}
	clk.Add(10 * time.Second)
	ok(t, c.SetPod("g-secondary-0", addr("g-secondary-0"), true, true))
	list = servers(t, conn)
	want := []string{"g-primary-0=Enabled/Available", "g-primary-1=Enabled/Available", "g-primary-2=Enabled/Available", "g-secondary-0=Enabled/Unavailable"}
	if got := states(list); !equal(got, want) {
		t.Errorf("servers %v, want %v", got, want)
	}
	if list[3].ModeConstraint != "SECONDARY" {
		t.Errorf("a secondary is enabled with its mode constraint, got %q", list[3].ModeConstraint)
	}
	dbs, err := conn.ShowDatabases(ctx())
	ok(t, err)
	if leader := neo4j.SystemLeader(dbs); leader != addr("g-primary-0") {
		t.Errorf("system leader %q", leader)
	}
	neo := map[string]string{}
	for _, d := range dbs {
		if d.Name == "neo4j" {
			neo[d.Address] = d.Role
		}
	}
	if len(neo) != 4 || neo[addr("g-secondary-0")] != "secondary" {
		t.Errorf("neo4j hosted %v, want 3 primaries and the secondary", neo)
	}
	c.SetReachable("g-primary-2", false)
	if got := states(servers(t, conn))[2]; got != "g-primary-2=Enabled/Unavailable" {
		t.Errorf("cut off: %s", got)
	}
	c.SetReachable("g-primary-2", true)
	if got := states(servers(t, conn))[2]; got != "g-primary-2=Enabled/Available" {
		t.Errorf("back: %s", got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Removing a server the way the manual says: enable, cordon, deallocate
// (which takes time), drop only once deallocated; and the refusals.
func TestRemovingAServer(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{Deallocation: 30 * time.Second, DefaultPrimaries: 3, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	leader, follower := dial("g-primary-0"), dial("g-primary-1")
	free := servers(t, leader)
	if free[0].State != "Enabled" || free[3].State != "Free" {
		t.Fatalf("the three founders are enabled; without automatic enabling a fourth starts Free: %v", states(free))
	}
	if err := follower.EnableServer(ctx(), free[3].ID, "NONE"); neo4j.KindOf(err) != neo4j.NotALeader {
		t.Errorf("a write on a follower: %v, want NotALeader", err)
	}
	ok(t, leader.EnableServer(ctx(), free[3].ID, "NONE"))
	if err := leader.SetTopology(ctx(), "neo4j", 4, 1); neo4j.KindOf(err) != neo4j.Refused {
		t.Errorf("5 allocations on 4 servers: %v, want Refused", err)
	}
	ok(t, leader.CordonServer(ctx(), "g-primary-3"))
	ok(t, leader.DeallocateServer(ctx(), "g-primary-3"))
	if err := leader.DropServer(ctx(), "g-primary-3"); neo4j.KindOf(err) != neo4j.Refused {
		t.Errorf("drop while deallocating: %v, want Refused", err)
	}
	if got := states(servers(t, leader))[3]; got != "g-primary-3=Deallocating/Available" {
		t.Errorf("%s", got)
	}
	clk.Add(30 * time.Second)
	s := servers(t, leader)[3]
	if s.State != "Deallocated" || len(s.Hosting) != 1 || s.Hosting[0] != "system" {
		t.Errorf("after the deallocation time: %+v", s)
	}
	ok(t, leader.DropServer(ctx(), "g-primary-3"))
	if got := states(servers(t, leader))[3]; got != "g-primary-3=Dropped/Available" {
		t.Errorf("%s", got)
	}
	// Three servers, three primaries of neo4j: none can go.
	if err := leader.DeallocateServer(ctx(), "g-primary-2"); neo4j.KindOf(err) != neo4j.Refused {
		t.Errorf("a deallocation that breaks the topology: %v, want Refused", err)
	}
}

func TestWrongPassword(t *testing.T) {
	c, _, _ := newCluster(t, cluster.Options{AutoEnable: true})
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	conn, err := neo4j.Dialer{Timeout: time.Second, Resolve: c.Resolve}.Dial(addr("g-primary-0"), neo4j.Credentials{User: "neo4j", Password: "nope-nope"}, true)
	ok(t, err)
	defer conn.Close(ctx())
	if _, err := conn.ShowServers(ctx()); neo4j.KindOf(err) != neo4j.AuthFailed {
		t.Errorf("%v, want AuthFailed", err)
	}
}

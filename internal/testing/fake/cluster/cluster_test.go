package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
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

// cypher sends one query over Bolt with the driver itself (for commands
// internal/neo4j does not send) and returns the failure's code, "" when
// accepted.
func cypher(t *testing.T, c *cluster.Cluster, server, text string, params map[string]any) string {
	t.Helper()
	drv, err := driver.NewDriverWithContext("bolt://"+c.Addr(server), driver.BasicAuth("neo4j", "pw-12345678", ""))
	ok(t, err)
	defer drv.Close(ctx())
	s := drv.NewSession(ctx(), driver.SessionConfig{DatabaseName: "system"})
	defer s.Close(ctx())
	res, err := s.Run(ctx(), text, params)
	if err == nil {
		_, err = res.Collect(ctx())
	}
	var n4j *driver.Neo4jError
	if errors.As(err, &n4j) {
		return n4j.Code
	}
	ok(t, err)
	return ""
}

// copies are a database's copies as SHOW DATABASES reports them: server
// name → currentStatus.
func copies(t *testing.T, conn *neo4j.Conn, db string) map[string]string {
	t.Helper()
	dbs, err := conn.ShowDatabases(ctx())
	ok(t, err)
	out := map[string]string{}
	for _, d := range dbs {
		if d.Name == db {
			out[strings.TrimSuffix(d.Address, "-internals.ns.svc.cluster.local:7687")] = d.CurrentStatus
		}
	}
	return out
}

func serverViews(v []cluster.ServerView) []string {
	out := []string{}
	for _, s := range v {
		out = append(out, s.Name+"="+s.State+"/"+s.Health+" "+strings.Join(s.Hosting, ","))
	}
	return out
}

// A pod that goes away: its server is Unavailable, a Dropped one
// disappears, a Deallocated one stays; a pod that comes back is the same
// server.
func TestPodsThatGoAway(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 2})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	clk.Add(10 * time.Second)
	conn := dial("g-primary-0")
	ok(t, conn.DeallocateServer(ctx(), "g-primary-2")) // hosts no user database: Deallocated at once
	ok(t, conn.DeallocateServer(ctx(), "g-primary-3"))
	ok(t, conn.DropServer(ctx(), "g-primary-3"))
	id3 := c.Servers()[3].ID
	for _, n := range []string{"g-primary-1", "g-primary-2", "g-primary-3"} {
		c.RemovePod(n)
	}
	want := []string{"g-primary-0=Enabled/Available", "g-primary-1=Enabled/Unavailable", "g-primary-2=Deallocated/Unavailable"}
	if got := states(servers(t, conn)); !equal(got, want) {
		t.Errorf("SHOW SERVERS %v, want %v", got, want)
	}
	want = []string{"g-primary-0=Enabled/Available neo4j,system", "g-primary-1=Enabled/Unavailable neo4j,system",
		"g-primary-2=Deallocated/Unavailable system"}
	if got := serverViews(c.Servers()); !equal(got, want) {
		t.Errorf("Servers() %v, want %v", got, want)
	}
	if got := copies(t, conn, "neo4j"); got["g-primary-1"] != "unknown" || got["g-primary-0"] != "online" {
		t.Errorf("neo4j %v: the copy on the gone pod's server is unknown", got)
	}
	if _, ok := copies(t, conn, "system")["g-primary-3"]; ok {
		t.Errorf("system is still hosted on the dropped, stopped server")
	}
	ok(t, c.SetPod("g-primary-3", addr("g-primary-3"), false, true))
	ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
	clk.Add(10 * time.Second)
	v := c.Servers()
	want = []string{"g-primary-0=Enabled/Available neo4j,system", "g-primary-1=Enabled/Available neo4j,system",
		"g-primary-2=Deallocated/Unavailable system", "g-primary-3=Dropped/Available "}
	if got := serverViews(v); !equal(got, want) || v[3].ID != id3 {
		t.Errorf("back: %v (ID %s, was %s), want %v", got, v[3].ID, id3, want)
	}
}

// FollowPods reports pods that left the namespace's list with RemovePod,
// and drops them from the resolve file.
func TestFollowPodsRemovesPods(t *testing.T) {
	c, _, _ := newCluster(t, cluster.Options{AutoEnable: true})
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	}
	k := fake.NewClientBuilder().WithObjects(pod("g-primary-0"), pod("g-primary-1")).Build()
	resolve := filepath.Join(t.TempDir(), "resolve")
	run, stop := context.WithCancel(ctx())
	defer stop()
	go c.FollowPods(run, k, "ns", "cluster.local", resolve)
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: servers %v", what, serverViews(c.Servers()))
			}
		}
	}
	eventually("both pods followed", func() bool { return len(c.Servers()) == 2 && c.Servers()[1].Health == "Available" })
	ok(t, k.Delete(ctx(), pod("g-primary-1")))
	eventually("the deleted pod's server Unavailable", func() bool { return c.Servers()[1].Health == "Unavailable" })
	eventually("the resolve file without it", func() bool {
		b, _ := os.ReadFile(resolve)
		return strings.Count(string(b), "\n") == 1 && strings.HasPrefix(string(b), "g-primary-0-internals.ns.svc.cluster.local:7687 ")
	})
	ok(t, k.Create(ctx(), pod("g-primary-1")))
	eventually("back", func() bool { return c.Servers()[1].Health == "Available" })
}

// Every command is logged, refused ones too, and OnCommand runs after
// it, outside the lock (it can call the cluster).
func TestCommandLog(t *testing.T) {
	var c *cluster.Cluster
	var hooked []cluster.Command
	o := cluster.Options{AutoEnable: true, OnCommand: func(x cluster.Command) {
		if n := len(c.Commands()); n != len(hooked)+1 {
			t.Errorf("OnCommand with %d commands logged, want %d", n, len(hooked)+1)
		}
		hooked = append(hooked, x)
	}}
	c, _, dial := newCluster(t, o)
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
	leader, follower := dial("g-primary-0"), dial("g-primary-1")
	if err := follower.CordonServer(ctx(), "g-primary-1"); neo4j.KindOf(err) != neo4j.NotALeader {
		t.Errorf("%v, want NotALeader", err)
	}
	servers(t, leader) // SHOWs are not commands
	ok(t, leader.CordonServer(ctx(), "g-primary-1"))
	if err := leader.CordonServer(ctx(), "g-primary-1"); neo4j.KindOf(err) != neo4j.Refused {
		t.Errorf("%v, want Refused", err)
	}
	id := c.Servers()[1].ID
	ok(t, leader.EnableServer(ctx(), id, ""))
	cordon := "CALL dbms.cluster.cordonServer($server)"
	one := map[string]any{"server": "g-primary-1"}
	want := []cluster.Command{
		{Server: "g-primary-1", Text: cordon, Params: one, Code: "Neo.ClientError.Cluster.NotALeader"},
		{Server: "g-primary-0", Text: cordon, Params: one},
		{Server: "g-primary-0", Text: cordon, Params: one, Code: "Neo.ClientError.Cluster.InvalidServerState"},
		{Server: "g-primary-0", Text: "ENABLE SERVER '" + id + "'", Params: map[string]any{}},
	}
	if got := c.Commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("Commands()\n%v, want\n%v", got, want)
	}
	if !reflect.DeepEqual(hooked, want) {
		t.Errorf("OnCommand saw\n%v, want\n%v", hooked, want)
	}
	for prefix, n := range map[string]int{cordon: 1, "ENABLE SERVER": 1, "": 2, "DROP": 0} {
		if got := c.CountCommands(prefix); got != n {
			t.Errorf("CountCommands(%q) = %d, want %d", prefix, got, n)
		}
	}
}

func TestCreateDatabase(t *testing.T) {
	const create = "CREATE DATABASE $db IF NOT EXISTS TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES"
	neo4jAsFormed := &cluster.DatabaseView{Name: "neo4j", Primaries: 2, Online: map[string]string{"g-primary-0": "primary", "g-primary-1": "primary"}}
	for _, tc := range []struct {
		name                   string
		db                     string
		primaries, secondaries int64
		code                   string
		want                   *cluster.DatabaseView // once caught up; nil: there is none
	}{
		{name: "created and allocated", db: "foo", primaries: 2, secondaries: 1, want: &cluster.DatabaseView{Name: "foo", Primaries: 2, Secondaries: 1,
			Online: map[string]string{"g-primary-0": "primary", "g-primary-1": "primary", "g-secondary-0": "secondary"}}},
		{name: "exists: nothing happens", db: "neo4j", primaries: 1, want: neo4jAsFormed},
		{name: "primaries on servers that allow them only", db: "foo", primaries: 3, code: "Neo.ClientError.Cluster.NotEnoughServers"},
		{name: "one copy a server", db: "foo", primaries: 2, secondaries: 2, code: "Neo.ClientError.Cluster.NotEnoughServers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, _ := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 2})
			ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
			ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
			ok(t, c.SetPod("g-secondary-0", addr("g-secondary-0"), true, true)) // mode SECONDARY
			clk.Add(10 * time.Second)
			params := map[string]any{"db": tc.db, "primaries": tc.primaries, "secondaries": tc.secondaries}
			if code := cypher(t, c, "g-primary-0", create, params); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
			clk.Add(10 * time.Second)
			var got *cluster.DatabaseView
			for _, d := range c.Databases() {
				if d.Name == tc.db {
					got = &d
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%+v, want %+v", got, tc.want)
			}
		})
	}
}

// A new copy is "store copying" for CatchUp after its allocation; the
// copies made at formation come online with their server.
func TestNewCopiesCatchUp(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 2})
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	clk.Add(5 * time.Second)
	ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true)) // forms the cluster
	clk.Add(5 * time.Second)
	conn := dial("g-primary-0")
	if got := copies(t, conn, "neo4j"); got["g-primary-0"] != "online" || got["g-primary-1"] != "unknown" {
		t.Errorf("formation copies come online with their server: %v", got)
	}
	ok(t, c.SetPod("g-primary-2", addr("g-primary-2"), false, true))
	clk.Add(10 * time.Second)
	ok(t, conn.SetTopology(ctx(), "neo4j", 3, 0))
	for _, step := range []struct {
		after  time.Duration
		status string
		online int
	}{{0, "store copying", 2}, {9 * time.Second, "store copying", 2}, {time.Second, "online", 3}} {
		clk.Add(step.after)
		if got := copies(t, conn, "neo4j")["g-primary-2"]; got != step.status {
			t.Errorf("+%v: the new copy is %q, want %q", step.after, got, step.status)
		}
		if got := c.OnlinePrimaries("neo4j"); got != step.online {
			t.Errorf("+%v: %d primaries online, want %d", step.after, got, step.online)
		}
	}
}

// A deallocating server keeps serving until the copies replacing its own
// are online and the deallocation time has passed; then it hosts system
// only. DROP SERVER can be refused at will.
func TestDeallocation(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, Deallocation: 5 * time.Second, AutoEnable: true,
		DefaultPrimaries: 3, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	clk.Add(10 * time.Second)
	conn := dial("g-primary-0")
	ok(t, conn.DeallocateServer(ctx(), "g-primary-2"))
	for _, step := range []struct {
		after      time.Duration
		server     string
		old, newer string
	}{
		{0, "g-primary-2=Deallocating/Available neo4j,system", "online", "store copying"},
		{5 * time.Second, "g-primary-2=Deallocating/Available neo4j,system", "online", "store copying"}, // the replacement is not online yet
		{5 * time.Second, "g-primary-2=Deallocated/Available system", "", "online"},
	} {
		clk.Add(step.after)
		if got := serverViews(c.Servers())[2]; got != step.server {
			t.Errorf("+%v: %s, want %s", step.after, got, step.server)
		}
		got := copies(t, conn, "neo4j")
		if got["g-primary-2"] != step.old || got["g-primary-3"] != step.newer {
			t.Errorf("+%v: neo4j %v, want the old copy %q and the new %q", step.after, got, step.old, step.newer)
		}
		if n := c.OnlinePrimaries("neo4j"); n != 3 {
			t.Errorf("+%v: %d primaries online, want 3 throughout", step.after, n)
		}
	}
	if s := servers(t, conn)[2]; !equal(s.Hosting, []string{"system"}) {
		t.Errorf("a deallocated server hosts %v, want system", s.Hosting)
	}
	c.SetDropRefused("Neo.ClientError.Cluster.Fake", "refused by the test")
	if err := conn.DropServer(ctx(), "g-primary-2"); neo4j.KindOf(err) != neo4j.Refused || !strings.Contains(err.Error(), "Neo.ClientError.Cluster.Fake") {
		t.Errorf("%v, want the test's refusal", err)
	}
	c.SetDropRefused("", "")
	ok(t, conn.DropServer(ctx(), "g-primary-2"))
}

// A blocked deallocation never finishes: the replacement never catches up
// and the old copy keeps serving, until it is unblocked.
func TestBlockedDeallocation(t *testing.T) {
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 3, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-primary-3"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	clk.Add(10 * time.Second)
	conn := dial("g-primary-0")
	c.SetDeallocationBlocked(true)
	ok(t, conn.DeallocateServer(ctx(), "g-primary-2"))
	clk.Add(time.Hour)
	if got := states(servers(t, conn))[2]; got != "g-primary-2=Deallocating/Available" {
		t.Errorf("blocked: %s", got)
	}
	if got := copies(t, conn, "neo4j"); got["g-primary-2"] != "online" || got["g-primary-3"] != "store copying" {
		t.Errorf("blocked: neo4j %v", got)
	}
	c.SetDeallocationBlocked(false)
	if got := states(servers(t, conn))[2]; got != "g-primary-2=Deallocated/Available" {
		t.Errorf("unblocked: %s", got)
	}
	if got := c.Databases()[0]; got.Name != "neo4j" || len(got.Online) != 3 || got.Online["g-primary-3"] != "primary" {
		t.Errorf("unblocked: %+v", got)
	}
}

func TestDeallocationRefusals(t *testing.T) {
	for _, tc := range []struct {
		name               string
		primaries, servers int
		target, refusal    string // refusal: what the message says; "" accepted
	}{
		{name: "the only primary", primaries: 1, servers: 2, target: "g-primary-0", refusal: "the only primary of neo4j"},
		{name: "no other home", primaries: 2, servers: 2, target: "g-primary-1", refusal: "leave neo4j with too few primary servers"},
		{name: "a spare server", primaries: 2, servers: 3, target: "g-primary-1"},
		{name: "hosting nothing", primaries: 1, servers: 2, target: "g-primary-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, dial := newCluster(t, cluster.Options{AutoEnable: true, DefaultPrimaries: tc.primaries, InitialPrimaries: 1})
			for i := range tc.servers {
				n := fmt.Sprintf("g-primary-%d", i)
				ok(t, c.SetPod(n, addr(n), false, true))
			}
			err := dial("g-primary-0").DeallocateServer(ctx(), tc.target)
			var n4j *driver.Neo4jError
			switch {
			case tc.refusal == "" && err != nil:
				t.Errorf("%v, want accepted", err)
			case tc.refusal != "" && (!errors.As(err, &n4j) || !strings.Contains(n4j.Msg, tc.refusal)):
				t.Errorf("%v, want a refusal that says %q", err, tc.refusal)
			}
		})
	}
}

// The system leader moves when its server is dropped or its pod removed,
// to the first Available primary server; with none, writes are refused.
func TestLeaderMoves(t *testing.T) {
	c, _, dial := newCluster(t, cluster.Options{AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 1})
	for _, n := range []string{"g-primary-0", "g-secondary-0", "g-primary-1", "g-primary-2"} {
		ok(t, c.SetPod(n, addr(n), strings.Contains(n, "secondary"), true))
	}
	leaderIs := func(want string) {
		t.Helper()
		dbs, err := dial("g-secondary-0").ShowDatabases(ctx())
		ok(t, err)
		if got := neo4j.SystemLeader(dbs); got != want {
			t.Errorf("system leader %q, want %q", got, want)
		}
	}
	leaderIs(addr("g-primary-0"))
	first := dial("g-primary-0")
	ok(t, first.DeallocateServer(ctx(), "g-primary-0")) // neo4j moves to g-primary-2
	ok(t, first.DropServer(ctx(), "g-primary-0"))
	leaderIs(addr("g-primary-1"))
	if err := first.CordonServer(ctx(), "g-primary-2"); neo4j.KindOf(err) != neo4j.NotALeader {
		t.Errorf("on the dropped server: %v, want NotALeader", err)
	}
	ok(t, dial("g-primary-1").CordonServer(ctx(), "g-primary-2"))
	c.RemovePod("g-primary-1")
	leaderIs(addr("g-primary-2"))
	ok(t, dial("g-primary-2").EnableServer(ctx(), c.Servers()[3].ID, "NONE"))
	c.RemovePod("g-primary-2")
	leaderIs("")
	if err := dial("g-secondary-0").CordonServer(ctx(), "g-primary-2"); neo4j.KindOf(err) != neo4j.NotALeader {
		t.Errorf("without a leader: %v, want NotALeader", err)
	}
	ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
	leaderIs(addr("g-primary-1"))
}

func TestCreateSeededDatabase(t *testing.T) {
	c, clk, _ := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 2})
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
	clk.Add(10 * time.Second)
	params := map[string]any{"db": "sales", "primaries": int64(2), "secondaries": int64(0)}
	q := neo4j.CreateDatabaseQuery(neo4j.Seed{URI: "s3://graph-backups/prod/sales-1/", Config: "region=eu-west-1"})
	if code := cypher(t, c, "g-primary-0", q, params); code != "" {
		t.Fatalf("refused: %s", code)
	}
	want := map[string]cluster.Seed{"sales": {URI: "s3://graph-backups/prod/sales-1/", Config: "region=eu-west-1"}}
	if got := c.Seeds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("seeds %v, want %v", got, want)
	}
	// An existing database is never seeded again; quotes in a URI are
	// escaped.
	if code := cypher(t, c, "g-primary-0", neo4j.CreateDatabaseQuery(neo4j.Seed{URI: "gs://other/it's/"}), params); code != "" {
		t.Fatalf("refused: %s", code)
	}
	if got := c.Seeds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("seeds %v after a second create, want %v", got, want)
	}
	if code := cypher(t, c, "g-primary-0", neo4j.CreateDatabaseQuery(neo4j.Seed{URI: "gs://other/it's/"}), map[string]any{"db": "quoted", "primaries": int64(1), "secondaries": int64(0)}); code != "" {
		t.Fatalf("refused: %s", code)
	}
	if got := c.Seeds()["quoted"]; got != (cluster.Seed{URI: "gs://other/it's/"}) {
		t.Fatalf("seed %+v", got)
	}
}

// Each release knows one name of the recreate procedure; the database
// must exist and system cannot be recreated.
func TestRecreateDatabase(t *testing.T) {
	for _, tc := range []struct {
		release string
		newName bool
		db      string
		code    string
	}{
		{"5.26", false, "neo4j", ""},
		{"5.26", true, "neo4j", "Neo.ClientError.Procedure.ProcedureNotFound"},
		{"2025.03", false, "neo4j", ""},
		{"2025.04", true, "neo4j", ""},
		{"2025.10", false, "neo4j", "Neo.ClientError.Procedure.ProcedureNotFound"},
		{"2025.10", true, "nope", "Neo.ClientError.Database.DatabaseNotFound"},
		{"2025.10", true, "system", "Neo.ClientError.Procedure.ProcedureCallFailed"},
	} {
		t.Run(fmt.Sprintf("%s/%v/%s", tc.release, tc.newName, tc.db), func(t *testing.T) {
			c, clk, _ := newCluster(t, cluster.Options{CatchUp: 10 * time.Second, AutoEnable: true, DefaultPrimaries: 2, InitialPrimaries: 2, Release: tc.release})
			ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
			ok(t, c.SetPod("g-primary-1", addr("g-primary-1"), false, true))
			clk.Add(10 * time.Second)
			params := map[string]any{"db": tc.db, "options": map[string]any{"seedURI": "s3://b/neo4j-1/", "primaries": int64(2), "secondaries": int64(0)}}
			if code := cypher(t, c, "g-primary-0", neo4j.RecreateQuery(tc.newName), params); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
			want := map[string][]string{}
			if tc.code == "" {
				want[tc.db] = []string{"s3://b/neo4j-1/"}
			}
			if got := c.Recreated(); !reflect.DeepEqual(got, want) {
				t.Fatalf("recreated %v, want %v", got, want)
			}
		})
	}
}

// SHOW DATABASES reports creationTime as a ZONED DATETIME, which the
// driver reads as a time: when the cluster formed, or Neo4jCreated (data
// that predates the cluster object).
func TestCreationTime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created time.Time
		want    time.Time
	}{
		{"formed now", time.Time{}, time.Unix(1_700_000_000, 0)},
		{"kept volumes", time.Unix(1_600_000_000, 0), time.Unix(1_600_000_000, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, dial := newCluster(t, cluster.Options{CatchUp: time.Second, AutoEnable: true, DefaultPrimaries: 1, InitialPrimaries: 1, Neo4jCreated: tc.created})
			ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
			dbs, err := dial("g-primary-0").ShowDatabases(ctx())
			ok(t, err)
			for _, d := range dbs {
				if d.Name == "neo4j" && !d.CreationTime.Equal(tc.want) {
					t.Fatalf("creationTime %v, want %v", d.CreationTime, tc.want)
				}
			}
			if len(dbs) == 0 {
				t.Fatal("no databases")
			}
		})
	}
}

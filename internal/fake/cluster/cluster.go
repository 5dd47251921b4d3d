// Package cluster is a FAKE Neo4j cluster for tests: one fake Bolt server
// (internal/fake/bolt) per Neo4j server on loopback, all answering from one
// shared state that follows what the Operations Manual describes
// (clustering/servers.adoc, clustering/databases.adoc, branches 5.x and
// dev):
//
//   - a server appears in SHOW SERVERS, Free, once its pod is Ready, and is
//     enabled at once when automatic enabling is on
//     (initial.dbms.automatically_enable_free_servers);
//   - it turns Available a configurable catch-up delay after that, and can
//     be made Unavailable (a network problem) and back;
//   - enabled servers receive allocations until each database has its
//     topology; the system database's primaries are the primary servers;
//   - DEALLOCATE takes a configurable time (Deallocating, then Deallocated
//     with only system left) and is refused when the topologies could not
//     be kept; DROP SERVER is refused until then; ALTER DATABASE SET
//     TOPOLOGY is refused when there are too few servers;
//   - every command but the SHOWs is refused with NotALeader on a server
//     that does not lead the system database.
//
// It models no Raft, no stores, no transactions and no failover of
// leadership: the system leader is the first primary to appear.
package cluster

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/fake/bolt"
)

// Options of a fake cluster.
type Options struct {
	Password string
	// CatchUp is how long a server takes to become Available once its pod
	// is Ready.
	CatchUp time.Duration
	// Deallocation is how long DEALLOCATE DATABASES takes.
	Deallocation time.Duration
	// AutoEnable enables free servers as they appear.
	AutoEnable bool
	// DefaultPrimaries and DefaultSecondaries are the neo4j database's
	// topology at formation (initial.dbms.default_*_count).
	DefaultPrimaries, DefaultSecondaries int
	// InitialPrimaries is how many primary servers form the cluster
	// (dbms.cluster.minimum_initial_system_primaries_count); they are
	// enabled at formation, later servers start Free. Default 1.
	InitialPrimaries int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Cluster is the shared state.
type Cluster struct {
	opts      Options
	mu        sync.Mutex
	servers   map[string]*server // by name
	order     []string           // names, in order of appearance
	databases map[string]*database
	leader    string
	txn       int64
}

type server struct {
	id, name, address string
	secondary         bool // system database mode SECONDARY (a secondary pod)
	state, mode       string
	readySince        time.Time
	ready, cut        bool
	deallocatedAt     time.Time
	bolt              *bolt.Server
}

type database struct {
	name                   string
	primaries, secondaries int
	hosts                  map[string]string // server name → role
}

// New starts an empty cluster.
func New(o Options) *Cluster {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultPrimaries == 0 {
		o.DefaultPrimaries = 1
	}
	if o.InitialPrimaries == 0 {
		o.InitialPrimaries = 1
	}
	return &Cluster{opts: o, servers: map[string]*server{}, databases: map[string]*database{}}
}

// SetPod tells the cluster about a server's pod: its name, the Bolt address
// it advertises, whether it is a secondary, and whether it is Ready. A
// server is discovered the first time its pod is Ready.
func (c *Cluster) SetPod(name, address string, secondary, ready bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.servers[name]
	if !ok {
		if !ready {
			return nil
		}
		s = &server{id: fmt.Sprintf("%08x-0000-4000-8000-%012x", len(c.order)+1, len(c.order)+1), name: name,
			address: address, secondary: secondary, state: "Free", mode: "NONE"}
		srv, err := bolt.Start(&handler{c: c, name: name})
		if err != nil {
			return err
		}
		s.bolt = srv
		c.servers[name] = s
		c.order = append(c.order, name)
		if c.opts.AutoEnable {
			s.state = "Enabled"
			if secondary {
				s.mode = "SECONDARY"
			}
		}
	}
	if ready && !s.ready {
		s.readySince = c.opts.Now()
	}
	s.ready = ready
	c.form()
	c.allocate()
	return nil
}

// SetReachable cuts a server off the cluster (Unavailable) or restores it.
func (c *Cluster) SetReachable(name string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		s.cut = !ok
	}
}

// Addr is the loopback address of a server's Bolt listener.
func (c *Cluster) Addr(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		return s.bolt.Addr()
	}
	return ""
}

// Resolve maps an advertised host:port to the server's loopback listener
// (unknown addresses are returned as they are): the operator's test hook.
func (c *Cluster) Resolve(hostport string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.servers {
		if s.address == hostport {
			return s.bolt.Addr()
		}
	}
	return hostport
}

// Close stops every listener.
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.servers {
		s.bolt.Close()
	}
}

func (s *server) available(now time.Time, catchUp time.Duration) bool {
	return s.ready && !s.cut && !now.Before(s.readySince.Add(catchUp))
}

// form creates the system database once InitialPrimaries primary servers
// are there, enabling them, and the neo4j database with the default
// topology; the first of them leads system.
func (c *Cluster) form() {
	if c.leader != "" {
		return
	}
	var founders []*server
	for _, n := range c.order {
		if s := c.servers[n]; !s.secondary && s.ready && len(founders) < c.opts.InitialPrimaries {
			founders = append(founders, s)
		}
	}
	if len(founders) < c.opts.InitialPrimaries {
		return
	}
	for _, s := range founders {
		s.state = "Enabled"
	}
	c.leader = founders[0].name
	c.databases["system"] = &database{name: "system", hosts: map[string]string{}}
	c.databases["neo4j"] = &database{name: "neo4j", primaries: c.opts.DefaultPrimaries,
		secondaries: c.opts.DefaultSecondaries, hosts: map[string]string{}}
}

// allocate hosts system on every server (primaries on primary servers)
// and tops each user database up to its topology on enabled servers that
// allow the role, finishing deallocations that are due.
func (c *Cluster) allocate() {
	now := c.opts.Now()
	for _, n := range c.order {
		s := c.servers[n]
		if s.state == "Deallocating" && !now.Before(s.deallocatedAt) {
			s.state = "Deallocated"
			for _, db := range c.databases {
				if db.name != "system" {
					delete(db.hosts, n)
				}
			}
		}
		if sys := c.databases["system"]; sys != nil && s.state != "Dropped" {
			sys.hosts[n] = map[bool]string{false: "primary", true: "secondary"}[s.secondary]
		}
	}
	for _, name := range c.dbNames() {
		db := c.databases[name]
		if name == "system" {
			continue
		}
		for _, role := range []string{"primary", "secondary"} {
			want := map[string]int{"primary": db.primaries, "secondary": db.secondaries}[role]
			for _, n := range c.order {
				if db.count(role, c.servers) >= want {
					break
				}
				s := c.servers[n]
				if _, hosted := db.hosts[n]; hosted || s.state != "Enabled" || !s.allows(role) {
					continue
				}
				db.hosts[n] = role
			}
		}
	}
}

func (s *server) allows(role string) bool {
	return s.mode == "NONE" || strings.EqualFold(s.mode, role)
}

// count is the allocations of a role, deallocating servers' excluded.
func (d *database) count(role string, servers map[string]*server) int {
	n := 0
	for name, r := range d.hosts {
		if r == role && servers[name].state != "Deallocating" {
			n++
		}
	}
	return n
}

func (c *Cluster) dbNames() []string {
	var out []string
	for n := range c.databases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// handler answers for one server.
type handler struct {
	c    *Cluster
	name string
}

func (h *handler) Authenticate(user, password string) bool {
	return user == "neo4j" && password == h.c.opts.Password
}

var (
	reEnable     = regexp.MustCompile(`^ENABLE SERVER '((?:[^'\\]|\\.)*)'(?: OPTIONS \{modeConstraint: \$mode\})?$`)
	reDeallocate = regexp.MustCompile(`^DEALLOCATE DATABASES FROM SERVER '((?:[^'\\]|\\.)*)'$`)
	reDrop       = regexp.MustCompile(`^DROP SERVER '((?:[^'\\]|\\.)*)'$`)
)

func (h *handler) Run(q bolt.Query) (bolt.Result, *bolt.Failure) {
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allocate()
	if q.DB != "system" {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeSyntax, Message: "administration commands run on the system database"}
	}
	if c.leader == "" {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeUnavailable, Message: "the system database is not available: the cluster has not formed"}
	}
	switch q.Text {
	case "SHOW SERVERS YIELD *":
		return c.showServers(), nil
	case "SHOW DATABASES YIELD *":
		return c.showDatabases(), nil
	}
	if h.name != c.leader {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeNotALeader, Message: "No write operations are allowed on this database. This is a read only Neo4j instance."}
	}
	var fail *bolt.Failure
	switch {
	case reEnable.MatchString(q.Text):
		fail = c.enable(unquote(reEnable.FindStringSubmatch(q.Text)[1]), q.Params["mode"])
	case q.Text == "CALL dbms.cluster.cordonServer($server)":
		fail = c.transition(fmt.Sprint(q.Params["server"]), "Enabled", "Cordoned")
	case reDeallocate.MatchString(q.Text):
		fail = c.deallocate(unquote(reDeallocate.FindStringSubmatch(q.Text)[1]))
	case reDrop.MatchString(q.Text):
		fail = c.drop(unquote(reDrop.FindStringSubmatch(q.Text)[1]))
	case q.Text == "REALLOCATE DATABASES":
	case q.Text == "ALTER DATABASE $db SET TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES":
		fail = c.setTopology(q.Params)
	default:
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeSyntax, Message: "the fake cluster does not know this query"}
	}
	if fail == nil {
		c.txn++
		c.allocate()
	}
	return bolt.Result{}, fail
}

func unquote(s string) string {
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(s)
}

// find is a server by name or ID.
func (c *Cluster) find(key string) *server {
	for _, s := range c.servers {
		if s.name == key || s.id == key {
			return s
		}
	}
	return nil
}

func (c *Cluster) enable(id string, mode any) *bolt.Failure {
	s := c.find(id)
	if s == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.ServerNotFound", Message: "server " + id + " not found"}
	}
	if s.state != "Free" && s.state != "Enabled" && s.state != "Cordoned" {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: "cannot enable a server that is " + s.state}
	}
	s.state = "Enabled"
	if m, ok := mode.(string); ok {
		s.mode = m
	}
	c.form()
	return nil
}

func (c *Cluster) transition(key, from, to string) *bolt.Failure {
	s := c.find(key)
	if s == nil || s.state != from {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: fmt.Sprintf("server %s is not %s", key, from)}
	}
	s.state = to
	return nil
}

// deallocate refuses to leave a database with fewer hosts of a role than
// its topology (Operations Manual: "fails with an error and no changes
// are made").
func (c *Cluster) deallocate(key string) *bolt.Failure {
	s := c.find(key)
	if s == nil || (s.state != "Enabled" && s.state != "Cordoned") {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: "server " + key + " cannot be deallocated"}
	}
	for _, name := range c.dbNames() {
		db := c.databases[name]
		role, hosted := db.hosts[s.name]
		if name == "system" || !hosted {
			continue
		}
		spare := 0
		for _, n := range c.order {
			o := c.servers[n]
			if _, h := db.hosts[n]; !h && n != s.name && o.state == "Enabled" && o.allows(role) {
				spare++
			}
		}
		if spare == 0 {
			return &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
				Message: fmt.Sprintf("deallocating %s would leave %s with too few %s servers", s.name, name, role)}
		}
	}
	s.state = "Deallocating"
	s.deallocatedAt = c.opts.Now().Add(c.opts.Deallocation)
	return nil
}

func (c *Cluster) drop(key string) *bolt.Failure {
	s := c.find(key)
	if s == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.ServerNotFound", Message: "server " + key + " not found"}
	}
	for _, name := range c.dbNames() {
		if _, hosted := c.databases[name].hosts[s.name]; hosted && name != "system" {
			return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState",
				Message: fmt.Sprintf("server %s still hosts %s; deallocate it first", s.name, name)}
		}
	}
	if s.state != "Deallocated" && s.state != "Free" {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: "server " + key + " is " + s.state + ", not Deallocated"}
	}
	s.state = "Dropped"
	delete(c.databases["system"].hosts, s.name)
	return nil
}

func (c *Cluster) setTopology(p map[string]any) *bolt.Failure {
	name, _ := p["db"].(string)
	primaries, _ := p["primaries"].(int64)
	secondaries, _ := p["secondaries"].(int64)
	db := c.databases[name]
	if db == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Database.DatabaseNotFound", Message: "database " + name + " does not exist"}
	}
	enabled := 0
	for _, s := range c.servers {
		if s.state == "Enabled" {
			enabled++
		}
	}
	if int(primaries+secondaries) > enabled {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
			Message: fmt.Sprintf("%d primaries and %d secondaries need more than the %d enabled servers", primaries, secondaries, enabled)}
	}
	db.primaries, db.secondaries = int(primaries), int(secondaries)
	for n, role := range db.hosts { // shrink: drop the last allocations of a role
		if db.count(role, c.servers) > map[string]int{"primary": db.primaries, "secondary": db.secondaries}[role] {
			delete(db.hosts, n)
		}
	}
	return nil
}

func (c *Cluster) showServers() bolt.Result {
	keys := []string{"serverId", "name", "address", "httpAddress", "httpsAddress", "state", "health", "hosting",
		"requestedHosting", "tags", "allowedDatabases", "deniedDatabases", "modeConstraint", "version"}
	now := c.opts.Now()
	var rows [][]any
	for _, n := range c.order {
		s := c.servers[n]
		health := "Unavailable"
		if s.available(now, c.opts.CatchUp) {
			health = "Available"
		}
		var hosting []any
		for _, name := range c.dbNames() {
			if _, ok := c.databases[name].hosts[n]; ok {
				hosting = append(hosting, name)
			}
		}
		if len(hosting) == 0 && s.state != "Dropped" {
			hosting = []any{"system"}
		}
		rows = append(rows, []any{s.id, s.name, s.address, nil, nil, s.state, health, hosting, hosting,
			[]any{}, []any{}, []any{}, s.mode, "fake"})
	}
	return bolt.Result{Keys: keys, Rows: rows}
}

func (c *Cluster) showDatabases() bolt.Result {
	keys := []string{"name", "serverID", "address", "role", "writer", "requestedStatus", "currentStatus", "statusMessage",
		"currentPrimariesCount", "currentSecondariesCount", "requestedPrimariesCount", "requestedSecondariesCount",
		"lastCommittedTxn", "replicationLag"}
	now := c.opts.Now()
	var rows [][]any
	for _, name := range c.dbNames() {
		db := c.databases[name]
		hosts := slices.Sorted(maps.Keys(db.hosts))
		writer := ""
		for _, n := range c.order { // the first primary host leads
			if db.hosts[n] == "primary" {
				writer = n
				break
			}
		}
		if name == "system" {
			writer = c.leader
		}
		for _, n := range hosts {
			s := c.servers[n]
			status, lag, txn := "online", any(int64(0)), any(c.txn)
			if !s.available(now, c.opts.CatchUp) {
				status, lag, txn = "unknown", nil, nil
			}
			p, sec := int64(db.count("primary", c.servers)), int64(db.count("secondary", c.servers))
			rp, rs := int64(db.primaries), int64(db.secondaries)
			if name == "system" { // system's topology is every server, by its mode
				rp, rs = p, sec
			}
			rows = append(rows, []any{name, s.id, s.address, db.hosts[n], n == writer, "online", status, "", p, sec, rp, rs, txn, lag})
		}
	}
	return bolt.Result{Keys: keys, Rows: rows}
}

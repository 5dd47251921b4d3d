// Package cluster is a FAKE Neo4j cluster for tests: one fake Bolt server
// (internal/testing/fake/bolt) per Neo4j server on loopback, all answering from one
// shared state that follows what the Operations Manual describes. Pages
// are under modules/ROOT/pages/ of the 5.x branch: clustering/servers.adoc
// (servers), clustering/databases.adoc (databases),
// clustering/server-syntax.adoc, clustering/monitoring/
// show-servers-monitoring.adoc, database-administration/
// standard-databases/{create,listing}-databases.adoc.
//
//   - a server appears in SHOW SERVERS, Free, once its pod is Ready, and is
//     enabled at once when automatic enabling is on (servers:102,
//     initial.dbms.automatically_enable_free_servers);
//   - it turns Available a configurable catch-up delay after that, and can
//     be made Unavailable (a network problem) and back; its copies of
//     databases then report currentStatus "unknown"
//     (listing-databases:303-304);
//   - a pod that goes away (RemovePod, or FollowPods no longer listing it)
//     leaves its server Unavailable; a Dropped server whose pod is gone
//     disappears from SHOW SERVERS and from system (servers:173-174: "When
//     the Neo4j process is stopped, the server finally disappears"); a pod
//     that comes back under the same name is the same server (same ID,
//     same state: the data volume is kept);
//   - enabled servers receive allocations until each database has its
//     topology (databases:73,121); a new copy reports "store copying"
//     (listing-databases:245-246) until the catch-up delay has passed
//     since its allocation, then "online"; the copies made when the
//     cluster forms come online with their server; the system database's
//     primaries are the primary servers;
//   - CREATE DATABASE … IF NOT EXISTS TOPOLOGY and ALTER DATABASE … SET
//     TOPOLOGY are refused when the enabled servers cannot hold the
//     topology, one copy a server, each role on servers whose mode
//     constraint allows it (databases:65-68); CREATE does nothing when the
//     database exists (create-databases:194); a smaller topology removes
//     the copies on cordoned servers first (databases:139);
//   - CREATE DATABASE … OPTIONS {existingData: 'use', seedURI: '…'[,
//     seedConfig: '…']} creates the database like the plain command and
//     records its seed (Seeds); the fake reads no seed (the real server
//     downloads it when the database starts: seed-from-uri.adoc);
//   - DEALLOCATE is refused when a database the server hosts would have no
//     other home (servers:418: "fails with an error and no changes are
//     made") or has one primary, hosted there (servers:436-439); otherwise
//     the server is Deallocating and keeps serving its copies until their
//     replacements are online and a configurable time has passed
//     (servers:463: "foo must be successfully copied and started on a new
//     server before it is stopped"; show-servers-monitoring:35-36), then
//     Deallocated with only system left (servers:160); DROP SERVER is
//     refused until then (server-syntax:159, servers:449);
//   - the system leader is the first primary server to appear; when its
//     server is dropped or its pod removed, leadership moves to the first
//     Available primary server (in order of appearance) still in the
//     cluster, if any; every command but the SHOWs is refused with
//     NotALeader on any other server;
//   - every command a server receives (every query but the SHOWs) is
//     logged, refused ones too (Commands, Options.OnCommand);
//   - test knobs hold deallocations for ever (SetDeallocationBlocked) or
//     refuse DROP SERVER (SetDropRefused);
//   - with Options.TLS, Bolt is served over TLS only (server.bolt.tls_level
//     REQUIRED); each server presents the certificate it read when its
//     process started or at its last CALL dbms.security.reloadTLS(), which
//     any server accepts for itself, leader or not (Operations Manual,
//     branch dev, SSL framework, "Certificates rotation": run it on each
//     member); SetMountedCertificate is the kubelet writing the volume;
//   - the HTTPS, cluster and backup channels get a TLS listener each, with
//     certificates of their own, reloaded by the same call (channels.go).
//   - the system database holds users, roles and privileges, with the
//     manual's rules and login lockout (security.go);
//   - each server runs the cluster channel's SSL policy or not, as its pod
//     mounts the channel's certificates; servers of both kinds running at
//     once are a violation (referee.go, RuleMixedPolicy), since the
//     policy "must be configured on every server with the same settings"
//     (clustering/setup/encryption.adoc).
//
// It models no Raft (no elections, terms or quorums: leadership moves only
// as above, and not when the leader is merely cut off), no stores or
// transactions, no offline databases, no server options but the mode
// constraint, no DRYRUN, no rebalancing (REALLOCATE is accepted and
// changes nothing), and no rejoin rule: a Dropped server whose pod comes
// back is listed again, Dropped, without system (servers:175: "Once
// dropped, a server cannot rejoin a cluster").
package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// Options of a fake cluster.
type Options struct {
	Password string
	// CatchUp is how long a server takes to become Available once its pod
	// is Ready, and a new copy of a database to come online once allocated.
	CatchUp time.Duration
	// Deallocation is the least time DEALLOCATE DATABASES takes.
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
	// OnCommand, when set, is called after each command is accepted or
	// refused, outside the cluster's lock.
	OnCommand func(Command)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// TLS makes every server serve Bolt over TLS only (server.bolt.tls_level
	// REQUIRED), with the certificate it loaded: the mounted one when it
	// started, or when it last reloaded (SetMountedCertificate, ReloadTLS).
	TLS bool
	// Neo4jCreated, when set, is the creation time neo4j and system
	// report: data older than the cluster object (kept volumes).
	Neo4jCreated time.Time
	// NullFreeAddress makes SHOW SERVERS report a Free server's address
	// as NULL, which the manual allows ("May be null").
	NullFreeAddress bool
	// Release is the Neo4j release the servers run, for the commands whose
	// name changed ("5.26", "2025.10"); CalVer 2025.04 or later when
	// empty.
	Release string
}

// recreateNewName: dbms.recreateDatabase exists from 2025.04 on; before,
// only dbms.cluster.recreateDatabase.
func (o Options) recreateNewName() bool {
	var major, minor int
	if _, err := fmt.Sscanf(o.Release, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 2025 || (major == 2025 && minor >= 4)
}

// Cluster is the shared state.
type Cluster struct {
	opts      Options
	mu        sync.Mutex
	servers   map[string]*server // by name
	order     []string           // names, in order of appearance
	databases map[string]*database
	formed    bool
	leader    string // the system leader; "" while no server can lead
	txn       int64
	commands  []Command
	seeds     map[string]Seed
	recreated map[string][]string
	// Test knobs.
	deallocBlocked bool
	dropRefused    *bolt.Failure
	silent         bool // every query fails as Unavailable (SetAnswering)
	// mounted is the Bolt certificate as the kubelet last wrote it into
	// the pods' TLS volume.
	mounted *tls.Certificate
	// channelMounts are the other channels' certificates (channels.go).
	channelMounts map[string]*tls.Certificate
	// The referee (referee.go): violations seen, and each pod's revision.
	violations []Violation
	revisions  map[string]string
	// policies are the cluster SSL policy each pod's server runs with
	// (SetClusterPolicy); mixed is the last RuleMixedPolicy breach seen.
	policies map[string]clusterPolicy
	mixed    string
	// users and roles (security.go): roles hold their privileges as
	// SHOW ROLE … PRIVILEGES AS COMMANDS lists them; lockouts counts
	// logins refused for too many failures.
	users    map[string]*fakeUser
	roles    map[string][]string
	lockouts int
	// composites are composite databases: hosted on every server.
	composites []string
	sharded    map[string]int // sharded databases: property shards each (shapes.go)
	readOnly   map[string]bool
}

type server struct {
	id, name, address string
	secondary         bool // system database mode SECONDARY (a secondary pod)
	state, mode       string
	// allowed and denied databases (ENABLE SERVER options; SetOptions).
	allowed, denied []string
	readySince      time.Time
	ready, cut      bool
	gone            bool      // its pod was removed and has not come back
	deallocDue      time.Time // a deallocation finishes no earlier
	bolt            *bolt.Server
	// loaded is the certificate the server read, at start or reload;
	// reloads counts dbms.security.reloadTLS() calls.
	loaded  *tls.Certificate
	reloads int
	// channels are its HTTPS, cluster and backup listeners (channels.go).
	channels map[string]*channelServer
}

type database struct {
	name                   string
	primaries, secondaries int
	hosts                  map[string]*allocation // by server name
	created                time.Time              // SHOW DATABASES creationTime
	// lowered are servers that lost their copy to a lowered topology
	// while not cordoned (the referee's RuleCopiedBack).
	lowered map[string]bool
}

// allocation is a database's copy on a server.
type allocation struct {
	role  string    // primary or secondary
	since time.Time // allocated at: its store copy starts then
	// replacement: allocated while a deallocating server still held a
	// copy; it does not catch up while deallocations are blocked.
	replacement bool
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
	c := &Cluster{opts: o, servers: map[string]*server{}, databases: map[string]*database{}}
	c.initSecurity()
	return c
}

// SetPod tells the cluster about a server's pod: its name, the Bolt address
// it advertises, whether it is a secondary, and whether it is Ready. A
// server is discovered the first time its pod is Ready; a pod that comes
// back after RemovePod is the same server.
func (c *Cluster) SetPod(name, address string, secondary, ready bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.servers[name]
	if !ok {
		if !ready {
			return nil
		}
		s = &server{id: fmt.Sprintf("%08x-0000-4000-8000-%012x", len(c.order)+1, len(c.order)+1), name: name,
			address: address, secondary: secondary, state: "Free", mode: "NONE", loaded: c.mounted}
		var certificate func() (*tls.Certificate, error)
		if c.opts.TLS {
			certificate = func() (*tls.Certificate, error) { return c.presented(name) }
		}
		srv, err := bolt.StartTLS(reloading{&handler{c: c, name: name}}, certificate)
		if err != nil {
			return err
		}
		s.bolt = srv
		if err := c.startChannels(s); err != nil {
			return err
		}
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
	if s.gone { // the process starts again: it reads its files
		s.loaded = c.mounted
		c.loadChannels(s)
	}
	s.ready, s.gone = ready, false
	c.settle()
	return nil
}

// RemovePod tells the cluster a server's pod is gone: the server is
// Unavailable until its pod is back, and a Dropped one disappears.
func (c *Cluster) RemovePod(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		s.ready, s.gone = false, true
		c.settle()
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
		if a := s.resolveChannel(hostport); a != "" {
			return a
		}
	}
	return hostport
}

// Close stops every listener.
func (c *Cluster) Close() {
	c.mu.Lock()
	var listeners []*bolt.Server
	for _, s := range c.servers {
		listeners = append(listeners, s.bolt)
	}
	channels := c.channelListeners()
	c.mu.Unlock()
	for _, l := range listeners { // unlocked: a query in flight may wait for the lock
		l.Close()
	}
	for _, l := range channels {
		l.close()
	}
}

func (s *server) available(now time.Time, catchUp time.Duration) bool {
	return s.ready && !s.cut && !now.Before(s.readySince.Add(catchUp))
}

// hidden: a dropped server whose process stopped is no longer seen.
func (s *server) hidden() bool { return s.gone && s.state == "Dropped" }

func (s *server) allows(role string) bool {
	return s.mode == "NONE" || strings.EqualFold(s.mode, role)
}

// mayHost: the server's allowed and denied databases let it host db
// (servers.adoc: an empty allowed list allows every database).
func (s *server) mayHost(db string) bool {
	return !slices.Contains(s.denied, db) && (len(s.allowed) == 0 || slices.Contains(s.allowed, db))
}

// settle brings the state up to the clock: the cluster forms, due
// deallocations finish, system is on every server, the system leader is
// chosen and the user databases are topped up to their topologies.
func (c *Cluster) settle() {
	c.refereePolicies()
	forming := c.form()
	if !c.formed {
		return
	}
	now := c.opts.Now()
	c.finishDeallocations(now)
	sys := c.databases["system"]
	for _, n := range c.order {
		if s := c.servers[n]; sys.hosts[n] == nil && s.state != "Dropped" {
			sys.hosts[n] = &allocation{role: map[bool]string{false: "primary", true: "secondary"}[s.secondary]}
		}
	}
	c.elect(now)
	c.allocate(now)
	if forming { // the copies made at formation start with their server
		for n, a := range c.databases["neo4j"].hosts {
			a.since = c.servers[n].readySince
		}
	}
}

// form creates the system database once InitialPrimaries primary servers
// are there, enabling them, and the neo4j database with the default
// topology; the first of them leads system. It says whether it did.
func (c *Cluster) form() bool {
	if c.formed {
		return false
	}
	var founders []*server
	for _, n := range c.order {
		if s := c.servers[n]; !s.secondary && s.ready && len(founders) < c.opts.InitialPrimaries {
			founders = append(founders, s)
		}
	}
	if len(founders) < c.opts.InitialPrimaries {
		return false
	}
	for _, s := range founders {
		s.state = "Enabled"
	}
	c.formed, c.leader = true, founders[0].name
	created := c.opts.Now()
	if !c.opts.Neo4jCreated.IsZero() {
		created = c.opts.Neo4jCreated
	}
	c.databases["system"] = &database{name: "system", hosts: map[string]*allocation{}, created: created}
	c.databases["neo4j"] = &database{name: "neo4j", primaries: c.opts.DefaultPrimaries,
		secondaries: c.opts.DefaultSecondaries, hosts: map[string]*allocation{}, created: created}
	return true
}

// elect keeps the system leader while its server is in the cluster (not
// dropped, pod not gone); otherwise the first Available primary server
// still in the cluster leads, or none.
func (c *Cluster) elect(now time.Time) {
	if l := c.servers[c.leader]; l != nil && !l.gone && l.state != "Dropped" {
		return
	}
	c.leader = ""
	for _, n := range c.order {
		if s := c.servers[n]; !s.secondary && s.state != "Dropped" && s.available(now, c.opts.CatchUp) {
			c.leader = n
			return
		}
	}
}

// finishDeallocations turns Deallocating servers Deallocated once the
// Deallocation time has passed and every database they host has its
// topology's copies online on other servers (servers:463); their
// user databases' copies go then (servers:160).
func (c *Cluster) finishDeallocations(now time.Time) {
	for _, n := range c.order {
		s := c.servers[n]
		if s.state != "Deallocating" || c.deallocBlocked || now.Before(s.deallocDue) {
			continue
		}
		moved := true
		for _, db := range c.databases {
			if a := db.hosts[n]; a != nil && db.name != "system" && c.onlineElsewhere(db, a.role, now) < db.want(a.role) {
				moved = false
			}
		}
		if !moved {
			continue
		}
		s.state = "Deallocated"
		for _, db := range c.databases {
			if db.name != "system" && db.hosts[n] != nil {
				delete(db.hosts, n)
				for _, a := range db.hosts {
					a.replacement = false
				}
			}
		}
	}
}

// onlineElsewhere counts a role's online copies on servers that are not
// deallocating.
func (c *Cluster) onlineElsewhere(db *database, role string, now time.Time) int {
	k := 0
	for n, a := range db.hosts {
		if a.role == role && c.servers[n].state != "Deallocating" && c.status(db, n, now) == "online" {
			k++
		}
	}
	return k
}

// allocate tops each user database up to its topology on enabled servers
// that allow the role, in order of appearance.
func (c *Cluster) allocate(now time.Time) {
	for _, name := range c.dbNames() {
		db := c.databases[name]
		if name == "system" {
			continue
		}
		replacing := false
		for n := range db.hosts {
			replacing = replacing || c.servers[n].state == "Deallocating"
		}
		for _, role := range []string{"primary", "secondary"} {
			for _, n := range c.order {
				if db.count(role, c.servers) >= db.want(role) {
					break
				}
				s := c.servers[n]
				if db.hosts[n] != nil || s.state != "Enabled" || !s.allows(role) || !s.mayHost(name) {
					continue
				}
				if db.lowered[n] && replacing {
					c.violate(RuleCopiedBack, "clustering/servers.adoc",
						"%s lost its copy of %s to a lowered topology and a deallocation copied it back", n, name)
				}
				delete(db.lowered, n)
				db.hosts[n] = &allocation{role: role, since: now, replacement: replacing}
			}
		}
	}
}

// status is a copy's currentStatus: "unknown" while its server is not
// Available (listing-databases:303-304), "store copying" until
// CatchUp has passed since its allocation (or while a blocked deallocation
// holds the copy it replaces), then "online".
func (c *Cluster) status(db *database, n string, now time.Time) string {
	a := db.hosts[n]
	switch {
	case !c.servers[n].available(now, c.opts.CatchUp):
		return "unknown"
	case now.Before(a.since.Add(c.opts.CatchUp)), a.replacement && c.deallocBlocked:
		return "store copying"
	}
	return "online"
}

func (d *database) want(role string) int {
	if role == "primary" {
		return d.primaries
	}
	return d.secondaries
}

// count is the allocations of a role, deallocating servers' excluded.
func (d *database) count(role string, servers map[string]*server) int {
	n := 0
	for name, a := range d.hosts {
		if a.role == role && servers[name].state != "Deallocating" {
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

// SetMountedCertificate is the kubelet writing a new Bolt certificate into
// every pod's TLS volume: servers that start from now on, or reload, serve
// it; running ones keep the one they loaded.
func (c *Cluster) SetMountedCertificate(certPEM, keyPEM []byte) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mounted = &pair
	return nil
}

// Reloads is how many times a server was told to reload its certificates.
func (c *Cluster) Reloads(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		return s.reloads
	}
	return 0
}

// Presented is the SHA-256 of the leaf certificate a server presents
// ("" for none).
func (c *Cluster) Presented(name string) string {
	cert, err := c.presented(name)
	if err != nil || cert == nil || len(cert.Certificate) == 0 {
		return ""
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return ""
	}
	return neo4j.Fingerprint(leaf)
}

func (c *Cluster) presented(name string) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.servers[name]
	if s == nil || s.loaded == nil {
		return nil, fmt.Errorf("fake server %s has no certificate loaded", name)
	}
	return s.loaded, nil
}

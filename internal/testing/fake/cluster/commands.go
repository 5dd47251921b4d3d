package cluster

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// Command is a query other than a SHOW that a server received.
type Command struct {
	Server string // name of the server it was sent to
	Text   string
	Params map[string]any
	Code   string // the failure's code; "" when accepted
}

// Commands are the commands received so far, in order.
func (c *Cluster) Commands() []Command {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.commands)
}

// CountCommands counts the accepted commands whose text starts with
// prefix.
func (c *Cluster) CountCommands(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.commands {
		if x.Code == "" && strings.HasPrefix(x.Text, prefix) {
			n++
		}
	}
	return n
}

// handler answers for one server.
type handler struct {
	c    *Cluster
	name string
}

var (
	// The manual's literal form only (server-syntax.adoc, servers.adoc):
	// options are a literal map; a parameter there is undocumented.
	reEnable     = regexp.MustCompile(`^ENABLE SERVER '((?:[^'\\]|\\.)*)'(?: OPTIONS \{modeConstraint: '(PRIMARY|SECONDARY|NONE)'\})?$`)
	reDeallocate = regexp.MustCompile(`^(DRYRUN )?DEALLOCATE DATABASES FROM SERVER '((?:[^'\\]|\\.)*)'$`)
	reDrop       = regexp.MustCompile(`^DROP SERVER '((?:[^'\\]|\\.)*)'$`)
	reSeeded     = regexp.MustCompile(`^CREATE DATABASE \$db IF NOT EXISTS TOPOLOGY \$primaries PRIMARIES \$secondaries SECONDARIES OPTIONS \{existingData: 'use', seedURI: '((?:[^'\\]|\\.)*)'(?:, seedConfig: '((?:[^'\\]|\\.)*)')?\}$`)
)

// Run answers, logs the command, and calls OnCommand unlocked.
func (h *handler) Run(q bolt.Query) (bolt.Result, *bolt.Failure) {
	c := h.c
	c.mu.Lock()
	res, fail := c.answer(h.name, q)
	logged := !strings.HasPrefix(q.Text, "SHOW ")
	cmd := Command{Server: h.name, Text: q.Text, Params: maps.Clone(q.Params)}
	if fail != nil {
		cmd.Code = fail.Code
	}
	if logged {
		c.commands = append(c.commands, cmd)
	}
	c.mu.Unlock()
	if logged && c.opts.OnCommand != nil {
		cmd.Params = maps.Clone(cmd.Params)
		c.opts.OnCommand(cmd)
	}
	return res, fail
}

func (c *Cluster) answer(server string, q bolt.Query) (bolt.Result, *bolt.Failure) {
	if c.silent {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeUnavailable, Message: "the fake cluster does not answer (SetAnswering)"}
	}
	c.settle()
	if q.DB != "system" {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeSyntax, Message: "administration commands run on the system database"}
	}
	if !c.formed {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeUnavailable, Message: "the system database is not available: the cluster has not formed"}
	}
	switch q.Text {
	case "SHOW SERVERS YIELD *":
		return c.showServers(), nil
	case "SHOW DATABASES YIELD *":
		return c.showDatabases(), nil
	case "CALL dbms.security.reloadTLS()":
		// Each server reloads its own files, leader or not.
		if s := c.servers[server]; s != nil { // a volume forgotten under an open connection: nothing to reload
			s.loaded = c.mounted
			s.reloads++
		}
		return bolt.Result{}, nil
	}
	if res, fail, ok := c.answerMonitoring(server, q); ok {
		return res, fail
	}
	if res, fail, ok := c.answerSecurity(q, server == c.leader); ok {
		return res, fail
	}
	c.refereeCommand(q.Text)
	if server != c.leader {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeNotALeader, Message: "No write operations are allowed on this database. This is a read only Neo4j instance."}
	}
	var fail *bolt.Failure
	switch {
	case reEnable.MatchString(q.Text):
		m := reEnable.FindStringSubmatch(q.Text)
		fail = c.enable(unquote(m[1]), m[2])
	case q.Text == "CALL dbms.cluster.cordonServer($server)":
		fail = c.transition(fmt.Sprint(q.Params["server"]), "Enabled", "Cordoned")
	case reDeallocate.MatchString(q.Text):
		m := reDeallocate.FindStringSubmatch(q.Text)
		if m[1] != "" {
			return c.dryRunDeallocate(unquote(m[2]))
		}
		fail = c.deallocate(unquote(m[2]))
	case reDrop.MatchString(q.Text):
		fail = c.drop(unquote(reDrop.FindStringSubmatch(q.Text)[1]))
	case q.Text == "REALLOCATE DATABASES":
	case q.Text == "ALTER DATABASE $db SET TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES":
		fail = c.setTopology(q.Params)
	case q.Text == "CREATE DATABASE $db IF NOT EXISTS TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES":
		fail = c.createDatabase(q.Params)
	case q.Text == "CALL dbms.cluster.recreateDatabase($db, $options)" || q.Text == "CALL dbms.recreateDatabase($db, $options)":
		fail = c.recreate(q.Text, q.Params)
	case reSeeded.MatchString(q.Text):
		m := reSeeded.FindStringSubmatch(q.Text)
		fail = c.createSeeded(q.Params, unquote(m[1]), unquote(m[2]))
	default:
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeSyntax, Message: "the fake cluster does not know this query"}
	}
	if fail == nil {
		c.txn++
		c.settle()
	}
	return bolt.Result{}, fail
}

func unquote(s string) string {
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(s)
}

// find is a server by name or ID.
func (c *Cluster) find(key string) *server {
	for _, s := range c.servers {
		if (s.name == key || s.id == key) && !s.hidden() {
			return s
		}
	}
	return nil
}

// enable enables a Free server, with its options when given, or a
// Cordoned one again (servers.adoc). Options on a cordoned server replace
// its own: the referee records it.
func (c *Cluster) enable(id string, mode string) *bolt.Failure {
	s := c.find(id)
	if s == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.ServerNotFound", Message: "server " + id + " not found"}
	}
	if s.state != "Free" && s.state != "Enabled" && s.state != "Cordoned" {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: "cannot enable a server that is " + s.state}
	}
	if s.state == "Cordoned" && mode != "" {
		c.violate(RuleOptionsReset, "clustering/servers.adoc", "ENABLE SERVER '%s' OPTIONS {modeConstraint: '%s'} on a cordoned server", s.id, mode)
	}
	s.state = "Enabled"
	if mode != "" {
		s.mode = mode
	}
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

// deallocate refuses to leave a database without another home for a copy
// (servers:418: "fails with an error and no changes are made") and
// to move a database's only primary (servers:436-439: "Deallocation
// is currently prevented ... If the server is hosting a database with an
// allocation of one primary").
//
// A quorum of a database's primary hosts cordoned refuses it too
// (servers.adoc: "If a quorum of servers, hosting the database in primary
// mode, are cordoned").
func (c *Cluster) deallocate(key string) *bolt.Failure {
	s, fail := c.deallocatable(key)
	if fail != nil {
		return fail
	}
	s.state = "Deallocating"
	s.deallocDue = c.opts.Now().Add(c.opts.Deallocation)
	return nil
}

// dryRunDeallocate answers DRYRUN DEALLOCATE: the refusal DEALLOCATE
// would give, or a row per copy that would move (server-syntax.adoc:
// database, fromServerName, fromServerId, toServerName, toServerId,
// mode), changing nothing.
func (c *Cluster) dryRunDeallocate(key string) (bolt.Result, *bolt.Failure) {
	s, fail := c.deallocatable(key)
	if fail != nil {
		return bolt.Result{}, fail
	}
	res := bolt.Result{Keys: []string{"database", "fromServerName", "fromServerId", "toServerName", "toServerId", "mode"}}
	for _, name := range c.dbNames() {
		if a := c.databases[name].hosts[s.name]; a != nil && name != "system" {
			to := c.spare(c.databases[name], s, a.role)
			res.Rows = append(res.Rows, []any{name, s.name, s.id, to.name, to.id, a.role})
		}
	}
	return res, nil
}

// spare is the first enabled server that could take a database's copy
// in a role from s (nil: none).
func (c *Cluster) spare(db *database, s *server, role string) *server {
	for _, n := range c.order {
		if o := c.servers[n]; db.hosts[n] == nil && n != s.name && o.state == "Enabled" && o.allows(role) && o.mayHost(db.name) {
			return o
		}
	}
	return nil
}

// deallocatable is the server to deallocate, or Neo4j's refusal.
func (c *Cluster) deallocatable(key string) (*server, *bolt.Failure) {
	s := c.find(key)
	if s == nil || (s.state != "Enabled" && s.state != "Cordoned") {
		return nil, &bolt.Failure{Code: "Neo.ClientError.Cluster.InvalidServerState", Message: "server " + key + " cannot be deallocated"}
	}
	for _, name := range c.dbNames() {
		db := c.databases[name]
		a := db.hosts[s.name]
		if name == "system" || a == nil {
			continue
		}
		if a.role == "primary" && db.primaries == 1 {
			return nil, &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
				Message: fmt.Sprintf("cannot deallocate %s: it hosts the only primary of %s", s.name, name)}
		}
		if c.cordonedPrimaries(db) >= db.primaries/2+1 {
			return nil, &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
				Message: fmt.Sprintf("cannot deallocate %s: a quorum of the servers hosting %s as primary are cordoned", s.name, name)}
		}
		if c.spare(db, s, a.role) == nil {
			return nil, &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
				Message: fmt.Sprintf("deallocating %s would leave %s with too few %s servers", s.name, name, a.role)}
		}
	}
	return s, nil
}

func (c *Cluster) cordonedPrimaries(db *database) int {
	k := 0
	for n, a := range db.hosts {
		if a.role == "primary" && c.servers[n].state == "Cordoned" {
			k++
		}
	}
	return k
}

// drop removes a deallocated (or free) server that hosts only system
// (server-syntax:159).
func (c *Cluster) drop(key string) *bolt.Failure {
	if c.dropRefused != nil {
		f := *c.dropRefused
		return &f
	}
	s := c.find(key)
	if s == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.ServerNotFound", Message: "server " + key + " not found"}
	}
	for _, name := range c.dbNames() {
		if c.databases[name].hosts[s.name] != nil && name != "system" {
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

func topology(p map[string]any) (name string, primaries, secondaries int) {
	name, _ = p["db"].(string)
	pr, _ := p["primaries"].(int64)
	se, _ := p["secondaries"].(int64)
	return name, int(pr), int(se)
}

// Topology limits: "The maximum number of primaries you can have is 11
// ... The maximum number of secondaries you can have is 20"
// (clustering/introduction.adoc, 5.x and dev). The manual documents no
// error code for them, nor for any refusal here: the codes are the
// fake's, chosen in Neo4j's naming.
const maxPrimaries, maxSecondaries = 11, 20

// fits refuses a topology the enabled servers cannot hold, one copy a
// server, each role on servers that allow it and allow the database
// (databases:65-68, servers.adoc), and one past the limits.
func (c *Cluster) fits(db string, primaries, secondaries int) *bolt.Failure {
	if primaries > maxPrimaries || secondaries > maxSecondaries {
		return &bolt.Failure{Code: "Neo.ClientError.Statement.ArgumentError",
			Message: fmt.Sprintf("a database has at most %d primaries and %d secondaries; %d and %d asked", maxPrimaries, maxSecondaries, primaries, secondaries)}
	}
	enabled, p, s := 0, 0, 0
	for _, n := range c.order {
		if sv := c.servers[n]; sv.state == "Enabled" && sv.mayHost(db) {
			enabled++
			if sv.allows("primary") {
				p++
			}
			if sv.allows("secondary") {
				s++
			}
		}
	}
	if primaries > p || secondaries > s || primaries+secondaries > enabled {
		return &bolt.Failure{Code: "Neo.ClientError.Cluster.NotEnoughServers",
			Message: fmt.Sprintf("%d primaries and %d secondaries do not fit on the %d enabled servers (%d allow primaries, %d secondaries)",
				primaries, secondaries, enabled, p, s)}
	}
	return nil
}

// createDatabase creates a database unless it exists
// (create-databases:194: "nothing happens if the database already
// exists"); allocate then hosts it.
func (c *Cluster) createDatabase(p map[string]any) *bolt.Failure {
	name, primaries, secondaries := topology(p)
	if name == "" || primaries < 1 || secondaries < 0 {
		return &bolt.Failure{Code: "Neo.ClientError.Statement.ArgumentError", Message: "$db, $primaries and $secondaries are required"}
	}
	if c.databases[name] != nil {
		return nil
	}
	if f := c.fits(name, primaries, secondaries); f != nil {
		return f
	}
	c.databases[name] = &database{name: name, primaries: primaries, secondaries: secondaries, hosts: map[string]*allocation{}, created: c.opts.Now()}
	return nil
}

// setTopology changes a database's topology; a smaller one removes the
// copies on cordoned servers first (databases:139), then the last
// servers' ones.
func (c *Cluster) setTopology(p map[string]any) *bolt.Failure {
	name, primaries, secondaries := topology(p)
	db := c.databases[name]
	if db == nil {
		return &bolt.Failure{Code: "Neo.ClientError.Database.DatabaseNotFound", Message: "database " + name + " does not exist"}
	}
	if f := c.fits(name, primaries, secondaries); f != nil {
		return f
	}
	db.primaries, db.secondaries = primaries, secondaries
	for _, cordoned := range []bool{true, false} {
		for _, n := range c.order {
			s, a := c.servers[n], db.hosts[n]
			if a != nil && (s.state == "Cordoned") == cordoned && s.state != "Deallocating" && db.count(a.role, c.servers) > db.want(a.role) {
				delete(db.hosts, n)
				if !cordoned {
					db.lower(n)
				}
			}
		}
	}
	return nil
}

// lower records a copy a lowered topology removed from a server that
// was not cordoned.
func (db *database) lower(server string) {
	if db.lowered == nil {
		db.lowered = map[string]bool{}
	}
	db.lowered[server] = true
}

// Seed is the seed a database was created from.
type Seed struct{ URI, Config string }

// createSeeded creates a database from a seed and records the seed; an
// existing database keeps its data and its first seed.
func (c *Cluster) createSeeded(p map[string]any, uri, config string) *bolt.Failure {
	name, _, _ := topology(p)
	exists := c.databases[name] != nil
	if f := c.createDatabase(p); f != nil || exists {
		return f
	}
	if c.seeds == nil {
		c.seeds = map[string]Seed{}
	}
	c.seeds[name] = Seed{URI: uri, Config: config}
	return nil
}

// Seeds are the seeds databases were created from, by database.
func (c *Cluster) Seeds() map[string]Seed {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]Seed{}
	for k, v := range c.seeds {
		out[k] = v
	}
	return out
}

// recreate replaces a database's stores with a seed
// (recreate-database.adoc): the database must exist, system cannot be
// recreated, and each release knows one name of the procedure (5.26
// dbms.cluster.recreateDatabase; 2025.04 on, dbms.recreateDatabase; the
// fake's Options.Version decides, CalVer 2025.04+ when unset). The
// topology given replaces the database's. It is recorded (Recreated).
func (c *Cluster) recreate(text string, p map[string]any) *bolt.Failure {
	newName := text == "CALL dbms.recreateDatabase($db, $options)"
	if newName != c.opts.recreateNewName() {
		return &bolt.Failure{Code: "Neo.ClientError.Procedure.ProcedureNotFound", Message: "There is no procedure with the name used on this release"}
	}
	name, _ := p["db"].(string)
	opts, _ := p["options"].(map[string]any)
	uri, _ := opts["seedURI"].(string)
	db := c.databases[name]
	switch {
	case name == "system":
		return &bolt.Failure{Code: "Neo.ClientError.Procedure.ProcedureCallFailed", Message: "the system database cannot be recreated"}
	case db == nil:
		return &bolt.Failure{Code: "Neo.ClientError.Database.DatabaseNotFound", Message: "database " + name + " does not exist"}
	case uri == "":
		return &bolt.Failure{Code: "Neo.ClientError.Procedure.ProcedureCallFailed", Message: "seedURI is required without seeding servers"}
	}
	if pr, ok := opts["primaries"].(int64); ok {
		se, _ := opts["secondaries"].(int64)
		if f := c.fits(name, int(pr), int(se)); f != nil {
			return f
		}
		db.primaries, db.secondaries = int(pr), int(se)
	}
	if c.recreated == nil {
		c.recreated = map[string][]string{}
	}
	c.recreated[name] = append(c.recreated[name], uri)
	return nil
}

// Recreated are the seeds each database was recreated from, in order.
func (c *Cluster) Recreated() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for k, v := range c.recreated {
		out[k] = append([]string(nil), v...)
	}
	return out
}

package cluster

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// ServerView is a server as SHOW SERVERS reports it.
type ServerView struct {
	Name, ID, State, Health string
	Hosting                 []string
}

// DatabaseView is a database's requested topology and its copies online.
type DatabaseView struct {
	Name string
	// Primaries and Secondaries are requested (system: its servers).
	Primaries, Secondaries int
	Online                 map[string]string // server name → role
}

// Servers are the servers SHOW SERVERS lists, in order of appearance.
func (c *Cluster) Servers() []ServerView {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	now := c.opts.Now()
	out := []ServerView{}
	for _, n := range c.order {
		if s := c.servers[n]; !s.hidden() {
			out = append(out, ServerView{Name: n, ID: s.id, State: s.state, Health: c.health(s, now), Hosting: c.hosting(n)})
		}
	}
	return out
}

// Databases are the databases, by name.
func (c *Cluster) Databases() []DatabaseView {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	now := c.opts.Now()
	out := []DatabaseView{}
	for _, name := range c.dbNames() {
		db := c.databases[name]
		p, s := c.requested(db)
		v := DatabaseView{Name: name, Primaries: p, Secondaries: s, Online: map[string]string{}}
		for n, a := range db.hosts {
			if c.status(db, n, now) == "online" {
				v.Online[n] = a.role
			}
		}
		out = append(out, v)
	}
	return out
}

// OnlinePrimaries counts a database's primary copies online now.
func (c *Cluster) OnlinePrimaries(db string) int {
	k := 0
	for _, d := range c.Databases() {
		if d.Name != db {
			continue
		}
		for _, role := range d.Online {
			if role == "primary" {
				k++
			}
		}
	}
	return k
}

func (c *Cluster) health(s *server, now time.Time) string {
	if s.available(now, c.opts.CatchUp) {
		return "Available"
	}
	return "Unavailable"
}

// hosting are the databases allocated to a server; a server that is not
// dropped hosts at least system.
func (c *Cluster) hosting(n string) []string {
	var out []string
	for _, name := range c.dbNames() {
		if c.databases[name].hosts[n] != nil {
			out = append(out, name)
		}
	}
	if len(out) == 0 && c.servers[n].state != "Dropped" {
		out = []string{"system"}
	}
	if c.servers[n].state != "Dropped" {
		// "Composite databases ... do appear in hosting for all servers"
		// (servers.adoc).
		out = append(out, c.composites...)
	}
	return out
}

// requested is a database's topology; system's is every server, by mode.
func (c *Cluster) requested(db *database) (int, int) {
	if db.name == "system" {
		return db.count("primary", c.servers), db.count("secondary", c.servers)
	}
	return db.primaries, db.secondaries
}

func (c *Cluster) showServers() bolt.Result {
	keys := []string{"serverId", "name", "address", "httpAddress", "httpsAddress", "state", "health", "hosting",
		"requestedHosting", "tags", "allowedDatabases", "deniedDatabases", "modeConstraint", "version"}
	now := c.opts.Now()
	var rows [][]any
	for _, n := range c.order {
		s := c.servers[n]
		if s.hidden() {
			continue
		}
		var hosting []any
		for _, h := range c.hosting(n) {
			hosting = append(hosting, h)
		}
		var address any = s.address
		if s.state == "Free" && c.opts.NullFreeAddress {
			address = nil // "May be null" (show-servers-monitoring.adoc)
		}
		rows = append(rows, []any{s.id, s.name, address, nil, nil, s.state, c.health(s, now), hosting, hosting,
			[]any{}, anys(s.allowed), anys(s.denied), s.mode, "fake"})
	}
	return bolt.Result{Keys: keys, Rows: rows}
}

func (c *Cluster) showDatabases() bolt.Result {
	keys := []string{"name", "type", "access", "serverID", "address", "role", "writer", "requestedStatus", "currentStatus", "statusMessage",
		"currentPrimariesCount", "currentSecondariesCount", "requestedPrimariesCount", "requestedSecondariesCount",
		"lastCommittedTxn", "replicationLag", "creationTime", "propertyShards"}
	now := c.opts.Now()
	var rows [][]any
	for _, name := range c.dbNames() {
		db := c.databases[name]
		writer := c.leader
		if name != "system" {
			writer = ""
			for _, n := range c.order { // the first primary host leads
				if a := db.hosts[n]; a != nil && a.role == "primary" {
					writer = n
					break
				}
			}
		}
		p, sec := int64(db.count("primary", c.servers)), int64(db.count("secondary", c.servers))
		rp, rs := c.requested(db)
		for _, n := range slices.Sorted(maps.Keys(db.hosts)) {
			s := c.servers[n]
			status := c.status(db, n, now)
			lag, txn := any(nil), any(nil)
			if status == "online" {
				lag, txn = int64(0), c.txn
			}
			rows = append(rows, []any{name, c.typeOf(name), c.access(name), s.id, s.address, db.hosts[n].role, n == writer, "online", status, "",
				p, sec, int64(rp), int64(rs), txn, lag, dateTime(db.created), nil})
		}
	}
	rows = append(rows, c.compositeRows(now)...)
	return bolt.Result{Keys: keys, Rows: append(rows, c.shardRows(now)...)}
}

// compositeRows: a composite database on every enabled server, read-only,
// with no role and no counts (composite-databases/list-composite-
// databases.adoc; listing-databases.adoc: counts are NULL for them).
func (c *Cluster) compositeRows(now time.Time) [][]any {
	var rows [][]any
	for _, name := range c.composites {
		for _, n := range c.order {
			if s := c.servers[n]; s.state == "Enabled" || s.state == "Cordoned" {
				status := map[bool]string{true: "online", false: "unknown"}[s.available(now, c.opts.CatchUp)]
				rows = append(rows, []any{name, "composite", "read-only", s.id, s.address, nil, false, "online", status, "",
					nil, nil, nil, nil, nil, nil, nil, nil})
			}
		}
	}
	return rows
}

func (c *Cluster) typeOf(db string) string {
	switch {
	case db == "system":
		return "system"
	case strings.HasSuffix(db, "-g000") && c.sharded[strings.TrimSuffix(db, "-g000")] > 0:
		return "graph shard"
	}
	return "standard"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func (c *Cluster) access(db string) string {
	if c.readOnly[db] {
		return "read-only"
	}
	return "read-write"
}

func anys(l []string) []any {
	out := []any{}
	for _, v := range l {
		out = append(out, v)
	}
	return out
}

// Leader is the server leading the system database ("" while none can).
func (c *Cluster) Leader() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	return c.leader
}

// dateTime is a ZONED DATETIME as Bolt 5 sends it: structure 'I'
// (seconds since the epoch in UTC, nanoseconds, offset seconds).
func dateTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return bolt.Struct{Tag: 'I', Fields: []any{t.Unix(), int64(t.Nanosecond()), int64(0)}}
}

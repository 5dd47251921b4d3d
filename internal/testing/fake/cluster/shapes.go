package cluster

import (
	"fmt"
	"time"
)

// Shapes of databases and servers the operator must read correctly, from
// listing-databases.adoc, servers.adoc and (dev) scalability/sharded-
// property-databases/listing-sharded-databases.adoc.

// SetServerOptions sets a server's allowed and denied databases, as
// ALTER SERVER or ENABLE SERVER OPTIONS would: databases are allocated
// only where allowed (servers.adoc).
func (c *Cluster) SetServerOptions(name string, allowed, denied []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		s.allowed, s.denied = allowed, denied
	}
}

// AddComposite creates a composite database: listed in every server's
// hosting and in SHOW DATABASES with type composite, never allocated.
func (c *Cluster) AddComposite(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.composites = append(c.composites, name)
}

// SetReadOnly sets a database's access (ALTER DATABASE ... SET ACCESS
// READ ONLY, alter-databases.adoc).
func (c *Cluster) SetReadOnly(db string, readOnly bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readOnly == nil {
		c.readOnly = map[string]bool{}
	}
	c.readOnly[db] = readOnly
}

// AddShardedDatabase creates a sharded property database (CalVer 2025.12
// on): its graph shard "<name>-g000", a database with the topology given,
// allocated like any other; its property shards "<name>-p<index>", one
// replica each on the first enabled server; and its virtual row, type
// standard, per graph shard copy, with no counts, no lag and the property
// shards' names ("Some columns are empty for the virtual sharded
// database").
func (c *Cluster) AddShardedDatabase(name string, primaries, secondaries, propertyShards int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := name + "-g000"
	c.databases[g] = &database{name: g, primaries: primaries, secondaries: secondaries, hosts: map[string]*allocation{}, created: c.opts.Now()}
	if c.sharded == nil {
		c.sharded = map[string]int{}
	}
	c.sharded[name] = propertyShards
	c.settle()
}

// shardRows are the SHOW DATABASES rows of the sharded databases' virtual
// databases and property shards, in showDatabases' columns.
func (c *Cluster) shardRows(now time.Time) [][]any {
	var rows [][]any
	for _, name := range sortedKeys(c.sharded) {
		var shards []any
		for i := 0; i < c.sharded[name]; i++ {
			shards = append(shards, fmt.Sprintf("%s-p%03d", name, i))
		}
		g := c.databases[name+"-g000"]
		for _, n := range sortedKeys(g.hosts) {
			s := c.servers[n]
			rows = append(rows, []any{name, "standard", "read-write", s.id, s.address, g.hosts[n].role, false, "online", c.status(g, n, now), "",
				nil, nil, nil, nil, nil, nil, dateTime(g.created), shards})
		}
		if host := c.firstEnabled(); host != nil {
			for _, p := range shards {
				rows = append(rows, []any{p, "property shard", "read-write", host.id, host.address, "property shard replica", false, "online", "online", "",
					nil, nil, nil, nil, c.txn, int64(0), dateTime(g.created), nil})
			}
		}
	}
	return rows
}

func (c *Cluster) firstEnabled() *server {
	for _, n := range c.order {
		if s := c.servers[n]; s.state == "Enabled" {
			return s
		}
	}
	return nil
}

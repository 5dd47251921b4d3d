package neo4j

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The commands, from the Operations Manual (clustering/server-syntax.adoc,
// clustering/servers.adoc, clustering/databases.adoc; branches 5.x and
// dev). They run on the system database. Writes (every command but the two
// SHOWs) must reach the system database's leader: over bolt:// nothing
// forwards them, so the caller dials the server SystemLeader names. The 5.26
// and CalVer dialects agree on every command used here; SHOW DATABASES has
// more columns on CalVer (defaultLanguage, shard columns), which the
// parsing ignores, and there is no CORDON SERVER command in either: a
// procedure cordons.

// Server is a row of SHOW SERVERS YIELD *.
type Server struct {
	ID, Name, Address       string
	State, Health           string // Free|Enabled|Cordoned|Deallocating|Deallocated|Dropped; Available|Unavailable
	Hosting, Requested      []string
	ModeConstraint, Version string
}

// Server states and health, as SHOW SERVERS reports them.
const (
	StateFree         = "Free"
	StateEnabled      = "Enabled"
	StateCordoned     = "Cordoned"
	StateDeallocating = "Deallocating"
	StateDeallocated  = "Deallocated"
	StateDropped      = "Dropped"
	HealthAvailable   = "Available"
)

// Database is a row of SHOW DATABASES YIELD *: one per database and
// server hosting it.
type Database struct {
	Name, ServerID, Address, Role                 string
	Writer                                        bool
	RequestedStatus, CurrentStatus, StatusMessage string
	RequestedPrimaries, RequestedSecondaries      int64
	CurrentPrimaries, CurrentSecondaries          int64
	// LastCommittedTxn and ReplicationLag are nil when the database is not
	// online there.
	LastCommittedTxn, ReplicationLag *int64
	// CreationTime is when the database was created (zero when not
	// reported; listing-databases.adoc, 5.x and dev: ZONED DATETIME).
	CreationTime time.Time
}

const (
	qShowServers   = "SHOW SERVERS YIELD *"
	qShowDatabases = "SHOW DATABASES YIELD *"
)

// ShowServers lists the servers of the cluster, free and dropped ones too.
func (c *Conn) ShowServers(ctx context.Context) ([]Server, error) {
	rows, err := c.run(ctx, "show-servers", qShowServers, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Server, 0, len(rows))
	for _, r := range rows {
		out = append(out, Server{
			ID: r.str("serverId"), Name: r.str("name"), Address: r.str("address"),
			State: r.str("state"), Health: r.str("health"),
			Hosting: r.strs("hosting"), Requested: r.strs("requestedHosting"),
			ModeConstraint: r.str("modeConstraint"), Version: r.str("version"),
		})
	}
	return out, nil
}

// ShowDatabases lists every database on every server hosting it.
func (c *Conn) ShowDatabases(ctx context.Context) ([]Database, error) {
	rows, err := c.run(ctx, "show-databases", qShowDatabases, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Database, 0, len(rows))
	for _, r := range rows {
		out = append(out, Database{
			Name: r.str("name"), ServerID: r.str("serverID"), Address: r.str("address"), Role: r.str("role"),
			Writer: r.bool("writer"), RequestedStatus: r.str("requestedStatus"), CurrentStatus: r.str("currentStatus"),
			StatusMessage:      r.str("statusMessage"),
			RequestedPrimaries: r.int("requestedPrimariesCount"), RequestedSecondaries: r.int("requestedSecondariesCount"),
			CurrentPrimaries: r.int("currentPrimariesCount"), CurrentSecondaries: r.int("currentSecondariesCount"),
			LastCommittedTxn: r.intPtr("lastCommittedTxn"), ReplicationLag: r.intPtr("replicationLag"),
			CreationTime: r.time("creationTime"),
		})
	}
	return out, nil
}

// SystemLeader is the Bolt address of the server that accepts writes to
// the system database (SHOW DATABASES: writer is true), or "".
func SystemLeader(dbs []Database) string {
	for _, d := range dbs {
		if d.Name == "system" && d.Writer {
			return d.Address
		}
	}
	return ""
}

// EnableServer enables a free server (by ID), with a mode constraint
// (PRIMARY, SECONDARY or NONE). Enabling an enabled server with the same
// options changes nothing; enabling a cordoned one un-cordons it.
func (c *Conn) EnableServer(ctx context.Context, id, modeConstraint string) error {
	_, err := c.run(ctx, "enable-server", "ENABLE SERVER "+quote(id)+" OPTIONS {modeConstraint: $mode}",
		map[string]any{"mode": modeConstraint})
	return err
}

// CordonServer stops new allocations to a server (by name or ID).
func (c *Conn) CordonServer(ctx context.Context, server string) error {
	_, err := c.run(ctx, "cordon-server", "CALL dbms.cluster.cordonServer($server)", map[string]any{"server": server})
	return err
}

// DeallocateServer moves every user database off a server (by name or
// ID). Irreversible; Neo4j refuses it when the topologies could not be
// kept.
func (c *Conn) DeallocateServer(ctx context.Context, server string) error {
	_, err := c.run(ctx, "deallocate", "DEALLOCATE DATABASES FROM SERVER "+quote(server), nil)
	return err
}

// DropServer removes a deallocated server (by name or ID) for good.
func (c *Conn) DropServer(ctx context.Context, server string) error {
	_, err := c.run(ctx, "drop-server", "DROP SERVER "+quote(server), nil)
	return err
}

// ReallocateDatabases spreads databases over the enabled servers.
func (c *Conn) ReallocateDatabases(ctx context.Context) error {
	_, err := c.run(ctx, "reallocate", "REALLOCATE DATABASES", nil)
	return err
}

// SetTopology sets a database's numbers of primaries and secondaries
// (parameters are accepted from 5.26 on).
func (c *Conn) SetTopology(ctx context.Context, database string, primaries, secondaries int) error {
	_, err := c.run(ctx, "set-topology", "ALTER DATABASE $db SET TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES",
		map[string]any{"db": database, "primaries": int64(primaries), "secondaries": int64(secondaries)})
	return err
}

// CreateDatabase creates a database with a topology, unless it exists.
// Syntax: database-administration/syntax.adoc (CREATE DATABASE name [IF
// NOT EXISTS] [TOPOLOGY n PRIMARIES m SECONDARIES]); parameters for the
// name and counts from 5.26 on (clustering/databases.adoc); Cypher 25
// still accepts TOPOLOGY without SET.
func (c *Conn) CreateDatabase(ctx context.Context, database string, primaries, secondaries int) error {
	return c.CreateSeededDatabase(ctx, database, primaries, secondaries, Seed{})
}

// Seed is where a new database's data comes from (empty: none).
type Seed struct{ URI, Config string }

// CreateSeededDatabase creates a database from a backup or dump at a URI,
// unless it exists. OPTIONS {existingData: 'use', seedURI: ...}: the 5.x
// manual requires existingData 'use' with seedURI; Cypher 25 (2025.06)
// deprecates it and ignores it, and the operator's sessions speak Cypher
// 5 (database-administration/standard-databases/seed-from-uri.adoc). The
// options are literals, as every example in the manual writes them.
func (c *Conn) CreateSeededDatabase(ctx context.Context, database string, primaries, secondaries int, seed Seed) error {
	return c.runCreate(ctx, CreateDatabaseQuery(seed), database, primaries, secondaries)
}

// CreateDatabaseQuery is the CREATE DATABASE text for a seed.
func CreateDatabaseQuery(seed Seed) string {
	q := "CREATE DATABASE $db IF NOT EXISTS TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES"
	if seed.URI == "" {
		return q
	}
	opts := "existingData: 'use', seedURI: " + quote(seed.URI)
	if seed.Config != "" {
		opts += ", seedConfig: " + quote(seed.Config)
	}
	return q + " OPTIONS {" + opts + "}"
}

func (c *Conn) runCreate(ctx context.Context, query, database string, primaries, secondaries int) error {
	_, err := c.run(ctx, "create-database", query,
		map[string]any{"db": database, "primaries": int64(primaries), "secondaries": int64(secondaries)})
	return err
}

// quote writes a Cypher string literal: the server commands take names
// as literals, which the manual does not document as parameters.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (r row) str(k string) string {
	s, _ := r[k].(string)
	return s
}

func (r row) bool(k string) bool {
	b, _ := r[k].(bool)
	return b
}

func (r row) int(k string) int64 {
	n, _ := r[k].(int64)
	return n
}

func (r row) time(k string) time.Time {
	t, _ := r[k].(time.Time)
	return t
}

func (r row) intPtr(k string) *int64 {
	n, ok := r[k].(int64)
	if !ok {
		return nil
	}
	return &n
}

func (r row) strs(k string) []string {
	l, _ := r[k].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// qReloadTLS reloads the server's certificates and SSL settings from its
// files: the procedure dbms.security.reloadTLS(), new in 2025.03, admin
// only, to be called on each server in turn (Operations Manual, branch
// dev: procedures reference and "SSL framework", certificates rotation).
// It needs dbms.security.tls_reload_enabled=true, which the operator sets.
// The manual documents no output columns; none are read.
const qReloadTLS = "CALL dbms.security.reloadTLS()"

// ReloadTLS tells the connected server to reload its certificates. It runs
// on the server dialled, not the leader.
func (c *Conn) ReloadTLS(ctx context.Context) error {
	_, err := c.run(ctx, "reload-tls", qReloadTLS, nil)
	return err
}

// RecreateDatabase replaces a database's stores on every allocation with
// a seed: CALL dbms.cluster.recreateDatabase on 5.26 and 2025.01-03,
// dbms.recreateDatabase from 2025.04, which deprecated the other name
// (database-administration/standard-databases/recreate-database.adoc,
// branches 5.x and dev; the 5.x manual's clustering pages show the newer
// name, copied from dev, but 5.26 has only the older one). The options
// are seedURI, primaries and secondaries; seedConfig is not one of them.
// Without seedingServers the stores come from the URI.
func (c *Conn) RecreateDatabase(ctx context.Context, calVer2504 bool, database string, primaries, secondaries int, seedURI string) error {
	_, err := c.run(ctx, "recreate-database", RecreateQuery(calVer2504),
		map[string]any{"db": database, "options": map[string]any{"seedURI": seedURI, "primaries": int64(primaries), "secondaries": int64(secondaries)}})
	return err
}

// RecreateQuery is the recreate procedure's call for a release.
func RecreateQuery(calVer2504 bool) string {
	if calVer2504 {
		return "CALL dbms.recreateDatabase($db, $options)"
	}
	return "CALL dbms.cluster.recreateDatabase($db, $options)"
}

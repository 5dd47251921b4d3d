package neo4j

import (
	"context"
	"fmt"
	"slices"
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
	// Allowed and Denied databases limit what the server may host (empty
	// Allowed: any); Tags are its tags (SHOW SERVERS, servers.adoc).
	Allowed, Denied, Tags []string
}

// MayHost says whether the server's options let it host a database
// (servers.adoc: allowedDatabases, "empty means all are allowed", and
// deniedDatabases; they do not apply to composite databases).
func (s Server) MayHost(db string) bool {
	return !slices.Contains(s.Denied, db) && (len(s.Allowed) == 0 || slices.Contains(s.Allowed, db))
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

// Database types that have a topology of their own: composite databases
// are hosted on every server and property shards have replicas, not
// primaries and secondaries (listing-databases.adoc, 5.x and dev).
const (
	TypeComposite     = "composite"
	TypePropertyShard = "property shard"
)

// Topological is true for a database whose primaries and secondaries the
// operator may count and change: standard, system and graph shards. Rows
// without a type (older fakes, scripted tests) count as standard. A
// sharded property database's virtual row (type standard, with property
// shards) aggregates its shards and has no copy of its own: "Some columns
// are empty for the virtual sharded database ... e.g., lastCommittedTxn
// or replicationLag" (dev, scalability/sharded-property-databases/
// listing-sharded-databases.adoc); its graph shard carries the topology.
func (d Database) Topological() bool {
	return d.Type != TypeComposite && d.Type != TypePropertyShard && len(d.PropertyShards) == 0
}

// Database is a row of SHOW DATABASES YIELD *: one per database and
// server hosting it.
type Database struct {
	Name, ServerID, Address, Role string
	// Type is standard, system or composite (5.x), and on CalVer also
	// "graph shard" and "property shard"; Access is read-write or
	// read-only (listing-databases.adoc).
	Type, Access string
	// PropertyShards names a sharded database's property shards (CalVer
	// 2025.12 on; empty for every other database).
	PropertyShards                                []string
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
			Allowed: r.strs("allowedDatabases"), Denied: r.strs("deniedDatabases"), Tags: r.strs("tags"),
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
			Type: r.str("type"), Access: r.str("access"), PropertyShards: r.strsOrNil("propertyShards"),
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

// EnableServer enables a free server (by ID) with a mode constraint
// (PRIMARY, SECONDARY or NONE), or re-enables a cordoned one when mode is
// "": the bare form, which leaves the options the server has (an
// administrator's included). The manual's form has literal options
// (clustering/servers.adoc and server-syntax.adoc, branches 5.x and dev:
// ENABLE SERVER 'serverId' [OPTIONS {option: value[,...]}], every
// example a literal map); a parameter there is undocumented, so the mode
// is written as a literal, checked against the three values.
func (c *Conn) EnableServer(ctx context.Context, id, modeConstraint string) error {
	q, err := EnableServerQuery(id, modeConstraint)
	if err != nil {
		return err
	}
	_, err = c.run(ctx, "enable-server", q, nil)
	return err
}

// EnableServerQuery is the ENABLE SERVER text for a server and mode.
func EnableServerQuery(id, modeConstraint string) (string, error) {
	switch modeConstraint {
	case "":
		return "ENABLE SERVER " + quote(id), nil
	case "PRIMARY", "SECONDARY", "NONE":
		return "ENABLE SERVER " + quote(id) + " OPTIONS {modeConstraint: '" + modeConstraint + "'}", nil
	}
	return "", fmt.Errorf("mode constraint %q is not PRIMARY, SECONDARY or NONE", modeConstraint)
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

// Move is a row of DRYRUN DEALLOCATE: one allocation that would move
// (clustering/server-syntax.adoc and servers.adoc, branches 5.x and dev:
// columns database, fromServerName, fromServerId, toServerName,
// toServerId, mode).
type Move struct {
	Database, FromServerID, ToServerID, Mode string
}

// DryRunDeallocate asks Neo4j what deallocating a server would move,
// changing nothing ([DRYRUN] DEALLOCATE DATABASE[S] FROM SERVER[S]
// 'name', server-syntax.adoc). A deallocation Neo4j would refuse (a
// hosted database offline or with one primary, a quorum of its primary
// hosts cordoned, too few servers left: servers.adoc) fails here too,
// before the server is cordoned.
func (c *Conn) DryRunDeallocate(ctx context.Context, server string) ([]Move, error) {
	rows, err := c.run(ctx, "dryrun-deallocate", "DRYRUN DEALLOCATE DATABASES FROM SERVER "+quote(server), nil)
	if err != nil {
		return nil, err
	}
	out := make([]Move, 0, len(rows))
	for _, r := range rows {
		out = append(out, Move{Database: r.str("database"), FromServerID: r.str("fromServerId"), ToServerID: r.str("toServerId"), Mode: r.str("mode")})
	}
	return out, nil
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

// strsOrNil is strs, nil for an absent, NULL or empty list.
func (r row) strsOrNil(k string) []string {
	if l := r.strs(k); len(l) > 0 {
		return l
	}
	return nil
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

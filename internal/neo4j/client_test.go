package neo4j

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// script answers queries by their text, and checks the password.
type script struct {
	mu       sync.Mutex
	password string
	answers  map[string]bolt.Result
	failures map[string]*bolt.Failure
}

func (s *script) Authenticate(user, password string) bool {
	return user == "neo4j" && password == s.password
}

func (s *script) Run(q bolt.Query) (bolt.Result, *bolt.Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.failures[q.Text]; f != nil {
		return bolt.Result{}, f
	}
	return s.answers[q.Text], nil
}

const password = "s3cret-password"

func start(t *testing.T, s *script) (*bolt.Server, *Conn) {
	t.Helper()
	if s.password == "" {
		s.password = password
	}
	srv, err := bolt.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := Dialer{Timeout: 2 * time.Second}.Dial(srv.Addr(), Credentials{"neo4j", password}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return srv, c
}

var serversYield = []string{"serverId", "name", "address", "httpAddress", "httpsAddress", "state", "health", "hosting",
	"requestedHosting", "tags", "allowedDatabases", "deniedDatabases", "modeConstraint", "version"}

func TestShowServers(t *testing.T) {
	srv, c := start(t, &script{answers: map[string]bolt.Result{qShowServers: {Keys: serversYield, Rows: [][]any{
		{"25a7efc7", "graph-primary-0", "graph-primary-0-internals.ns.svc.cluster.local:7687", "x:7474", nil, "Enabled", "Available",
			[]any{"neo4j", "system"}, []any{"neo4j", "system"}, []any{}, []any{}, []any{}, "NONE", "5.26.12"},
		// A Free server's address "May be null" (show-servers-monitoring.adoc).
		{"9b1d", "9b1d", nil, nil, nil, "Free", "Available", []any{"system"}, []any{}, []any{"eu"}, []any{"neo4j"}, []any{}, "NONE", "5.26.12"},
	}}}})
	got, err := c.ShowServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{ID: "25a7efc7", Name: "graph-primary-0", Address: "graph-primary-0-internals.ns.svc.cluster.local:7687", State: "Enabled",
			Health: "Available", Hosting: []string{"neo4j", "system"}, Requested: []string{"neo4j", "system"}, ModeConstraint: "NONE", Version: "5.26.12",
			Allowed: []string{}, Denied: []string{}, Tags: []string{}},
		{ID: "9b1d", Name: "9b1d", State: "Free", Health: "Available", Hosting: []string{"system"}, Requested: []string{}, ModeConstraint: "NONE", Version: "5.26.12",
			Allowed: []string{"neo4j"}, Denied: []string{}, Tags: []string{"eu"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if q := srv.Received(); len(q) != 1 || q[0].Text != "SHOW SERVERS YIELD *" || q[0].DB != "system" || len(q[0].Params) != 0 {
		t.Errorf("sent %+v", q)
	}
}

func TestShowDatabasesBothDialects(t *testing.T) {
	keys526 := []string{"name", "type", "aliases", "access", "databaseID", "serverID", "address", "role", "writer", "requestedStatus",
		"currentStatus", "statusMessage", "default", "home", "currentPrimariesCount", "currentSecondariesCount", "requestedPrimariesCount",
		"requestedSecondariesCount", "creationTime", "lastStartTime", "lastStopTime", "store", "lastCommittedTxn", "replicationLag", "constituents", "options"}
	row526 := []any{"system", "system", []any{}, "read-write", "id", "s1", "a:7687", "primary", true, "online", "online", "", false, false,
		int64(3), int64(0), int64(3), int64(0), nil, nil, nil, "record-aligned-1.1", int64(42), int64(0), []any{}, map[string]any{}}
	// CalVer adds defaultLanguage before options; an offline copy has no
	// transaction figures.
	keysCal := append(append(append([]string(nil), keys526[:25]...), "defaultLanguage"), "options")
	rowCal := append(append(append([]any(nil), row526[:25]...), "CYPHER 5"), map[string]any{})
	rowCal[0], rowCal[8], rowCal[10], rowCal[22], rowCal[23] = "neo4j", false, "offline", nil, nil
	for _, tc := range []struct {
		name string
		keys []string
		row  []any
		want Database
	}{
		{"5.26", keys526, row526, Database{Name: "system", ServerID: "s1", Address: "a:7687", Role: "primary", Writer: true, Type: "system", Access: "read-write",
			RequestedStatus: "online", CurrentStatus: "online", RequestedPrimaries: 3, CurrentPrimaries: 3,
			LastCommittedTxn: new(int64(42)), ReplicationLag: new(int64(0))}},
		{"2025.x", keysCal, rowCal, Database{Name: "neo4j", ServerID: "s1", Address: "a:7687", Role: "primary", Type: "system", Access: "read-write",
			RequestedStatus: "online", CurrentStatus: "offline", RequestedPrimaries: 3, CurrentPrimaries: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := start(t, &script{answers: map[string]bolt.Result{qShowDatabases: {Keys: tc.keys, Rows: [][]any{tc.row}}}})
			got, err := c.ShowDatabases(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if q := srv.Received(); q[0].Text != "SHOW DATABASES YIELD *" || q[0].DB != "system" {
				t.Errorf("sent %+v", q)
			}
		})
	}
	if SystemLeader([]Database{{Name: "neo4j", Writer: true, Address: "x"}, {Name: "system", Address: "y"}, {Name: "system", Writer: true, Address: "z"}}) != "z" {
		t.Error("the system leader is the system database's writer")
	}
}

// The exact Cypher and parameters of every command, in both dialects
// (which agree on all of them).
func TestCommands(t *testing.T) {
	for _, calver := range []bool{false, true} {
		for _, tc := range []struct {
			call   func(*Conn) error
			cypher string
			params map[string]any
		}{
			// clustering/server-syntax.adoc: ENABLE SERVER 'serverId' [OPTIONS "{" option: value[,...] "}"];
			// servers.adoc: OPTIONS {modeConstraint:'PRIMARY', ...}, literal values.
			{func(c *Conn) error { return c.EnableServer(context.Background(), "25a7efc7", "SECONDARY") },
				"ENABLE SERVER '25a7efc7' OPTIONS {modeConstraint: 'SECONDARY'}", map[string]any{}},
			{func(c *Conn) error { return c.EnableServer(context.Background(), `o'brien\x`, "NONE") },
				`ENABLE SERVER 'o\'brien\\x' OPTIONS {modeConstraint: 'NONE'}`, map[string]any{}},
			// servers.adoc: a cordoned server is enabled again with ENABLE SERVER, bare: its options stay.
			{func(c *Conn) error { return c.EnableServer(context.Background(), "25a7efc7", "") },
				"ENABLE SERVER '25a7efc7'", map[string]any{}},
			// server-syntax.adoc: [DRYRUN] DEALLOCATE DATABASE[S] FROM SERVER[S] 'name'.
			{func(c *Conn) error {
				_, err := c.DryRunDeallocate(context.Background(), "graph-primary-2")
				return err
			}, "DRYRUN DEALLOCATE DATABASES FROM SERVER 'graph-primary-2'", map[string]any{}},
			// servers.adoc: no CORDON SERVER command; CALL dbms.cluster.cordonServer(server).
			{func(c *Conn) error { return c.CordonServer(context.Background(), "graph-primary-2") },
				"CALL dbms.cluster.cordonServer($server)", map[string]any{"server": "graph-primary-2"}},
			{func(c *Conn) error { return c.DeallocateServer(context.Background(), "graph-primary-2") },
				"DEALLOCATE DATABASES FROM SERVER 'graph-primary-2'", map[string]any{}},
			{func(c *Conn) error { return c.DropServer(context.Background(), "graph-primary-2") },
				"DROP SERVER 'graph-primary-2'", map[string]any{}},
			{func(c *Conn) error { return c.ReallocateDatabases(context.Background()) },
				"REALLOCATE DATABASES", map[string]any{}},
			{func(c *Conn) error { return c.SetTopology(context.Background(), "neo4j", 3, 2) },
				"ALTER DATABASE $db SET TOPOLOGY $primaries PRIMARIES $secondaries SECONDARIES",
				map[string]any{"db": "neo4j", "primaries": int64(3), "secondaries": int64(2)}},
		} {
			srv, c := start(t, &script{})
			c.CalVer = calver
			if err := tc.call(c); err != nil {
				t.Fatalf("%s: %v", tc.cypher, err)
			}
			q := srv.Received()
			if len(q) != 1 || q[0].Text != tc.cypher || q[0].DB != "system" || !reflect.DeepEqual(q[0].Params, tc.params) {
				t.Errorf("calver=%v: sent %+v, want %q %v", calver, q, tc.cypher, tc.params)
			}
		}
	}
}

func TestErrorsAreClassified(t *testing.T) {
	refused := map[string]*bolt.Failure{
		qShowServers:      {Code: bolt.CodeNotALeader, Message: "No write operations are allowed on this database."},
		qShowDatabases:    {Code: bolt.CodeUnavailable, Message: "Database 'system' is unavailable."},
		"DROP SERVER 'x'": {Code: "Neo.ClientError.Cluster.ServerStillHostingDatabases", Message: "Server is hosting databases"},
	}
	_, c := start(t, &script{failures: refused})
	ctx := context.Background()
	_, err := c.ShowServers(ctx)
	if KindOf(err) != NotALeader || !strings.Contains(err.Error(), bolt.CodeNotALeader) {
		t.Errorf("not a leader: %v", err)
	}
	if _, err = c.ShowDatabases(ctx); KindOf(err) != Unavailable {
		t.Errorf("unavailable: %v", err)
	}
	if err = c.DropServer(ctx, "x"); KindOf(err) != Refused {
		t.Errorf("refused: %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	srv, err := bolt.Start(&script{password: "the-right-one"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _ := Dialer{Timeout: 2 * time.Second}.Dial(srv.Addr(), Credentials{"neo4j", "a-wrong-password"}, false)
	defer c.Close(context.Background())
	before := testutil.ToFloat64(Calls.WithLabelValues("show-servers", string(AuthFailed)))
	_, err = c.ShowServers(context.Background())
	if KindOf(err) != AuthFailed {
		t.Fatalf("err = %v, want AuthFailed", err)
	}
	if strings.Contains(err.Error(), "a-wrong-password") {
		t.Error("the password is in the error")
	}
	if got := testutil.ToFloat64(Calls.WithLabelValues("show-servers", string(AuthFailed))) - before; got != 1 {
		t.Errorf("counted %v AuthFailed calls, want 1", got)
	}
	if len(srv.Received()) != 0 {
		t.Error("a query ran without logging on")
	}
}

func TestTimeoutBoundsTheCall(t *testing.T) {
	srv, err := bolt.Start(&script{password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Delay = 3 * time.Second
	c, _ := Dialer{Timeout: 300 * time.Millisecond}.Dial(srv.Addr(), Credentials{"neo4j", password}, false)
	defer c.Close(context.Background())
	start := time.Now()
	_, err = c.ShowServers(context.Background())
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the call took %v; the bound is 300ms", took)
	}
	if KindOf(err) != Timeout {
		t.Errorf("err = %v, want Timeout", err)
	}
}

func TestConnectionDroppedMidStream(t *testing.T) {
	rows := [][]any{{"a"}, {"b"}, {"c"}}
	srv, c := start(t, &script{answers: map[string]bolt.Result{qShowServers: {Keys: []string{"name"}, Rows: rows}}})
	srv.DropAfterRecords = 1
	_, err := c.ShowServers(context.Background())
	if err == nil || KindOf(err) != Unavailable {
		t.Errorf("err = %v (%s), want Unavailable", err, KindOf(err))
	}
}

func TestUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	c, _ := Dialer{Timeout: time.Second}.Dial(addr, Credentials{"neo4j", password}, false)
	defer c.Close(context.Background())
	if _, err := c.ShowServers(context.Background()); KindOf(err) != Unavailable {
		t.Errorf("err = %v (%s), want Unavailable", err, KindOf(err))
	}
}

func TestResolveHook(t *testing.T) {
	srv, err := bolt.Start(&script{password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d := Dialer{Timeout: time.Second, Resolve: func(string) string { return srv.Addr() }}
	c, _ := d.Dial("graph-primary-0-internals.ns.svc.cluster.local:7687", Credentials{"neo4j", password}, false)
	defer c.Close(context.Background())
	if _, err := c.ShowServers(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(srv.Received()) != 1 {
		t.Error("the hook did not point the name at the fake")
	}
}

// The fake also serves explicit transactions and routing, which the
// driver uses for managed transactions and neo4j:// URIs.
func TestFakeServesTransactionsAndRouting(t *testing.T) {
	s := &script{password: password, answers: map[string]bolt.Result{"RETURN 1 AS n": {Keys: []string{"n"}, Rows: [][]any{{int64(1)}}}}}
	srv, err := bolt.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for _, scheme := range []string{"bolt://", "neo4j://"} {
		d, err := driver.NewDriverWithContext(scheme+srv.Addr(), driver.BasicAuth("neo4j", password, ""))
		if err != nil {
			t.Fatal(err)
		}
		sess := d.NewSession(ctx, driver.SessionConfig{DatabaseName: "neo4j"})
		n, err := sess.ExecuteWrite(ctx, func(tx driver.ManagedTransaction) (any, error) {
			res, err := tx.Run(ctx, "RETURN 1 AS n", nil)
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			return rec.Values[0], nil
		})
		if err != nil || n != int64(1) {
			t.Errorf("%s: %v, %v", scheme, n, err)
		}
		_, err = sess.ExecuteWrite(ctx, func(tx driver.ManagedTransaction) (any, error) {
			return nil, errors.New("roll back")
		})
		if err == nil {
			t.Errorf("%s: a failed transaction function must fail", scheme)
		}
		_ = sess.Close(ctx)
		_ = d.Close(ctx)
	}
	for _, q := range srv.Received() {
		if !q.InTx || q.DB != "neo4j" {
			t.Errorf("managed transactions run in BEGIN … COMMIT on their database: %+v", q)
		}
	}
}

func TestEnableServerRefusesAnUnknownMode(t *testing.T) {
	if _, err := EnableServerQuery("x", "secondary'}) //"); err == nil {
		t.Error("a mode outside PRIMARY, SECONDARY and NONE was written into the query")
	}
}

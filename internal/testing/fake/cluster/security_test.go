package cluster_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// formed is a formed cluster of three primaries; the connection is to
// the system leader as neo4j.
func formed(t *testing.T) (*cluster.Cluster, *clock, *neo4j.Conn) {
	t.Helper()
	c, clk, dial := newCluster(t, cluster.Options{CatchUp: time.Second, AutoEnable: true, DefaultPrimaries: 3, InitialPrimaries: 3})
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2"} {
		ok(t, c.SetPod(n, addr(n), false, true))
	}
	clk.Add(time.Second)
	return c, clk, dial("g-primary-0")
}

func login(c *cluster.Cluster, user, password string) error {
	conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}.Dial(addr("g-primary-0"), neo4j.Credentials{User: user, Password: password}, true)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx()) }()
	_, err = conn.ShowRoles(ctx())
	return err
}

func code(err error) string {
	var e *neo4j.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestUsersRolesAndPrivileges(t *testing.T) {
	c, _, conn := formed(t)
	roles, err := conn.ShowRoles(ctx())
	ok(t, err)
	if want := []string{"PUBLIC", "admin", "architect", "editor", "publisher", "reader"}; !reflect.DeepEqual(roles, want) {
		t.Fatalf("roles %v, want the built-in ones %v (built-in-roles.adoc)", roles, want)
	}
	reader, err := conn.ShowRolePrivileges(ctx(), "reader")
	ok(t, err)
	if len(reader) != 5 || reader[1] != "GRANT MATCH {*} ON GRAPH * NODE * TO `reader`" {
		t.Fatalf("reader's privileges %q", reader)
	}

	ok(t, conn.Administer(ctx(), "CREATE ROLE `auditor` IF NOT EXISTS AS COPY OF `reader`", nil))
	ok(t, conn.Administer(ctx(), "GRANT ACCESS ON DATABASE `movies` TO `auditor`", nil))
	ok(t, conn.Administer(ctx(), "REVOKE GRANT SHOW INDEX ON DATABASE * FROM `auditor`", nil))
	got, err := conn.ShowRolePrivileges(ctx(), "auditor")
	ok(t, err)
	if len(got) != 5 || !strings.Contains(strings.Join(got, "\n"), "GRANT ACCESS ON DATABASE `movies` TO `auditor`") || strings.Contains(strings.Join(got, "\n"), "SHOW INDEX") {
		t.Fatalf("auditor's privileges %q", got)
	}
	if err := conn.Administer(ctx(), "DENY MERGE {*} ON GRAPH * NODE * TO `auditor`", nil); code(err) != "Neo.ClientError.Statement.SyntaxError" {
		t.Fatalf("DENY MERGE: %v, want refused (privileges-writes.adoc)", err)
	}
	if err := conn.Administer(ctx(), "GRANT WRITE ON GRAPH * TO `nobody`", nil); code(err) != "Neo.ClientError.General.InvalidArguments" {
		t.Fatalf("a privilege for a missing role: %v, want refused", err)
	}

	create := "CREATE USER `alice` IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED SET HOME DATABASE `movies`"
	if err := conn.Administer(ctx(), create, map[string]any{"password": "short"}); code(err) != "Neo.ClientError.General.InvalidArguments" {
		t.Fatalf("a 5-character password: %v, want refused", err)
	}
	ok(t, conn.Administer(ctx(), create, map[string]any{"password": "alice-password"}))
	if err := conn.Administer(ctx(), "GRANT ROLES `auditor`, `ghost` TO `alice`", nil); code(err) != "Neo.ClientError.General.InvalidArguments" || !strings.Contains(err.Error(), "42N10") {
		t.Fatalf("granting a role that does not exist: %v, want 42N10", err)
	}
	ok(t, conn.Administer(ctx(), "GRANT ROLES `auditor` TO `alice`", nil))
	users, err := conn.ShowUsers(ctx())
	ok(t, err)
	native := map[string]string{"native": ""}
	want := []neo4j.User{{Name: "alice", Roles: []string{"PUBLIC", "auditor"}, Home: "movies", Auth: native}, {Name: "neo4j", Roles: []string{"PUBLIC", "admin"}, Auth: native}}
	if !reflect.DeepEqual(users, want) {
		t.Fatalf("users %+v\nwant %+v", users, want)
	}
	ok(t, login(c, "alice", "alice-password"))

	ok(t, conn.Administer(ctx(), "ALTER USER `alice` SET STATUS SUSPENDED", nil))
	if err := login(c, "alice", "alice-password"); code(err) != "Neo.ClientError.Security.Unauthorized" {
		t.Fatalf("a suspended user logs in: %v", err)
	}
	if err := conn.Administer(ctx(), "DROP USER `neo4j` IF EXISTS", nil); err == nil || !strings.Contains(err.Error(), "42N99") {
		t.Fatalf("an administrator dropping themselves: %v, want 42N99", err)
	}
	n := len(c.Commands())
	for _, cmd := range c.Commands()[:n] {
		if strings.Contains(cmd.Text, "alice-password") {
			t.Fatalf("a password in a command's text: %q", cmd.Text)
		}
	}
}

// After three failed logins in a row a user is locked out for 5 s, even
// with the right password (configuration-settings.adoc).
func TestLockout(t *testing.T) {
	c, clk, _ := formed(t)
	for i := 0; i < 2; i++ {
		if err := login(c, "neo4j", "wrong-password"); code(err) != "Neo.ClientError.Security.Unauthorized" {
			t.Fatalf("failed login %d: %v", i+1, err)
		}
	}
	ok(t, login(c, "neo4j", "pw-12345678")) // a success resets the count
	for i := 0; i < 3; i++ {
		_ = login(c, "neo4j", "wrong-password")
	}
	if err := login(c, "neo4j", "pw-12345678"); code(err) != "Neo.ClientError.Security.AuthenticationRateLimit" {
		t.Fatalf("the right password while locked out: %v, want AuthenticationRateLimit", err)
	}
	if c.Lockouts() != 1 {
		t.Fatalf("lockouts %d, want 1", c.Lockouts())
	}
	clk.Add(5 * time.Second)
	ok(t, login(c, "neo4j", "pw-12345678"))
}

// ALTER CURRENT USER SET PASSWORD FROM … TO … changes the session user's
// own password (manage-users.adoc); the old one must match.
func TestAlterCurrentUser(t *testing.T) {
	c, _, conn := formed(t)
	q := "ALTER CURRENT USER SET PASSWORD FROM $old TO $new"
	if err := conn.Administer(ctx(), q, map[string]any{"old": "not-it-at-all", "new": "rotated-password"}); err == nil {
		t.Fatal("a wrong old password was accepted")
	}
	if err := conn.Administer(ctx(), q, map[string]any{"old": "pw-12345678", "new": "pw-12345678"}); err == nil || !strings.Contains(err.Error(), "22N89") {
		t.Fatalf("the same password again: %v, want 22N89", err)
	}
	ok(t, conn.Administer(ctx(), q, map[string]any{"old": "pw-12345678", "new": "rotated-password"}))
	ok(t, login(c, "neo4j", "rotated-password"))
	if err := login(c, "neo4j", "pw-12345678"); code(err) != "Neo.ClientError.Security.Unauthorized" {
		t.Fatalf("the old password still works: %v", err)
	}
}

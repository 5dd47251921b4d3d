package cluster

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// The security model the system database holds (Operations Manual 5.x,
// authentication-authorization/): users, roles, and each role's
// privileges as SHOW ROLE … PRIVILEGES AS COMMANDS lists them.
//
//   - the built-in roles PUBLIC, reader, editor, publisher, architect and
//     admin exist from the start with their default privileges
//     (built-in-roles.adoc); neo4j is an admin with the cluster's
//     password (Options.Password);
//   - every user has PUBLIC, which cannot be revoked (built-in-roles.adoc);
//   - CREATE USER needs SET PASSWORD or SET AUTH; a password has at least
//     8 characters (dbms.security.auth_minimum_password_length); IF NOT
//     EXISTS makes a repeat do nothing (manage-users.adoc);
//   - GRANT ROLES naming a role or user that does not exist is refused,
//     as are privileges for a missing role (manage-roles.adoc,
//     dbms-administration/index.adoc: "You can only grant, deny, or revoke
//     privileges to or from existing roles"); MERGE cannot be denied
//     (privileges-writes.adoc);
//   - an administrator cannot drop or suspend themselves
//     (built-in-roles.adoc);
//   - ALTER CURRENT USER SET PASSWORD FROM $old TO $new changes the
//     session user's own password; the old one must match and the new
//     one differ (index.adoc, password policy);
//   - a suspended user cannot log in; after
//     dbms.security.auth_max_failed_attempts (3) failed logins in a row a
//     user is locked out for dbms.security.auth_lock_time (5 s), even
//     with the right password (configuration-settings.adoc), and the
//     client gets AuthenticationRateLimit.
//
// It accepts the command forms the operator sends (internal/access) and
// the manual's, and no others.

type fakeUser struct {
	password       string
	changeRequired bool
	suspended      bool
	home           string
	roles          []string
	auth           map[string]string // provider → id
	failed         int
	lockedUntil    time.Time
}

// builtinPrivileges are the built-in roles' privileges as the manual's
// SHOW ROLE … PRIVILEGES AS COMMANDS examples list them
// (built-in-roles.adoc).
func builtinPrivileges() map[string][]string {
	reader := []string{"GRANT ACCESS ON DATABASE * TO `reader`", "GRANT MATCH {*} ON GRAPH * NODE * TO `reader`",
		"GRANT MATCH {*} ON GRAPH * RELATIONSHIP * TO `reader`", "GRANT SHOW CONSTRAINT ON DATABASE * TO `reader`",
		"GRANT SHOW INDEX ON DATABASE * TO `reader`"}
	as := func(rows []string, role string, extra ...string) []string {
		out := grantedTo(append(slices.Clone(rows), extra...), role)
		sort.Strings(out)
		return out
	}
	editor := as(reader, "editor", "GRANT WRITE ON GRAPH * TO `x`")
	publisher := as(editor, "publisher", "GRANT NAME MANAGEMENT ON DATABASE * TO `x`")
	architect := as(publisher, "architect", "GRANT CONSTRAINT MANAGEMENT ON DATABASE * TO `x`", "GRANT INDEX MANAGEMENT ON DATABASE * TO `x`")
	admin := as(architect, "admin", "GRANT ALL DBMS PRIVILEGES ON DBMS TO `x`", "GRANT LOAD ON ALL DATA TO `x`",
		"GRANT START ON DATABASE * TO `x`", "GRANT STOP ON DATABASE * TO `x`", "GRANT TRANSACTION MANAGEMENT (*) ON DATABASE * TO `x`")
	return map[string][]string{
		"PUBLIC": {"GRANT ACCESS ON HOME DATABASE TO `PUBLIC`", "GRANT EXECUTE FUNCTION * ON DBMS TO `PUBLIC`",
			"GRANT EXECUTE PROCEDURE * ON DBMS TO `PUBLIC`", "GRANT LOAD ON ALL DATA TO `PUBLIC`"},
		"reader": as(reader, "reader"), "editor": editor, "publisher": publisher, "architect": architect, "admin": admin,
	}
}

// grantedTo is the same privilege rows for another role (AS COPY OF).
func grantedTo(rows []string, role string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r[:strings.LastIndex(r, " TO ")]+" TO `"+role+"`")
	}
	return out
}

// initSecurity sets up the system database's security model.
func (c *Cluster) initSecurity() {
	c.roles = builtinPrivileges()
	c.users = map[string]*fakeUser{"neo4j": {password: c.opts.Password, roles: []string{"PUBLIC", "admin"}}}
}

const (
	maxFailedAttempts = 3
	lockTime          = 5 * time.Second
)

// Login answers a logon (bolt.Login).
func (h *handler) Login(user, password string) *bolt.Failure {
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	u := c.users[user]
	switch {
	case u != nil && now.Before(u.lockedUntil):
		return &bolt.Failure{Code: bolt.CodeRateLimit, Message: "The client has provided incorrect authentication details too many times in a row."}
	case u != nil && u.password == password && password != "" && !u.suspended:
		u.failed = 0
		return nil
	case u != nil:
		u.failed++
		if u.failed >= maxFailedAttempts {
			u.failed, u.lockedUntil = 0, now.Add(lockTime)
			c.lockouts++
		}
	}
	return &bolt.Failure{Code: bolt.CodeUnauthorized, Message: "The client is unauthorized due to authentication failure."}
}

// Authenticate answers as Login does.
func (h *handler) Authenticate(user, password string) bool { return h.Login(user, password) == nil }

var (
	quoted            = "`((?:[^`]|``)+)`" // a backtick-quoted name, captured
	reCreateUser      = regexp.MustCompile("^CREATE USER " + quoted + " IF NOT EXISTS((?: SET .*)?)$")
	reAlterUser       = regexp.MustCompile("^ALTER USER " + quoted + " (.+)$")
	reDropUser        = regexp.MustCompile("^DROP USER " + quoted + " IF EXISTS$")
	reGrantRoles      = regexp.MustCompile("^(GRANT|REVOKE) ROLES (.+) (?:TO|FROM) " + quoted + "$")
	reCreateRole      = regexp.MustCompile("^CREATE ROLE " + quoted + " IF NOT EXISTS(?: AS COPY OF " + quoted + ")?$")
	reDropRole        = regexp.MustCompile("^DROP ROLE " + quoted + " IF EXISTS$")
	reShowPrivileges  = regexp.MustCompile("^SHOW ROLE " + quoted + " PRIVILEGES AS COMMANDS YIELD command$")
	rePrivilege       = regexp.MustCompile("^(REVOKE )?(GRANT|DENY) (.+) (?:TO|FROM) " + quoted + "$")
	reGraphPrivilege  = regexp.MustCompile("^(TRAVERSE|WRITE|CREATE|DELETE|ALL GRAPH PRIVILEGES|(?:READ|MATCH|SET PROPERTY|MERGE) \\{(?:\\*|\\w+)\\}|(?:SET|REMOVE) LABEL (?:\\*|\\w+)) ON GRAPH (?:\\*|`[^`]+`)(?: (?:NODE|RELATIONSHIP) (?:\\*|\\w+))?$")
	reDBPrivilege     = regexp.MustCompile("^(ACCESS|START|STOP|INDEX MANAGEMENT|CONSTRAINT MANAGEMENT|NAME MANAGEMENT|SHOW INDEX|SHOW CONSTRAINT|ALL DATABASE PRIVILEGES) ON (?:HOME DATABASE|DATABASE (?:\\*|`[^`]+`))$")
	reUserClauses     = regexp.MustCompile(`^(?: (REMOVE HOME DATABASE|REMOVE AUTH '[^']+'|SET PASSWORD \$password CHANGE (?:NOT )?REQUIRED|SET STATUS (?:ACTIVE|SUSPENDED)|SET HOME DATABASE ` + "`[^`]+`" + `|SET AUTH '[^']+' \{SET ID \$\w+\}))+$`)
	reUserClause      = regexp.MustCompile(`REMOVE HOME DATABASE|REMOVE AUTH '([^']+)'|SET PASSWORD \$password CHANGE (?:NOT )?REQUIRED|SET STATUS (?:ACTIVE|SUSPENDED)|SET HOME DATABASE ` + "`([^`]+)`" + `|SET AUTH '([^']+)' \{SET ID \$(\w+)\}`)
	qShowUsers        = "SHOW USERS WITH AUTH YIELD user, roles, passwordChangeRequired, suspended, home, provider, auth"
	qShowRoles        = "SHOW ROLES YIELD role"
	qAlterCurrentUser = "ALTER CURRENT USER SET PASSWORD FROM $old TO $new"
)

// answerSecurity answers the security commands; ok is false for others.
// c.mu is held.
func (c *Cluster) answerSecurity(q bolt.Query, leader bool) (bolt.Result, *bolt.Failure, bool) {
	switch {
	case q.Text == qShowUsers:
		return c.showUsers(), nil, true
	case q.Text == qShowRoles:
		res := bolt.Result{Keys: []string{"role"}}
		for _, r := range c.roleNames() {
			res.Rows = append(res.Rows, []any{r})
		}
		return res, nil, true
	case reShowPrivileges.MatchString(q.Text):
		role := ident(reShowPrivileges.FindStringSubmatch(q.Text)[1])
		res := bolt.Result{Keys: []string{"command"}}
		for _, p := range c.roles[role] {
			res.Rows = append(res.Rows, []any{p})
		}
		return res, nil, true
	}
	if !isSecurityCommand(q.Text) {
		return bolt.Result{}, nil, false
	}
	c.refereeCommand(q.Text)
	if !leader {
		return bolt.Result{}, &bolt.Failure{Code: bolt.CodeNotALeader, Message: "No write operations are allowed on this database. This is a read only Neo4j instance."}, true
	}
	return bolt.Result{}, c.administer(q), true
}

func isSecurityCommand(text string) bool {
	for _, re := range []*regexp.Regexp{reCreateUser, reAlterUser, reDropUser, reGrantRoles, reCreateRole, reDropRole, rePrivilege} {
		if re.MatchString(text) {
			return true
		}
	}
	return text == qAlterCurrentUser
}

// administer carries out one security command; c.mu is held.
func (c *Cluster) administer(q bolt.Query) *bolt.Failure {
	t := q.Text
	switch {
	case t == qAlterCurrentUser:
		return c.alterCurrentUser(q)
	case reCreateUser.MatchString(t):
		m := reCreateUser.FindStringSubmatch(t)
		return c.createUser(ident(m[1]), m[2], q.Params)
	case reAlterUser.MatchString(t):
		m := reAlterUser.FindStringSubmatch(t)
		return c.alterUser(ident(m[1]), " "+m[2], q.Params, q.User)
	case reDropUser.MatchString(t):
		u := ident(reDropUser.FindStringSubmatch(t)[1])
		if u == q.User {
			return invalid("42N99: cannot delete own user. Cannot delete the user record of the current user.")
		}
		delete(c.users, u)
	case reGrantRoles.MatchString(t):
		m := reGrantRoles.FindStringSubmatch(t)
		return c.grantRoles(m[1] == "GRANT", m[2], ident(m[3]))
	case reCreateRole.MatchString(t):
		m := reCreateRole.FindStringSubmatch(t)
		return c.createRole(ident(m[1]), m[2])
	case reDropRole.MatchString(t):
		r := ident(reDropRole.FindStringSubmatch(t)[1])
		if r == "PUBLIC" {
			return invalid("the PUBLIC role cannot be dropped")
		}
		delete(c.roles, r)
		for _, u := range c.users {
			u.roles = slices.DeleteFunc(u.roles, func(x string) bool { return x == r })
		}
	default:
		return c.privilege(t)
	}
	return nil
}

func (c *Cluster) createUser(user, clauses string, params map[string]any) *bolt.Failure {
	if _, ok := c.users[user]; ok {
		return nil // IF NOT EXISTS
	}
	if !strings.Contains(clauses, "SET PASSWORD") && !strings.Contains(clauses, "SET AUTH") {
		return &bolt.Failure{Code: bolt.CodeSyntax, Message: "a user needs SET PASSWORD or SET AUTH"}
	}
	u := &fakeUser{roles: []string{"PUBLIC"}, changeRequired: true}
	if f := c.applyUser(u, clauses, params); f != nil {
		return f
	}
	c.users[user] = u
	return nil
}

func (c *Cluster) alterUser(user, clauses string, params map[string]any, session string) *bolt.Failure {
	u := c.users[user]
	if u == nil {
		return invalid("42N09: no such user: " + user)
	}
	if user == session && strings.Contains(clauses, "SET STATUS SUSPENDED") {
		return invalid("42N98: cannot modify own user")
	}
	next := *u
	if f := c.applyUser(&next, clauses, params); f != nil {
		return f
	}
	*u = next
	return nil
}

// applyUser applies SET and REMOVE clauses to a user.
func (c *Cluster) applyUser(u *fakeUser, clauses string, params map[string]any) *bolt.Failure {
	if clauses != "" && !reUserClauses.MatchString(clauses) {
		return &bolt.Failure{Code: bolt.CodeSyntax, Message: "the fake cluster does not know these clauses:" + clauses}
	}
	for _, m := range reUserClause.FindAllStringSubmatch(clauses, -1) {
		switch {
		case strings.HasPrefix(m[0], "SET PASSWORD"):
			p, _ := params["password"].(string)
			if len(p) < 8 {
				return invalid("a password must be at least 8 characters long (dbms.security.auth_minimum_password_length)")
			}
			u.password, u.changeRequired = p, !strings.Contains(m[0], "NOT REQUIRED")
		case m[0] == "REMOVE HOME DATABASE":
			u.home = ""
		case strings.HasPrefix(m[0], "SET STATUS"):
			u.suspended = strings.HasSuffix(m[0], "SUSPENDED")
		case strings.HasPrefix(m[0], "SET HOME DATABASE"):
			u.home = m[2]
		case strings.HasPrefix(m[0], "SET AUTH"):
			if u.auth == nil {
				u.auth = map[string]string{}
			}
			u.auth[m[3]] = fmt.Sprint(params[m[4]])
		case strings.HasPrefix(m[0], "REMOVE AUTH"):
			if m[1] == "native" {
				u.password = ""
			}
			delete(u.auth, m[1])
		}
	}
	return nil
}

func (c *Cluster) alterCurrentUser(q bolt.Query) *bolt.Failure {
	u := c.users[q.User]
	old, _ := q.Params["old"].(string)
	next, _ := q.Params["new"].(string)
	switch {
	case u == nil || u.password != old:
		return &bolt.Failure{Code: bolt.CodeInvalidArguments, Message: "User '" + q.User + "' failed to alter their own password: Invalid principal or credentials."}
	case next == old:
		return invalid("22N89: new password cannot be the same as the old password")
	case len(next) < 8:
		return invalid("a password must be at least 8 characters long (dbms.security.auth_minimum_password_length)")
	}
	u.password, u.changeRequired = next, false
	return nil
}

func (c *Cluster) grantRoles(grant bool, list, user string) *bolt.Failure {
	u := c.users[user]
	if u == nil {
		return invalid("42N09: no such user: " + user)
	}
	for _, r := range strings.Split(list, ", ") {
		role := ident(strings.Trim(r, "`"))
		switch {
		case c.roles[role] == nil:
			return invalid("42N10: no such role: " + role)
		case grant && !slices.Contains(u.roles, role):
			u.roles = append(u.roles, role)
		case !grant && role != "PUBLIC":
			u.roles = slices.DeleteFunc(u.roles, func(x string) bool { return x == role })
		}
	}
	return nil
}

func (c *Cluster) createRole(role, copyOf string) *bolt.Failure {
	if _, ok := c.roles[role]; ok {
		return nil // IF NOT EXISTS
	}
	var rows []string
	if copyOf != "" {
		from, ok := c.roles[ident(copyOf)]
		if !ok {
			return invalid("42N10: no such role: " + ident(copyOf))
		}
		rows = grantedTo(from, role)
	}
	c.roles[role] = rows
	return nil
}

// privilege grants, denies or revokes one privilege row.
func (c *Cluster) privilege(text string) *bolt.Failure {
	m := rePrivilege.FindStringSubmatch(text)
	access, body, role := m[2], m[3], ident(m[4])
	if !reGraphPrivilege.MatchString(body) && !reDBPrivilege.MatchString(body) {
		return &bolt.Failure{Code: bolt.CodeSyntax, Message: "the fake cluster does not know this privilege: " + body}
	}
	if access == "DENY" && strings.HasPrefix(body, "MERGE") {
		return &bolt.Failure{Code: bolt.CodeSyntax, Message: "It is not possible to deny the MERGE privilege"}
	}
	rows, ok := c.roles[role]
	if !ok {
		return invalid("42N10: no such role: " + role)
	}
	row := access + " " + body + " TO `" + role + "`"
	if m[1] != "" {
		c.roles[role] = slices.DeleteFunc(rows, func(r string) bool { return r == row })
		return nil
	}
	if !slices.Contains(rows, row) {
		rows = append(rows, row)
		sort.Strings(rows)
		c.roles[role] = rows
	}
	return nil
}

func (c *Cluster) showUsers() bolt.Result {
	// WITH AUTH: "a row per user per auth provider" (manage-users.adoc);
	// native's auth map holds the password status, the others' the id.
	res := bolt.Result{Keys: []string{"user", "roles", "passwordChangeRequired", "suspended", "home", "provider", "auth"}}
	for _, n := range slices.Sorted(maps.Keys(c.users)) {
		u := c.users[n]
		roles := make([]any, 0, len(u.roles))
		for _, r := range slices.Sorted(slices.Values(u.roles)) {
			roles = append(roles, r)
		}
		var home any
		if u.home != "" {
			home = u.home
		}
		if u.password != "" {
			res.Rows = append(res.Rows, []any{n, roles, u.changeRequired, u.suspended, home, "native",
				map[string]any{"password": "*********", "changeRequired": u.changeRequired}})
		}
		for _, p := range slices.Sorted(maps.Keys(u.auth)) {
			res.Rows = append(res.Rows, []any{n, roles, u.changeRequired, u.suspended, home, p, map[string]any{"id": u.auth[p]}})
		}
	}
	return res
}

func (c *Cluster) roleNames() []string { return slices.Sorted(maps.Keys(c.roles)) }

// ident unescapes a backtick-quoted identifier's inside.
func ident(s string) string { return strings.ReplaceAll(s, "``", "`") }

func invalid(msg string) *bolt.Failure {
	return &bolt.Failure{Code: bolt.CodeInvalidArguments, Message: msg}
}

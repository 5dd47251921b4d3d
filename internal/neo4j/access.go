package neo4j

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Users, roles and privileges, as the Operations Manual (5.x,
// authentication-authorization/manage-users.adoc, manage-roles.adoc,
// manage-privileges.adoc) shows them. Every query runs on the system
// database, where Neo4j keeps its security model (index.adoc: "All
// administrative commands need to be executed against it"); commands go
// to the system leader (a write).

// User is a user as SHOW USERS WITH AUTH lists it.
type User struct {
	Name           string
	Roles          []string
	ChangeRequired bool
	Suspended      bool
	Home           string
	// Auth are the user's auth providers and the id in each ("" for
	// native, whose row carries the password status instead).
	Auth map[string]string
}

// The queries, with the manual's column names (manage-users.adoc: user,
// roles, passwordChangeRequired, suspended, home, and with WITH AUTH, new
// in 5.24, "a row per user per auth provider" adding provider and auth;
// manage-roles.adoc: role;
// manage-privileges.adoc: AS COMMANDS returns command and immutable).
const (
	qShowUsers          = "SHOW USERS WITH AUTH YIELD user, roles, passwordChangeRequired, suspended, home, provider, auth"
	qShowRoles          = "SHOW ROLES YIELD role"
	qShowRolePrivileges = "SHOW ROLE %s PRIVILEGES AS COMMANDS YIELD command"
)

// ShowUsers lists the DBMS's users.
func (c *Conn) ShowUsers(ctx context.Context) ([]User, error) {
	rows, err := c.run(ctx, "show-users", qShowUsers, nil)
	if err != nil {
		return nil, err
	}
	var out []User
	at := map[string]int{} // a row per user per provider: one User each
	for _, r := range rows {
		name := r.str("user")
		i, seen := at[name]
		if !seen {
			i, at[name] = len(out), len(out)
			out = append(out, User{Name: name, Roles: r.strs("roles"), ChangeRequired: r.bool("passwordChangeRequired"),
				Suspended: r.bool("suspended"), Home: r.str("home"), Auth: map[string]string{}})
		}
		if p := r.str("provider"); p != "" {
			auth, _ := r["auth"].(map[string]any)
			id, _ := auth["id"].(string)
			out[i].Auth[p] = id
		}
	}
	return out, nil
}

// ShowRoles lists the DBMS's roles.
func (c *Conn) ShowRoles(ctx context.Context) ([]string, error) {
	rows, err := c.run(ctx, "show-roles", qShowRoles, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.str("role"))
	}
	return out, nil
}

// ShowRolePrivileges lists a role's privileges as the commands that grant
// them, sorted.
func (c *Conn) ShowRolePrivileges(ctx context.Context, role string) ([]string, error) {
	rows, err := c.run(ctx, "show-role-privileges", fmt.Sprintf(qShowRolePrivileges, Identifier(role)), nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.str("command"))
	}
	slices.Sort(out)
	return out, nil
}

// Administer sends one administration command (CREATE USER, GRANT …):
// its text names users, roles and graphs as quoted identifiers, and a
// password only as a parameter, so neither the text nor an error carries
// one.
func (c *Conn) Administer(ctx context.Context, cypher string, params map[string]any) error {
	_, err := c.run(ctx, "administer", cypher, params)
	return err
}

// Identifier is a name as a backtick-quoted Cypher identifier, the form
// the manual's commands and SHOW … AS COMMANDS use for users, roles and
// databases; a backtick inside is doubled, as Cypher escapes it.
func Identifier(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

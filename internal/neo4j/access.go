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

// User is a row of SHOW USERS.
type User struct {
	Name           string
	Roles          []string
	ChangeRequired bool
	Suspended      bool
	Home           string
}

// The queries, with the manual's column names (manage-users.adoc: user,
// roles, passwordChangeRequired, suspended, home; manage-roles.adoc: role;
// manage-privileges.adoc: AS COMMANDS returns command and immutable).
const (
	qShowUsers          = "SHOW USERS YIELD user, roles, passwordChangeRequired, suspended, home"
	qShowRoles          = "SHOW ROLES YIELD role"
	qShowRolePrivileges = "SHOW ROLE %s PRIVILEGES AS COMMANDS YIELD command"
)

// ShowUsers lists the DBMS's users.
func (c *Conn) ShowUsers(ctx context.Context) ([]User, error) {
	rows, err := c.run(ctx, "show-users", qShowUsers, nil)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(rows))
	for _, r := range rows {
		out = append(out, User{Name: r.str("user"), Roles: r.strs("roles"), ChangeRequired: r.bool("passwordChangeRequired"),
			Suspended: r.bool("suspended"), Home: r.str("home")})
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

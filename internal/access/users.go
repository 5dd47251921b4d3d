package access

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Reasons an object is not in sync.
const (
	ReasonConflict      = "Conflict"
	ReasonUnknownRole   = "UnknownRole"
	ReasonSecretProblem = "PasswordSecretProblem"
)

// decideUser plans one user: created whole, or altered in one ALTER USER
// and its role grants and revocations; dropped when deleted with policy
// Delete.
func decideUser(s State, u UserObject, owner map[string]Ref, declared map[string]bool) Outcome {
	name := u.Spec.Username
	have, exists := s.Users[name]
	out := Outcome{Exists: exists}
	if owner[name] != u.Object {
		o := owner[name]
		out.Reason, out.Message = ReasonConflict, fmt.Sprintf("user %s is managed by Neo4jUser %s, created earlier; this one changes nothing", name, o.Name)
		return out
	}
	if u.Deleting {
		if exists && u.Spec.DeletionPolicy == v1alpha1.DeletionDelete {
			out.Commands = []Command{{Text: "DROP USER " + Quote(name) + " IF EXISTS"}}
		}
		return out
	}
	if missing := unknownRoles(s, u.Spec.Roles, declared); len(missing) > 0 {
		out.Reason, out.Message = ReasonUnknownRole, fmt.Sprintf("Neo4j has no role %s and no Neo4jRole of this cluster declares it; nothing was changed for user %s",
			strings.Join(missing, ", "), name)
		return out
	}
	if p := u.Password; p != nil && p.Problem != "" {
		out.Reason, out.Message = ReasonSecretProblem, p.Problem
		if !exists {
			out.Message += "; the user is not created without its password"
			return out
		}
	}
	if !exists {
		out.Commands = createUser(u)
		out.PasswordVersion = passwordVersion(u)
		return out
	}
	out.Commands, out.PasswordVersion = alterUser(u, have)
	return out
}

// unknownRoles are the roles a user asks for that Neo4j does not have and
// no Neo4jRole creates in this pass.
func unknownRoles(s State, roles []string, declared map[string]bool) []string {
	var out []string
	for _, r := range roles {
		if !s.Roles[r] && !declared[r] {
			out = append(out, r)
		}
	}
	return out
}

func passwordVersion(u UserObject) string {
	if u.Password == nil || u.Password.Problem != "" {
		return ""
	}
	return u.Password.Version
}

// createUser is CREATE USER with every SET clause (manage-users.adoc:
// "It is mandatory to specify a SET PASSWORD and/or at least one SET AUTH
// clause"), then the role grants.
func createUser(u UserObject) []Command {
	var b strings.Builder
	b.WriteString("CREATE USER " + Quote(u.Spec.Username) + " IF NOT EXISTS")
	params := map[string]any{}
	if u.Password != nil {
		b.WriteString(" SET PASSWORD $password " + change(u.Spec.ChangeRequired))
		params["password"] = u.Password.Value
	}
	if u.Spec.Suspended {
		b.WriteString(" SET STATUS SUSPENDED")
	}
	if u.Spec.HomeDatabase != "" {
		b.WriteString(" SET HOME DATABASE " + Quote(u.Spec.HomeDatabase))
	}
	for i, a := range u.Spec.Auth {
		b.WriteString(authClause(a, i, params))
	}
	cmds := []Command{{Text: b.String(), Params: params}}
	if len(u.Spec.Roles) > 0 {
		cmds = append(cmds, grantRoles(slices.Sorted(slices.Values(u.Spec.Roles)), u.Spec.Username))
	}
	return cmds
}

// alterUser is one ALTER USER with what differs (REMOVE clauses before
// SET, manage-users.adoc), then role grants and revocations. The
// password is set when its Secret's content is not the one last set.
func alterUser(u UserObject, have User) ([]Command, string) {
	var removes, sets []string
	params := map[string]any{}
	version := ""
	if pv := passwordVersion(u); pv != "" && pv != u.AppliedPassword {
		sets = append(sets, "SET PASSWORD $password "+change(u.Spec.ChangeRequired))
		params["password"] = u.Password.Value
		version = pv
	}
	if u.Spec.Suspended != have.Suspended {
		sets = append(sets, "SET STATUS "+map[bool]string{true: "SUSPENDED", false: "ACTIVE"}[u.Spec.Suspended])
	}
	ar, as := authChanges(u, have.Auth, params)
	removes, sets = append(removes, ar...), append(sets, as...)
	switch {
	case u.Spec.HomeDatabase == "" && have.Home != "":
		removes = append(removes, "REMOVE HOME DATABASE")
	case u.Spec.HomeDatabase != "" && u.Spec.HomeDatabase != have.Home:
		sets = append(sets, "SET HOME DATABASE "+Quote(u.Spec.HomeDatabase))
	}
	var cmds []Command
	if len(removes)+len(sets) > 0 {
		cmds = append(cmds, Command{Text: "ALTER USER " + Quote(u.Spec.Username) + " " + strings.Join(append(removes, sets...), " "), Params: params})
	}
	if have.Suspended && u.Spec.Suspended {
		// A suspended native user "loses all assigned roles ... until
		// reactivated" (manage-users.adoc); whether SHOW USERS still lists
		// them then, the manual does not say. Role changes wait for the
		// reactivation, so that neither reading makes a command at every
		// reconcile.
		return cmds, version
	}
	grant, revoke := roleChanges(u.Spec.Roles, have.Roles)
	if len(grant) > 0 {
		cmds = append(cmds, grantRoles(grant, u.Spec.Username))
	}
	if len(revoke) > 0 {
		cmds = append(cmds, Command{Text: "REVOKE ROLES " + quoteAll(revoke) + " FROM " + Quote(u.Spec.Username)})
	}
	return cmds, version
}

// authChanges are the REMOVE AUTH and SET AUTH clauses that make the
// user's auth providers the spec's (SHOW USERS WITH AUTH lists them,
// new in 5.24): native stays while the user has a password Secret (SET
// PASSWORD is its clause). None when Neo4j's list was not read.
func authChanges(u UserObject, have map[string]string, params map[string]any) (removes, sets []string) {
	if have == nil {
		return nil, nil
	}
	want := map[string]string{}
	for _, a := range u.Spec.Auth {
		want[a.Provider] = a.ID
	}
	for _, p := range slices.Sorted(maps.Keys(have)) {
		_, keep := want[p]
		if p == "native" {
			keep = u.Spec.PasswordSecretRef != nil
		}
		if !keep && safeProvider.MatchString(p) {
			removes = append(removes, "REMOVE AUTH '"+p+"'")
		}
	}
	for i, a := range u.Spec.Auth {
		if id, ok := have[a.Provider]; !ok || id != a.ID {
			sets = append(sets, strings.TrimPrefix(authClause(a, i, params), " "))
		}
	}
	return removes, sets
}

// safeProvider: a provider name Neo4j listed that can be written back as
// a string literal as it is.
var safeProvider = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// roleChanges are the roles to grant and to revoke; PUBLIC is every
// user's and never revoked (built-in-roles.adoc).
func roleChanges(want, have []string) (grant, revoke []string) {
	for _, r := range slices.Sorted(slices.Values(want)) {
		if !slices.Contains(have, r) {
			grant = append(grant, r)
		}
	}
	for _, r := range slices.Sorted(slices.Values(have)) {
		if r != "PUBLIC" && !slices.Contains(want, r) {
			revoke = append(revoke, r)
		}
	}
	return grant, revoke
}

func grantRoles(roles []string, user string) Command {
	return Command{Text: "GRANT ROLES " + quoteAll(roles) + " TO " + Quote(user)}
}

func change(required bool) string {
	if required {
		return "CHANGE REQUIRED"
	}
	return "CHANGE NOT REQUIRED"
}

// authClause is SET AUTH 'provider' {SET ID $authIdN}: the provider must
// be a literal (the grammar), the id is a parameter.
func authClause(a v1alpha1.UserAuthProvider, i int, params map[string]any) string {
	key := fmt.Sprintf("authId%d", i)
	params[key] = a.ID
	return " SET AUTH '" + a.Provider + "' {SET ID $" + key + "}"
}

func quoteAll(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Quote(n)
	}
	return strings.Join(out, ", ")
}

package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// ReasonDrift: the role has privileges nobody declared.
const ReasonDrift = "Drift"

// decideRole plans one role: created (as a copy when asked), then every
// declared row it lacks granted; rows nobody declared are drift, revoked
// only with spec.enforce. Dropped when deleted with policy Delete.
func decideRole(s State, r RoleObject, owner map[string]Ref) Outcome {
	name := r.Spec.Name
	out := Outcome{Exists: s.Roles[name]}
	if owner[name] != r.Object {
		out.Reason, out.Message = ReasonConflict, fmt.Sprintf("role %s is managed by Neo4jRole %s, created earlier; this one changes nothing", name, owner[name].Name)
		return out
	}
	if r.Deleting {
		if out.Exists && r.Spec.DeletionPolicy == v1alpha1.DeletionDelete {
			out.Commands = []Command{{Text: "DROP ROLE " + Quote(name) + " IF EXISTS"}}
		}
		return out
	}
	want := Declared(s, r.Spec)
	if !out.Exists {
		create := "CREATE ROLE " + Quote(name) + " IF NOT EXISTS"
		if r.Spec.CopyOf != "" {
			create += " AS COPY OF " + Quote(r.Spec.CopyOf)
		}
		out.Commands = append(out.Commands, Command{Text: create})
		for _, row := range Declared(State{}, r.Spec) { // the copy brings the others
			out.Commands = append(out.Commands, Command{Text: row})
		}
		out.Privileges = want
		return out
	}
	have := s.Privileges[name]
	for _, row := range want {
		if !slices.Contains(have, row) {
			out.Commands = append(out.Commands, Command{Text: row})
		}
	}
	for _, row := range have {
		if slices.Contains(want, row) {
			continue
		}
		if r.Spec.Enforce {
			out.Commands = append(out.Commands, Command{Text: Revoke(row)})
			continue
		}
		out.Drift = append(out.Drift, row)
	}
	out.Privileges = union(want, out.Drift)
	if len(out.Drift) > 0 {
		out.Reason, out.Message = ReasonDrift, fmt.Sprintf("role %s has %d privileges nobody declared (status.drift); set spec.enforce to revoke them: %s",
			name, len(out.Drift), strings.Join(out.Drift, "; "))
	}
	return out
}

// Declared are the rows a role should have: those of the role it was
// copied from (as Neo4j copied them, under the new name) and its own.
func Declared(s State, spec v1alpha1.Neo4jRoleSpec) []string {
	var out []string
	if spec.CopyOf != "" {
		for _, row := range s.Privileges[spec.CopyOf] {
			out = append(out, renamed(row, spec.CopyOf, spec.Name))
		}
	}
	for _, p := range spec.Privileges {
		out = append(out, Commands(spec.Name, p)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// renamed is a row of one role as the same privilege of another.
func renamed(row, from, to string) string {
	return strings.TrimSuffix(row, " TO "+Quote(from)) + " TO " + Quote(to)
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

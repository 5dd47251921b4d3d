package access

import (
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// A privilege is compared in the form SHOW ROLE … PRIVILEGES AS COMMANDS
// returns it (Operations Manual 5.x, authentication-authorization/
// manage-privileges.adoc and built-in-roles.adoc), so that what Neo4j
// holds and what is declared meet as strings:
//
//   - the role is backtick-quoted: GRANT MATCH {*} ON GRAPH * NODE * TO `reader`;
//   - one row per segment, singular NODE or RELATIONSHIP, one label or
//     type per row (GRANT MATCH {*} ON GRAPH * TO reader is listed as a
//     NODE * row and a RELATIONSHIP * row);
//   - graph and database names backtick-quoted, * bare; labels and
//     properties bare;
//   - database privileges ON DATABASE `name`, ON DATABASE * or ON HOME
//     DATABASE.
//
// The fake cluster stores what it is granted in the same form. One
// property a row is this package's assumption (the manual's examples name
// one property or *); docs/security.md says so.

// databaseActions are the privileges whose scope is a database.
var databaseActions = []string{"ACCESS", "START", "STOP", "INDEX MANAGEMENT", "CONSTRAINT MANAGEMENT",
	"NAME MANAGEMENT", "SHOW INDEX", "SHOW CONSTRAINT", "ALL DATABASE PRIVILEGES"}

// segmented are the graph privileges that take a NODE/RELATIONSHIP
// segment; the others (WRITE, SET LABEL, REMOVE LABEL, ALL GRAPH
// PRIVILEGES) take none (privileges-writes.adoc).
var segmented = []string{"TRAVERSE", "READ", "MATCH", "CREATE", "DELETE", "SET PROPERTY", "MERGE"}

// Commands are the rows a privilege is to the role, in the AS COMMANDS
// form.
func Commands(role string, p v1alpha1.Privilege) []string {
	access := string(p.Access)
	if access == "" {
		access = string(v1alpha1.Grant)
	}
	to := " TO " + Quote(role)
	if slices.Contains(databaseActions, p.Action) {
		return []string{access + " " + p.Action + " ON " + databaseScope(p.Database) + to}
	}
	var out []string
	for _, q := range qualifiers(p) {
		head := access + " " + p.Action + q + " ON GRAPH " + name(p.Graph)
		for _, seg := range segments(p) {
			out = append(out, head+seg+to)
		}
	}
	return out
}

// Revoke is the command that removes one row: REVOKE GRANT|DENY … FROM.
func Revoke(command string) string {
	i := strings.LastIndex(command, " TO ")
	return "REVOKE " + command[:i] + " FROM " + command[i+len(" TO "):]
}

// qualifiers are the braces of each row: a property (READ, MATCH, SET
// PROPERTY, MERGE) or a label (SET LABEL, REMOVE LABEL), one a row.
func qualifiers(p v1alpha1.Privilege) []string {
	switch {
	case len(p.Properties) > 0:
		return each(p.Properties, func(s string) string { return " {" + s + "}" })
	case len(p.Labels) > 0:
		return each(p.Labels, func(s string) string { return " " + s })
	}
	return []string{""}
}

// segments are the NODE and RELATIONSHIP parts of each row; ELEMENTS *
// when none is given, which Neo4j lists as a row of each.
func segments(p v1alpha1.Privilege) []string {
	if !slices.Contains(segmented, p.Action) {
		return []string{""}
	}
	nodes, rels := p.Nodes, p.Relationships
	if len(nodes) == 0 && len(rels) == 0 {
		nodes, rels = []string{"*"}, []string{"*"}
	}
	out := each(nodes, func(s string) string { return " NODE " + s })
	return append(out, each(rels, func(s string) string { return " RELATIONSHIP " + s })...)
}

func databaseScope(db string) string {
	if db == "HOME" {
		return "HOME DATABASE"
	}
	return "DATABASE " + name(db)
}

// name quotes a graph or database name; * stays bare.
func name(s string) string {
	if s == "*" {
		return s
	}
	return Quote(s)
}

// Quote is a name as an escaped Cypher identifier (neo4j.Identifier). The
// CRDs allow no backtick in names.
func Quote(s string) string { return neo4j.Identifier(s) }

func each(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range slices.Sorted(slices.Values(in)) {
		out = append(out, f(s))
	}
	return out
}

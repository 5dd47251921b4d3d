// Package access decides, purely, what to send Neo4j so that its users
// and roles match the cluster's Neo4jUser and Neo4jRole objects: the
// difference between what SHOW USERS, SHOW ROLES and SHOW ROLE …
// PRIVILEGES AS COMMANDS returned and what the objects declare, in the
// manual's literal command forms (Operations Manual 5.x,
// authentication-authorization/manage-users.adoc, manage-roles.adoc,
// manage-privileges.adoc). Passwords travel as a parameter only.
//
// Every object gets an outcome: the commands for it (one object's
// commands are sent together, and a refusal stops that object only), or
// why nothing is sent (a conflict, a role Neo4j does not have, a missing
// Secret). Nothing is half-applied: an object with a problem gets no
// command at all.
package access

import (
	"slices"
	"sort"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// User is a row of SHOW USERS.
type User = neo4j.User

// State is what Neo4j holds, as read from the system database.
type State struct {
	Users map[string]User
	Roles map[string]bool
	// Privileges of the roles read (the declared ones and those copied
	// from), in the AS COMMANDS form, by role.
	Privileges map[string][]string
}

// Password is what a user's Secret holds. Value is sent as a parameter
// and never logged: Password has a String method that hides it.
type Password struct {
	// Version identifies the Secret's content (its UID, resourceVersion
	// and key, hashed); "" with Problem set when it cannot be used.
	Version string
	Value   string
	Problem string
}

// String hides the value.
func (Password) String() string { return "<password>" }

// UserObject is a Neo4jUser as the controller read it.
type UserObject struct {
	Object Ref
	Spec   v1alpha1.Neo4jUserSpec
	// Deleting: the object is being deleted (with policy Delete, the
	// user is dropped).
	Deleting bool
	// Password is the Secret's content (nil without passwordSecretRef).
	Password *Password
	// AppliedPassword is status.observedPasswordVersion.
	AppliedPassword string
}

// RoleObject is a Neo4jRole as the controller read it.
type RoleObject struct {
	Object   Ref
	Spec     v1alpha1.Neo4jRoleSpec
	Deleting bool
}

// Ref names an object and orders objects claiming the same name: the
// oldest (then the first by name) owns it.
type Ref struct {
	Kind, Namespace, Name string
	Created               int64 // creation time, Unix seconds
}

func (r Ref) before(o Ref) bool {
	if r.Created != o.Created {
		return r.Created < o.Created
	}
	return r.Name < o.Name
}

// Command is one administration command: its text, and the parameters
// (a password) it is sent with.
type Command struct {
	Text   string
	Params map[string]any
}

// String is the text alone, never the parameters.
func (c Command) String() string { return c.Text }

// Outcome is what happens to one object now.
type Outcome struct {
	Commands []Command
	// Reason and Message say why nothing is sent, or what is left
	// (Synced=False); "" when in sync once Commands are sent.
	Reason, Message string
	// Exists: the user or role is in Neo4j (before Commands).
	Exists bool
	// PasswordVersion to record once Commands succeeded ("" keeps the
	// status's).
	PasswordVersion string
	// Privileges are the role's rows in Neo4j once Commands succeed;
	// Drift those not declared.
	Privileges, Drift []string
}

// Plan is every object's outcome, roles first: users are granted roles
// that may be created in the same pass.
type Plan struct {
	Roles map[Ref]Outcome
	Users map[Ref]Outcome
	// Order is the objects in the order their commands are sent.
	Order []Ref
}

// Decide plans the commands.
func Decide(s State, users []UserObject, roles []RoleObject) Plan {
	p := Plan{Roles: map[Ref]Outcome{}, Users: map[Ref]Outcome{}}
	roleOwner := owners(roles, func(r RoleObject) (string, Ref) { return r.Spec.Name, r.Object })
	declared := map[string]bool{}
	var dropped []Ref // roles being deleted go last, after the users that had them
	for _, r := range sorted(roles, func(r RoleObject) Ref { return r.Object }) {
		o := decideRole(s, r, roleOwner)
		p.Roles[r.Object] = o
		if r.Deleting {
			dropped = append(dropped, r.Object)
			continue
		}
		p.Order = append(p.Order, r.Object)
		if o.Reason == "" {
			declared[r.Spec.Name] = true
		}
	}
	userOwner := owners(users, func(u UserObject) (string, Ref) { return u.Spec.Username, u.Object })
	for _, u := range sorted(users, func(u UserObject) Ref { return u.Object }) {
		p.Users[u.Object] = decideUser(s, u, userOwner, declared)
		p.Order = append(p.Order, u.Object)
	}
	p.Order = append(p.Order, dropped...)
	return p
}

// owners maps each name to the object that owns it: the oldest.
func owners[T any](objs []T, key func(T) (string, Ref)) map[string]Ref {
	out := map[string]Ref{}
	for _, o := range objs {
		name, ref := key(o)
		if cur, ok := out[name]; !ok || ref.before(cur) {
			out[name] = ref
		}
	}
	return out
}

func sorted[T any](objs []T, ref func(T) Ref) []T {
	out := slices.Clone(objs)
	sort.Slice(out, func(i, j int) bool { return ref(out[i]).before(ref(out[j])) })
	return out
}

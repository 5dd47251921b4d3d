package access

import (
	"reflect"
	"testing"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    v1alpha1.Privilege
		want []string
	}{
		{"MATCH on every element: a NODE row and a RELATIONSHIP row (built-in-roles.adoc's reader)",
			v1alpha1.Privilege{Action: "MATCH", Graph: "*", Properties: []string{"*"}},
			[]string{"GRANT MATCH {*} ON GRAPH * NODE * TO `app`", "GRANT MATCH {*} ON GRAPH * RELATIONSHIP * TO `app`"}},
		{"READ of two properties on one label: a row per property",
			v1alpha1.Privilege{Action: "READ", Graph: "movies", Nodes: []string{"Person"}, Properties: []string{"name", "born"}},
			[]string{"GRANT READ {born} ON GRAPH `movies` NODE Person TO `app`", "GRANT READ {name} ON GRAPH `movies` NODE Person TO `app`"}},
		{"DENY TRAVERSE on two relationship types, sorted",
			v1alpha1.Privilege{Access: v1alpha1.Deny, Action: "TRAVERSE", Graph: "*", Relationships: []string{"PAID", "OWES"}},
			[]string{"DENY TRAVERSE ON GRAPH * RELATIONSHIP OWES TO `app`", "DENY TRAVERSE ON GRAPH * RELATIONSHIP PAID TO `app`"}},
		{"WRITE takes no segment (privileges-writes.adoc)",
			v1alpha1.Privilege{Action: "WRITE", Graph: "*"}, []string{"GRANT WRITE ON GRAPH * TO `app`"}},
		{"SET LABEL names labels, no segment",
			v1alpha1.Privilege{Action: "SET LABEL", Graph: "neo4j", Labels: []string{"Archived"}}, []string{"GRANT SET LABEL Archived ON GRAPH `neo4j` TO `app`"}},
		{"ACCESS on a database (database-administration.adoc)",
			v1alpha1.Privilege{Action: "ACCESS", Database: "neo4j"}, []string{"GRANT ACCESS ON DATABASE `neo4j` TO `app`"}},
		{"ACCESS on the home database",
			v1alpha1.Privilege{Action: "ACCESS", Database: "HOME"}, []string{"GRANT ACCESS ON HOME DATABASE TO `app`"}},
		{"ALL DATABASE PRIVILEGES on every database",
			v1alpha1.Privilege{Action: "ALL DATABASE PRIVILEGES", Database: "*"}, []string{"GRANT ALL DATABASE PRIVILEGES ON DATABASE * TO `app`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Commands("app", tc.p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	if got, want := Revoke("DENY ACCESS ON DATABASE `neo4j` TO `noAccessUsers`"), "REVOKE DENY ACCESS ON DATABASE `neo4j` FROM `noAccessUsers`"; got != want {
		t.Errorf("revoke %q, want %q (manage-privileges.adoc)", got, want)
	}
}

func ref(kind, name string, created int64) Ref {
	return Ref{Kind: kind, Namespace: "ns", Name: name, Created: created}
}

func user(name, username string, created int64, edit ...func(*UserObject)) UserObject {
	u := UserObject{Object: ref("Neo4jUser", name, created), Spec: v1alpha1.Neo4jUserSpec{Username: username,
		PasswordSecretRef: &v1alpha1.SecretKeyRef{Name: name, Key: "password"}},
		Password: &Password{Version: "v1", Value: "s3cret-pass"}}
	for _, e := range edit {
		e(&u)
	}
	return u
}

func role(name, rolename string, created int64, edit ...func(*RoleObject)) RoleObject {
	r := RoleObject{Object: ref("Neo4jRole", name, created), Spec: v1alpha1.Neo4jRoleSpec{Name: rolename,
		Privileges: []v1alpha1.Privilege{{Action: "ACCESS", Database: "neo4j"}}}}
	for _, e := range edit {
		e(&r)
	}
	return r
}

func base() State {
	return State{Users: map[string]User{"neo4j": {Name: "neo4j", Roles: []string{"admin", "PUBLIC"}}},
		Roles:      map[string]bool{"PUBLIC": true, "reader": true, "editor": true, "publisher": true, "architect": true, "admin": true},
		Privileges: map[string][]string{"reader": {"GRANT ACCESS ON DATABASE * TO `reader`", "GRANT MATCH {*} ON GRAPH * NODE * TO `reader`"}}}
}

func texts(cmds []Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Text)
	}
	return out
}

func TestDecideUsers(t *testing.T) {
	// existing: alice is in Neo4j with reader, as edit leaves her.
	existing := func(s State, edit ...func(*User)) State {
		a := User{Name: "alice", Roles: []string{"PUBLIC", "reader"}}
		for _, e := range edit {
			e(&a)
		}
		s.Users["alice"] = a
		return s
	}
	for _, tc := range []struct {
		name     string
		state    State
		users    []UserObject
		roles    []RoleObject
		want     []string // commands of the first user
		reason   string
		password string // PasswordVersion to record
	}{
		{name: "a new user: created whole with the password as a parameter, then its roles",
			state: base(), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Spec.Roles, u.Spec.HomeDatabase = []string{"reader", "editor"}, "movies"
			})},
			want:     []string{"CREATE USER `alice` IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED SET HOME DATABASE `movies`", "GRANT ROLES `editor`, `reader` TO `alice`"},
			password: "v1"},
		{name: "in sync: nothing",
			state: existing(base()), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Spec.Roles, u.AppliedPassword = []string{"reader"}, "v1" })}},
		{name: "the Secret changed: one ALTER USER",
			state: existing(base()), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Spec.Roles, u.AppliedPassword, u.Password.Version = []string{"reader"}, "v1", "v2"
			})},
			want: []string{"ALTER USER `alice` SET PASSWORD $password CHANGE NOT REQUIRED"}, password: "v2"},
		{name: "suspended, home removed, a role swapped: REMOVE before SET, then grant and revoke",
			state: existing(base(), func(a *User) { a.Home = "movies" }),
			users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Spec.Roles, u.AppliedPassword, u.Spec.Suspended = []string{"editor"}, "v1", true
			})},
			want: []string{"ALTER USER `alice` REMOVE HOME DATABASE SET STATUS SUSPENDED", "GRANT ROLES `editor` TO `alice`", "REVOKE ROLES `reader` FROM `alice`"}},
		{name: "suspended in Neo4j and in the spec: role changes wait for the reactivation (SHOW USERS may list none)",
			state: existing(base(), func(a *User) { a.Suspended, a.Roles = true, nil }),
			users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Spec.Roles, u.AppliedPassword, u.Spec.Suspended = []string{"reader"}, "v1", true
			})}},
		{name: "an auth provider added, one no longer listed removed: REMOVE before SET, native kept for the password",
			state: existing(base(), func(a *User) {
				a.Roles, a.Auth = []string{"PUBLIC"}, map[string]string{"native": "", "ldap": "cn=alice"}
			}),
			users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.AppliedPassword = "v1"
				u.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "alice@corp"}}
			})},
			want: []string{"ALTER USER `alice` REMOVE AUTH 'ldap' SET AUTH 'oidc-corp' {SET ID $authId0}"}},
		{name: "providers as declared, native for the password: nothing",
			state: existing(base(), func(a *User) {
				a.Roles, a.Auth = []string{"PUBLIC"}, map[string]string{"native": "", "oidc-corp": "alice@corp"}
			}),
			users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.AppliedPassword = "v1"
				u.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "alice@corp"}}
			})}},
		{name: "an SSO-only user that had a password: native removed",
			state: existing(base(), func(a *User) {
				a.Roles, a.Auth = []string{"PUBLIC"}, map[string]string{"native": "", "oidc-corp": "alice@corp"}
			}),
			users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Spec.PasswordSecretRef, u.Password = nil, nil
				u.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "alice@corp"}}
			})},
			want: []string{"ALTER USER `alice` REMOVE AUTH 'native'"}},
		{name: "a role nobody has: nothing at all, the role named",
			state: base(), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Spec.Roles = []string{"reader", "auditor"} })},
			reason: ReasonUnknownRole},
		{name: "a role a Neo4jRole creates in the same pass is known",
			state: base(), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Spec.Roles = []string{"auditor"} })},
			roles: []RoleObject{role("auditor", "auditor", 1)},
			want:  []string{"CREATE USER `alice` IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED", "GRANT ROLES `auditor` TO `alice`"}, password: "v1"},
		{name: "the Secret is missing: not created with an empty password",
			state: base(), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Password = &Password{Problem: "Secret ns/alice not found"} })},
			reason: ReasonSecretProblem},
		{name: "two objects, one username: the older owns it",
			state: base(), users: []UserObject{user("b-newer", "alice", 2), user("a-older", "alice", 1)},
			want: []string{"CREATE USER `alice` IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED"}, password: "v1"},
		{name: "deleted with policy Delete: dropped",
			state: existing(base()), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) {
				u.Deleting, u.Spec.DeletionPolicy = true, v1alpha1.DeletionDelete
			})},
			want: []string{"DROP USER `alice` IF EXISTS"}},
		{name: "deleted with policy Retain: left in Neo4j",
			state: existing(base()), users: []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Deleting, u.Spec.DeletionPolicy = true, v1alpha1.DeletionRetain })}},
		{name: "an SSO user: SET AUTH with the provider literal and the id a parameter",
			state: base(), users: []UserObject{user("bob", "bob", 1, func(u *UserObject) {
				u.Spec.PasswordSecretRef, u.Password = nil, nil
				u.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "bob@corp"}}
			})},
			want: []string{"CREATE USER `bob` IF NOT EXISTS SET AUTH 'oidc-corp' {SET ID $authId0}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(tc.state, tc.users, tc.roles)
			first := sorted(tc.users, func(u UserObject) Ref { return u.Object })[0]
			o := p.Users[first.Object]
			if got := texts(o.Commands); !reflect.DeepEqual(got, tc.want) || o.Reason != tc.reason || o.PasswordVersion != tc.password {
				t.Fatalf("commands %q reason %q password %q\nwant %q %q %q (%s)", got, o.Reason, o.PasswordVersion, tc.want, tc.reason, tc.password, o.Message)
			}
			for _, c := range o.Commands {
				if v, ok := c.Params["password"]; ok && v != "s3cret-pass" {
					t.Errorf("password parameter %v", v)
				}
			}
			if len(tc.users) == 2 {
				if other := p.Users[tc.users[0].Object]; other.Reason != ReasonConflict || len(other.Commands) != 0 {
					t.Errorf("the newer object: %+v, want a Conflict and no command", other)
				}
			}
		})
	}
}

func TestDecideRoles(t *testing.T) {
	withRole := func(rows ...string) State {
		s := base()
		s.Roles["auditor"] = true
		s.Privileges["auditor"] = rows
		return s
	}
	access := "GRANT ACCESS ON DATABASE `neo4j` TO `auditor`"
	hand := "GRANT WRITE ON GRAPH * TO `auditor`"
	for _, tc := range []struct {
		name   string
		state  State
		role   RoleObject
		want   []string
		drift  []string
		reason string
	}{
		{name: "a new role: created, then each declared row granted",
			state: base(), role: role("auditor", "auditor", 1), want: []string{"CREATE ROLE `auditor` IF NOT EXISTS", access}},
		{name: "a copy of reader: the copy brings reader's rows, its own are granted",
			state: base(), role: role("auditor", "auditor", 1, func(r *RoleObject) { r.Spec.CopyOf = "reader" }),
			want: []string{"CREATE ROLE `auditor` IF NOT EXISTS AS COPY OF `reader`", access}},
		{name: "a copy in sync: reader's rows count as declared",
			state: withRole(access, "GRANT ACCESS ON DATABASE * TO `auditor`", "GRANT MATCH {*} ON GRAPH * NODE * TO `auditor`"),
			role:  role("auditor", "auditor", 1, func(r *RoleObject) { r.Spec.CopyOf = "reader" })},
		{name: "a row missing: granted alone",
			state: withRole(), role: role("auditor", "auditor", 1), want: []string{access}},
		{name: "a row added by hand: drift, reported, left",
			state: withRole(access, hand), role: role("auditor", "auditor", 1), drift: []string{hand}, reason: ReasonDrift},
		{name: "a row added by hand, enforced: revoked",
			state: withRole(access, hand), role: role("auditor", "auditor", 1, func(r *RoleObject) { r.Spec.Enforce = true }),
			want: []string{"REVOKE GRANT WRITE ON GRAPH * FROM `auditor`"}},
		{name: "deleted with policy Delete: dropped",
			state: withRole(access), role: role("auditor", "auditor", 1, func(r *RoleObject) { r.Deleting, r.Spec.DeletionPolicy = true, v1alpha1.DeletionDelete }),
			want: []string{"DROP ROLE `auditor` IF EXISTS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Decide(tc.state, nil, []RoleObject{tc.role}).Roles[tc.role.Object]
			if got := texts(o.Commands); !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(o.Drift, tc.drift) || o.Reason != tc.reason {
				t.Fatalf("commands %q drift %q reason %q\nwant %q %q %q", got, o.Drift, o.Reason, tc.want, tc.drift, tc.reason)
			}
		})
	}
}

// Roles are created before users are granted them, and dropped after the
// users that had them.
func TestOrder(t *testing.T) {
	s := base()
	s.Roles["old"] = true
	s.Users["carol"] = User{Name: "carol", Roles: []string{"PUBLIC", "old"}}
	users := []UserObject{user("alice", "alice", 1, func(u *UserObject) { u.Spec.Roles = []string{"auditor"} }),
		user("carol", "carol", 1, func(u *UserObject) { u.Deleting, u.Spec.DeletionPolicy = true, v1alpha1.DeletionDelete })}
	roles := []RoleObject{role("old", "old", 1, func(r *RoleObject) { r.Deleting, r.Spec.DeletionPolicy = true, v1alpha1.DeletionDelete }),
		role("auditor", "auditor", 2)}
	p := Decide(s, users, roles)
	var names []string
	for _, r := range p.Order {
		names = append(names, r.Name)
	}
	if want := []string{"auditor", "alice", "carol", "old"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
}

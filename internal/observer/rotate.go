package observer

import (
	"context"
	"fmt"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// The auth Secret is the admin password's source: when it no longer holds
// the password Neo4j last accepted, Neo4j is told the new one, without a
// restart. The image reads NEO4J_AUTH only when a server first
// initialises its store (docker-neo4j's entrypoint sets the initial
// password then), so the pods need nothing.

// alterCurrentUser changes the session user's own password (Operations
// Manual 5.x, authentication-authorization/manage-users.adoc: "ALTER
// CURRENT USER SET PASSWORD FROM 'oldPassword' TO 'newPassword'", either
// "a string value or a string parameter").
const alterCurrentUser = "ALTER CURRENT USER SET PASSWORD FROM $old TO $new"

// Rotation is what RotatePassword did.
type Rotation struct {
	Rotated bool
	// Problem says why Neo4j's password does not follow the Secret (""
	// when it does or needed not).
	Problem string
}

// RotatePassword sends ALTER CURRENT USER to the system leader (leader;
// the last server that answered when ""), logged in with the password
// Neo4j last accepted, when the auth Secret holds another. It is tried
// once per Secret version: a refusal is a failed login, and Neo4j locks
// an account out after three in a row
// (dbms.security.auth_max_failed_attempts); a retry needs the Secret to
// change again.
func (o *Observers) RotatePassword(ctx context.Context, t Target, leader string) Rotation {
	old, e := o.provenFor(t)
	if old == nil {
		return Rotation{} // nothing accepted yet: the Secret's is the initial password
	}
	creds, version, err := o.credentials(ctx, t)
	switch {
	case err != nil, creds == old.creds:
		return Rotation{} // an unusable Secret is the polls' to report
	case creds.User != old.creds.User:
		return Rotation{Problem: fmt.Sprintf("the auth Secret names user %s, Neo4j's administrator is %s: change the password only", creds.User, old.creds.User)}
	}
	if tried, problem := o.tried(e, version); tried {
		return Rotation{Problem: problem}
	}
	if leader == "" {
		leader = e.good
	}
	err = o.alter(ctx, t, leader, old.creds, creds)
	return o.rotatedTo(e, t, version, creds, err)
}

// provenFor is the cluster's entry and the credentials Neo4j last
// accepted (nil when none, or when Neo4j refuses them now: a password
// changed outside the operator is not rotated from).
func (o *Observers) provenFor(t Target) (*accepted, *entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.clusters[t.Cluster]
	if e == nil || e.proven == nil || e.proven.secret != t.Secret || e.proven.key != t.Key {
		return nil, e
	}
	if e.last != nil && e.last.Failure == neo4j.AuthFailed && e.last.secretVersion == e.proven.version {
		return nil, e
	}
	return e.proven, e
}

// tried says whether this Secret version was tried, and what failed.
func (o *Observers) tried(e *entry, version string) (bool, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.rotated == version {
		return true, e.rotationProblem
	}
	e.rotated, e.rotationProblem = version, ""
	return false, ""
}

func (o *Observers) alter(ctx context.Context, t Target, addr string, old, next neo4j.Credentials) error {
	tlsConfig, err := o.TLSConfig(ctx, t)
	if err != nil {
		return err
	}
	conn, err := o.Dialer.DialTLS(addr, old, t.CalVer, tlsConfig)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	return conn.Administer(ctx, alterCurrentUser, map[string]any{"old": old.Password, "new": next.Password})
}

// rotatedTo records a rotation's outcome; a rotated password is kept for
// the polls at once, so none of them tries it as a stranger.
func (o *Observers) rotatedTo(e *entry, t Target, version string, creds neo4j.Credentials, err error) Rotation {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		e.rotationProblem = fmt.Sprintf("Neo4j did not take the auth Secret's new password (%s): it keeps the previous one. "+
			"If the password was changed in Cypher, set the Secret to it; the rotation is tried again when the Secret changes", neo4j.Summary(err))
		return Rotation{Problem: e.rotationProblem}
	}
	acc := &accepted{secret: t.Secret, key: t.Key, version: version, target: version, readAt: time.Now(), creds: creds}
	e.accepted, e.proven = acc, acc
	e.commandAt, e.next = time.Now(), time.Time{}
	return Rotation{Rotated: true}
}

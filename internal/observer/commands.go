package observer

import (
	"context"
	"crypto/tls"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// CommandSent records that a command was just sent to the cluster's
// Neo4j: until a poll that starts later has been recorded, the last
// observation is not Fresh, and the next poll runs at once.
func (o *Observers) CommandSent(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok {
		e.commandAt, e.next = time.Now(), time.Time{}
	}
}

// LastFresh is the latest observation of a cluster and whether it started
// after the last command sent to it (what it shows includes that
// command's effect), read together.
func (o *Observers) LastFresh(key types.NamespacedName) (obs Observation, fresh, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, found := o.clusters[key]
	if !found || e.last == nil {
		return Observation{}, false, false
	}
	return *e.last, e.last.At.After(e.commandAt), true
}

// Refusal is a command Neo4j refused: which, its answer, when, and how
// many times in a row.
type Refusal struct {
	Kind, Server, Message string
	At                    time.Time
	Attempts              int
}

// Refusal is the last refusal of a cluster's commands (nil: none since
// the last accepted command).
func (o *Observers) Refusal(key types.NamespacedName) *Refusal {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok && e.refusal != nil {
		r := *e.refusal
		return &r
	}
	return nil
}

// Refused records a refusal of a command (kind, server); a repeat of the
// same refusal counts up. It reports whether Neo4j's answer is new, so the
// caller announces it once.
func (o *Observers) Refused(key types.NamespacedName, kind, server, msg string) (changed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.clusters[key]
	if !ok {
		return true
	}
	r := e.refusal
	if r != nil && r.Kind == kind && r.Server == server && r.Message == msg {
		r.Attempts++
		r.At = time.Now()
		return false
	}
	e.refusal = &Refusal{Kind: kind, Server: server, Message: msg, At: time.Now(), Attempts: 1}
	return true
}

// Accepted clears the refusal record after a command Neo4j accepted.
func (o *Observers) Accepted(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok {
		e.refusal = nil
	}
}

// Admin opens an admin connection to the server at addr with the
// cluster's credentials, read now from the auth Secret, over TLS when the
// cluster's Bolt has it.
func (o *Observers) Admin(ctx context.Context, t Target, addr string) (*neo4j.Conn, error) {
	s, err := o.Session(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.Dial(addr)
}

// AdminSession dials several servers with one read of the Secrets.
type AdminSession struct {
	// TLS is the client TLS configuration (nil without Bolt TLS).
	TLS  *tls.Config
	Dial func(addr string) (*neo4j.Conn, error)
}

// Session reads the cluster's credentials and TLS configuration once.
func (o *Observers) Session(ctx context.Context, t Target) (AdminSession, error) {
	creds, _, err := o.credentials(ctx, t)
	if err != nil {
		return AdminSession{}, err
	}
	tlsConfig, err := o.TLSConfig(ctx, t)
	if err != nil {
		return AdminSession{}, err
	}
	return AdminSession{TLS: tlsConfig, Dial: func(addr string) (*neo4j.Conn, error) {
		return o.Dialer.DialTLS(addr, creds, t.CalVer, tlsConfig)
	}}, nil
}

// Package neo4j talks to Neo4j servers over Bolt, with the official Go
// driver (github.com/neo4j/neo4j-go-driver/v5): the cluster-administration
// commands the operator needs, each bounded in time, each counted and
// timed. It is the only package that knows Cypher.
package neo4j

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
)

// Credentials of the neo4j user. They are never logged nor part of an
// error.
type Credentials struct{ User, Password string }

// Dialer opens admin connections to servers.
type Dialer struct {
	// Timeout bounds every call, connection included: a slow or
	// unreachable server must not hold a reconcile worker.
	Timeout time.Duration
	// Resolve, when set, maps a server's host:port to the address dialled
	// instead: the test hook that points <pod>-internals names at fake
	// servers on loopback. Off in production.
	Resolve func(hostport string) string
}

// DefaultTimeout bounds a call when the Dialer sets none.
const DefaultTimeout = 10 * time.Second

// Conn is an admin connection to one server, on the system database.
type Conn struct {
	d       driver.DriverWithContext
	timeout time.Duration
	// CalVer selects the 2025.x dialect where it differs from 5.26.
	CalVer bool
}

// Dial connects to the server at hostport (host:7687) over plaintext
// Bolt. It does not talk to the server yet: the first call does.
func (d Dialer) Dial(hostport string, creds Credentials, calver bool) (*Conn, error) {
	return d.DialTLS(hostport, creds, calver, nil)
}

// DialTLS connects as Dial does, over TLS (bolt+s) when tlsConfig is not
// nil: its RootCAs verify the server, its Certificates are presented when
// the server asks for a client certificate. The driver checks the
// certificate against the host dialled.
func (d Dialer) DialTLS(hostport string, creds Credentials, calver bool, tlsConfig *tls.Config) (*Conn, error) {
	timeout := d.timeout()
	target, err := d.target(hostport)
	if err != nil {
		return nil, err
	}
	scheme := "bolt://"
	if tlsConfig != nil {
		scheme = "bolt+s://"
	}
	drv, err := driver.NewDriverWithContext(scheme+target, driver.BasicAuth(creds.User, creds.Password, ""), func(c *config.Config) {
		c.SocketConnectTimeout = timeout
		c.ConnectionAcquisitionTimeout = timeout
		c.MaxConnectionPoolSize = 2
		c.MaxConnectionLifetime = 10 * time.Minute
		c.UserAgent = "neo4j-operator"
		if tlsConfig != nil {
			c.TlsConfig = tlsConfig.Clone()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("neo4j: %w", err)
	}
	return &Conn{d: drv, timeout: timeout, CalVer: calver}, nil
}

func (d Dialer) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultTimeout
	}
	return d.Timeout
}

// target is the address dialled for hostport.
func (d Dialer) target(hostport string) (string, error) {
	target := hostport
	if d.Resolve != nil {
		target = d.Resolve(hostport)
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		return "", fmt.Errorf("neo4j: address %q: %w", target, err)
	}
	return target, nil
}

// PresentedCertificate is the SHA-256 fingerprint of the leaf certificate
// the server at hostport presents on its Bolt port, read in a TLS
// handshake that sends no Bolt message. It tells whether a server serves a
// rotated certificate yet. The certificate is verified as DialTLS would.
func (d Dialer) PresentedCertificate(ctx context.Context, hostport string, tlsConfig *tls.Config) (string, error) {
	target, err := d.target(hostport)
	if err != nil {
		return "", err
	}
	cfg := tlsConfig.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(target) // as the driver does: the host dialled
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	conn, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", target)
	if err != nil {
		return "", &Error{Query: "tls-handshake", Kind: Unavailable, Err: err}
	}
	defer func() { _ = conn.Close() }()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", &Error{Query: "tls-handshake", Kind: Unknown, Err: errors.New("no certificate presented")}
	}
	return Fingerprint(certs[0]), nil
}

// HandshakeCertificate is the SHA-256 fingerprint of the leaf certificate
// the server at hostport presents in a TLS handshake on a port the
// operator speaks no protocol on: HTTPS (7473), cluster (6000), backup
// (6362). It sends nothing beyond the handshake, presents no client
// certificate, and closes at once. It tells whether a server serves a
// rotated certificate on that channel yet.
//
// The certificate is pinned, not verified: the caller compares it byte for
// byte with the leaf in the channel's Secret, which no chain or name check
// would make stronger, and which a public CA's HTTPS certificate that does
// not name the internals Service would fail. The server still proves it
// holds that certificate's key, as in every handshake (TLS 1.3
// CertificateVerify, TLS 1.2 ECDHE ServerKeyExchange).
//
// Servers that ask clients for a certificate (client_auth REQUIRE, the
// default of the cluster and backup scopes: Operations Manual, security/
// ssl-framework.adoc, "`REQUIRE` for `cluster` and `backup`") refuse a
// handshake without one. The operator has no certificate of its own for
// those channels, and presenting the servers' own would make a check look
// like a peer joining: so it presents none, and reads the server's
// certificate before the refusal. A refusal counts only once the server
// has asked for the client certificate, which crypto/tls does after it
// has checked the server's signature (TLS 1.2 after ServerKeyExchange and
// ServerHelloDone, TLS 1.3 after the server's Finished). Under TLS 1.3 the
// client's handshake completes first and the refusal comes after it.
func (d Dialer) HandshakeCertificate(ctx context.Context, hostport string) (string, error) {
	target, err := d.target(hostport)
	if err != nil {
		return "", err
	}
	host, _, _ := net.SplitHostPort(hostport)
	var leaf *x509.Certificate
	asked := false
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: host, // SNI only: the name the server is known by
		// Pinned by the caller (above): the chain and the name are not
		// checked, and nothing is sent over the connection.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				leaf = cs.PeerCertificates[0]
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked = true
			return &tls.Certificate{}, nil // none
		},
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	conn, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", target)
	if conn != nil {
		defer func() { _ = conn.Close() }()
	}
	var op *net.OpError
	switch {
	case err == nil:
	case leaf != nil && asked && errors.As(err, &op) && op.Op == "remote error":
		// Refused for want of a client certificate, after presenting its own.
	default:
		return "", &Error{Query: "tls-handshake", Kind: Unavailable, Err: err}
	}
	if leaf == nil {
		return "", &Error{Query: "tls-handshake", Kind: Unknown, Err: errors.New("no certificate presented")}
	}
	return Fingerprint(leaf), nil
}

// CertificateRejected is true when a TLS connection failed because the
// server's certificate could not be verified: never a reason to retry
// without TLS.
func CertificateRejected(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "tls: failed to verify")
}

// Fingerprint is a certificate's SHA-256, as "sha256:<hex>".
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// closeTimeout bounds saying goodbye to a server that stopped answering.
const closeTimeout = 2 * time.Second

// Close releases the connection, within closeTimeout.
func (c *Conn) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	return c.d.Close(ctx)
}

// Summary is a stable, secret-free description of a failed call, for
// conditions: the kind and Neo4j's code, never the driver's text (which
// carries timestamps and local ports that would change on every poll).
func Summary(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return fmt.Sprintf("%s (%s)", e.Kind, e.Code)
		}
		return string(e.Kind)
	}
	return string(Unknown)
}

// Refusal is Neo4j's code and message of a refused command, which name
// what stood in the way (a database, a server state), or "" when err is
// not a refusal. The message is Neo4j's own: stable from one attempt to
// the next, and free of secrets (the commands carry none).
func Refusal(err error) string {
	var e *Error
	var n4j *driver.Neo4jError
	if !errors.As(err, &e) || e.Kind != Refused || !errors.As(err, &n4j) {
		return ""
	}
	return n4j.Code + ": " + n4j.Msg
}

// row is one record, by column name.
type row map[string]any

// run sends one auto-commit query to the system database, within the
// timeout, and counts it under kind.
func (c *Conn) run(ctx context.Context, kind, cypher string, params map[string]any) ([]row, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	rows, err := c.query(ctx, cypher, params)
	err = classify(kind, ctx, err)
	observe(kind, err, time.Since(start))
	return rows, err
}

func (c *Conn) query(ctx context.Context, cypher string, params map[string]any) ([]row, error) {
	s := c.d.NewSession(ctx, driver.SessionConfig{DatabaseName: "system", AccessMode: driver.AccessModeWrite})
	defer func() {
		closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		_ = s.Close(closing)
	}()
	res, err := s.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	records, err := res.Collect(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]row, 0, len(records))
	for _, r := range records {
		m := row{}
		for i, k := range r.Keys {
			m[k] = r.Values[i]
		}
		out = append(out, m)
	}
	return out, nil
}

// Kind of failure, for conditions.
type Kind string

// Failures the operator tells apart.
const (
	AuthFailed  Kind = "AuthFailed"  // wrong credentials: the user must fix the Secret
	NotALeader  Kind = "NotALeader"  // a write reached a follower: ask the leader
	Unavailable Kind = "Unavailable" // the server or database cannot serve now
	Timeout     Kind = "Timeout"     // no answer within the bound
	Refused     Kind = "Refused"     // Neo4j refused the command (a client error)
	Untrusted   Kind = "Untrusted"   // the server's TLS certificate could not be verified
	Unknown     Kind = "Unknown"
)

// Error is a failed call: what failed, how, and Neo4j's code and message.
type Error struct {
	Query string
	Kind  Kind
	Code  string
	Err   error
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("neo4j %s: %s (%s): %v", e.Query, e.Kind, e.Code, e.Err)
	}
	return fmt.Sprintf("neo4j %s: %s: %v", e.Query, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf is err's Kind, Unknown for errors that are not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// classify maps the driver's errors to Kinds, by Neo4j status code where
// there is one (Operations Manual, status codes).
func classify(query string, ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	out := &Error{Query: query, Kind: Unknown, Err: err}
	var n4j *driver.Neo4jError
	var conn *driver.ConnectivityError
	switch {
	case errors.As(err, &n4j):
		out.Code = n4j.Code
		switch {
		case n4j.Code == "Neo.ClientError.Security.Unauthorized" || strings.HasPrefix(n4j.Code, "Neo.ClientError.Security.Authentication") ||
			n4j.Code == "Neo.ClientError.Security.CredentialsExpired":
			// CredentialsExpired: the password was set with /true and must
			// be changed first; the operator cannot use it either.
			out.Kind = AuthFailed
		case n4j.Code == "Neo.ClientError.Cluster.NotALeader" || n4j.Code == "Neo.ClientError.Cluster.Routing":
			out.Kind = NotALeader
		case strings.HasPrefix(n4j.Code, "Neo.TransientError."):
			out.Kind = Unavailable
		case strings.HasPrefix(n4j.Code, "Neo.ClientError."):
			out.Kind = Refused
		}
	case CertificateRejected(err):
		out.Kind = Untrusted
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || isTimeout(err):
		out.Kind = Timeout
	case errors.As(err, &conn) || driver.IsRetryable(err):
		out.Kind = Unavailable
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	var ct *driver.ConnectivityError
	return (errors.As(err, &ne) && ne.Timeout()) || (errors.As(err, &ct) && strings.Contains(ct.Error(), "timeout"))
}

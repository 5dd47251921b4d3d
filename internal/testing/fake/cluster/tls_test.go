package cluster_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

// A TLS fake serves the certificate each server loaded: the mounted one at
// start, the newly mounted one only after a reload; the operator's client
// reaches it over bolt+s with the CA, and the presented certificate is
// what PresentedCertificate reads.
func TestTLSReload(t *testing.T) {
	ca, err := pki.NewCA("fake CA")
	ok(t, err)
	first, err := ca.Issue(time.Hour, "g-primary-0-internals.ns.svc.cluster.local")
	ok(t, err)
	second, err := ca.Issue(2*time.Hour, "g-primary-0-internals.ns.svc.cluster.local")
	ok(t, err)
	c := cluster.New(cluster.Options{Password: "pw-12345678", TLS: true, CatchUp: time.Nanosecond})
	t.Cleanup(c.Close)
	ok(t, c.SetMountedCertificate(first.CertPEM, first.KeyPEM))
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM)
	cfg := &tls.Config{RootCAs: roots}
	d := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}
	presented := func() string {
		t.Helper()
		fp, err := d.PresentedCertificate(ctx(), addr("g-primary-0"), cfg)
		ok(t, err)
		return fp
	}
	if got := presented(); got != neo4j.Fingerprint(first.Cert) || got != c.Presented("g-primary-0") {
		t.Fatalf("presents %s, want the first certificate", got)
	}
	conn, err := d.DialTLS(addr("g-primary-0"), neo4j.Credentials{User: "neo4j", Password: "pw-12345678"}, true, cfg)
	ok(t, err)
	defer func() { _ = conn.Close(ctx()) }()

	ok(t, c.SetMountedCertificate(second.CertPEM, second.KeyPEM))
	if presented() != neo4j.Fingerprint(first.Cert) {
		t.Fatal("a running server serves what it loaded until told to reload")
	}
	ok(t, conn.ReloadTLS(ctx()))
	if got := presented(); got != neo4j.Fingerprint(second.Cert) || c.Reloads("g-primary-0") != 1 {
		t.Fatalf("after the reload: presents %s, %d reloads", got, c.Reloads("g-primary-0"))
	}
	if _, err := conn.ShowServers(ctx()); err != nil {
		t.Fatalf("over bolt+s: %v", err)
	}

	// Plaintext Bolt is refused (tls_level REQUIRED), and an untrusted
	// server certificate fails the handshake.
	plain, err := d.Dial(addr("g-primary-0"), neo4j.Credentials{User: "neo4j", Password: "pw-12345678"}, true)
	ok(t, err) // the driver connects at the first call
	if _, err := plain.ShowServers(ctx()); err == nil {
		t.Error("plaintext Bolt was served")
	}
	if _, err := d.PresentedCertificate(ctx(), addr("g-primary-0"), &tls.Config{RootCAs: x509.NewCertPool()}); err == nil {
		t.Error("a certificate no trusted CA signed was accepted")
	}
}

// A certificate the client cannot verify is told apart from a server that
// does not speak TLS: only the latter may be retried over plaintext.
func TestCertificateRejected(t *testing.T) {
	ca, err := pki.NewCA("fake CA")
	ok(t, err)
	other, err := pki.NewCA("another CA")
	ok(t, err)
	pair, err := ca.Issue(time.Hour, "g-primary-0-internals.ns.svc.cluster.local")
	ok(t, err)
	secure := cluster.New(cluster.Options{Password: "pw-12345678", TLS: true, CatchUp: time.Nanosecond})
	t.Cleanup(secure.Close)
	ok(t, secure.SetMountedCertificate(pair.CertPEM, pair.KeyPEM))
	ok(t, secure.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	plain := cluster.New(cluster.Options{Password: "pw-12345678", CatchUp: time.Nanosecond})
	t.Cleanup(plain.Close)
	ok(t, plain.SetPod("g-primary-0", addr("g-primary-0"), false, true))

	untrusted := x509.NewCertPool()
	untrusted.AppendCertsFromPEM(other.PEM)
	call := func(c *cluster.Cluster, roots *x509.CertPool) error {
		conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}.DialTLS(addr("g-primary-0"),
			neo4j.Credentials{User: "neo4j", Password: "pw-12345678"}, true, &tls.Config{RootCAs: roots})
		ok(t, err)
		defer func() { _ = conn.Close(ctx()) }()
		_, err = conn.ShowServers(ctx())
		return err
	}
	if err := call(secure, untrusted); err == nil || !neo4j.CertificateRejected(err) || neo4j.KindOf(err) != neo4j.Untrusted {
		t.Errorf("an untrusted certificate: %v, rejected %v, kind %s", err, err != nil && neo4j.CertificateRejected(err), neo4j.KindOf(err))
	}
	if err := call(plain, untrusted); err == nil || neo4j.CertificateRejected(err) || neo4j.KindOf(err) != neo4j.Unavailable {
		t.Errorf("a plaintext server: %v (kind %s)", err, neo4j.KindOf(err))
	}
}

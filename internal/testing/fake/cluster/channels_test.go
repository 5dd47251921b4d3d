package cluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

func channelAddr(pod string, port string) string {
	return pod + "-internals.ns.svc.cluster.local:" + port
}

// Each channel presents its own certificate: the one its files held when
// the server started, or at its last reloadTLS, and no other. A mount
// changes nothing a running server presents until it reloads or restarts;
// one reload re-reads every channel. The cluster and backup listeners
// refuse a client without a certificate (client_auth REQUIRE), and
// HandshakeCertificate reads their certificate all the same.
func TestChannelsPresentTheirOwnCertificate(t *testing.T) {
	ca, err := pki.NewCA("fake CA")
	ok(t, err)
	issue := func() pki.Pair {
		t.Helper()
		p, err := ca.Issue(time.Hour, "g-primary-0-internals.ns.svc.cluster.local")
		ok(t, err)
		return p
	}
	fp := func(p pki.Pair) string { return neo4j.Fingerprint(p.Cert) }
	bolt1, https1, cluster1, backup1 := issue(), issue(), issue(), issue()
	https2, cluster2, https3 := issue(), issue(), issue()

	c := cluster.New(cluster.Options{Password: "pw-12345678", TLS: true, CatchUp: time.Nanosecond})
	ok(t, c.SetMountedCertificate(bolt1.CertPEM, bolt1.KeyPEM))
	ok(t, c.SetMountedChannelCertificate("https", https1.CertPEM, https1.KeyPEM))
	ok(t, c.SetMountedChannelCertificate("cluster", cluster1.CertPEM, cluster1.KeyPEM))
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	closed := false
	t.Cleanup(func() {
		if !closed {
			c.Close()
		}
	})

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM)
	d := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}
	presents := func(port string) string {
		t.Helper()
		got, err := d.HandshakeCertificate(ctx(), channelAddr("g-primary-0", port))
		ok(t, err)
		return got
	}
	bolt := func() string {
		t.Helper()
		got, err := d.PresentedCertificate(ctx(), addr("g-primary-0"), &tls.Config{RootCAs: roots})
		ok(t, err)
		return got
	}
	expect := func(when string, wantBolt, wantHTTPS, wantCluster string) {
		t.Helper()
		if got := bolt(); got != wantBolt {
			t.Errorf("%s: bolt presents %s, want %s", when, got, wantBolt)
		}
		if got := presents("7473"); got != wantHTTPS || got != c.PresentedOn("g-primary-0", "https") {
			t.Errorf("%s: https presents %s (PresentedOn %s), want %s", when, got, c.PresentedOn("g-primary-0", "https"), wantHTTPS)
		}
		if got := presents("6000"); got != wantCluster || got != c.PresentedOn("g-primary-0", "cluster") {
			t.Errorf("%s: cluster presents %s, want %s", when, got, wantCluster)
		}
	}

	// Resolve maps the internals name at each channel's port to its own
	// listener; a channel that is off has none.
	for port, ch := range map[string]string{"7473": "https", "6000": "cluster"} {
		if got, want := c.Resolve(channelAddr("g-primary-0", port)), c.ChannelAddr("g-primary-0", ch); got != want || want == "" || want == c.Addr("g-primary-0") {
			t.Errorf("%s resolves to %q, want its listener %q", ch, got, want)
		}
	}
	if got := c.Resolve(channelAddr("g-primary-0", "6362")); got != channelAddr("g-primary-0", "6362") {
		t.Errorf("backup is off, yet resolves to %s", got)
	}
	if got := c.Resolve(channelAddr("g-primary-1", "7473")); got != channelAddr("g-primary-1", "7473") {
		t.Errorf("an unknown server's https resolves to %s", got)
	}

	expect("at start", fp(bolt1), fp(https1), fp(cluster1))
	if fp(bolt1) == fp(https1) || fp(https1) == fp(cluster1) {
		t.Fatal("the channels' certificates must differ for this test to mean anything")
	}

	// client_auth REQUIRE on cluster: a plain client is refused; on HTTPS
	// (NONE) it is not.
	refused := func(ch string) bool {
		t.Helper()
		conn, err := tls.Dial("tcp", c.ChannelAddr("g-primary-0", ch), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return true
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err = conn.Read(make([]byte, 1))
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
	if !refused("cluster") {
		t.Error("the cluster listener accepted a client without a certificate")
	}
	if refused("https") {
		t.Error("the https listener refused a client without a certificate")
	}

	// The kubelet writes new files: nothing changes until a reload.
	ok(t, c.SetMountedChannelCertificate("https", https2.CertPEM, https2.KeyPEM))
	ok(t, c.SetMountedChannelCertificate("cluster", cluster2.CertPEM, cluster2.KeyPEM))
	expect("mounted, not reloaded", fp(bolt1), fp(https1), fp(cluster1))

	// Backup turned on by its first mount: served at once (a pod cannot
	// start before its volumes are written).
	ok(t, c.SetMountedChannelCertificate("backup", backup1.CertPEM, backup1.KeyPEM))
	if got := presents("6362"); got != fp(backup1) {
		t.Errorf("backup presents %s, want its first certificate", got)
	}

	conn, err := d.DialTLS(addr("g-primary-0"), neo4j.Credentials{User: "neo4j", Password: "pw-12345678"}, true, &tls.Config{RootCAs: roots})
	ok(t, err)
	defer func() { _ = conn.Close(ctx()) }()
	ok(t, conn.ReloadTLS(ctx()))
	expect("reloaded", fp(bolt1), fp(https2), fp(cluster2))
	if c.Reloads("g-primary-0") != 1 {
		t.Errorf("%d reloads", c.Reloads("g-primary-0"))
	}

	// One channel's files change: only that channel, only after a reload
	// (or a restart).
	ok(t, c.SetMountedChannelCertificate("https", https3.CertPEM, https3.KeyPEM))
	expect("https mounted again", fp(bolt1), fp(https2), fp(cluster2))
	c.RemovePod("g-primary-0")
	ok(t, c.SetPod("g-primary-0", addr("g-primary-0"), false, true))
	expect("restarted", fp(bolt1), fp(https3), fp(cluster2))
	if got := presents("6362"); got != fp(backup1) {
		t.Errorf("backup after the restart: %s", got)
	}
	if n := c.Dials("g-primary-0", "https"); n < 4 {
		t.Errorf("%d dials counted on https", n)
	}

	// The resolve lines an out-of-process operator needs.
	lines := strings.Join(c.ChannelResolveLines(), "\n")
	for _, port := range []string{"7473", "6000", "6362"} {
		if !strings.Contains(lines, channelAddr("g-primary-0", port)+" 127.0.0.1:") {
			t.Errorf("no resolve line for %s in\n%s", port, lines)
		}
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "pods"), filepath.Join(dir, "resolve")
	ok(t, os.WriteFile(in, []byte(addr("g-primary-0")+" "+c.Addr("g-primary-0")+"\n"), 0o600))
	fctx, stop := context.WithTimeout(ctx(), 5*time.Second)
	defer stop()
	go c.FollowResolveFile(fctx, in, out)
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), addr("g-primary-0")) && strings.Contains(string(b), channelAddr("g-primary-0", "6362")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resolve file: %q", b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Close stops the channel listeners too.
	https := c.ChannelAddr("g-primary-0", "https")
	c.Close()
	closed = true
	if conn, err := net.DialTimeout("tcp", https, time.Second); err == nil {
		_ = conn.Close()
		t.Error("the https listener survived Close")
	}
}

// Over TLS 1.2 a server that requires a client certificate refuses the
// handshake itself (an alert before its Finished), where TLS 1.3 finishes
// the client's side first: HandshakeCertificate reads the certificate in
// both. A handshake that fails before the server presented a certificate,
// or a port that does not speak TLS, is an error.
func TestHandshakeCertificateRefused(t *testing.T) {
	ca, err := pki.NewCA("fake CA")
	ok(t, err)
	pair, err := ca.Issue(time.Hour, "g-primary-0-internals.ns.svc.cluster.local")
	ok(t, err)
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	ok(t, err)
	serve := func(t *testing.T, cfg *tls.Config) string {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		ok(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer func() { _ = conn.Close() }()
					_ = conn.(*tls.Conn).Handshake()
				}()
			}
		}()
		return ln.Addr().String()
	}
	to := func(target string) neo4j.Dialer {
		return neo4j.Dialer{Timeout: 2 * time.Second, Resolve: func(string) string { return target }}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		name := map[uint16]string{tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3"}[v]
		t.Run(name, func(t *testing.T) {
			target := serve(t, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MinVersion: v, MaxVersion: v})
			// A client without a certificate is refused...
			plain, err := tls.Dial("tcp", target, &tls.Config{InsecureSkipVerify: true})
			if err == nil {
				_ = plain.SetReadDeadline(time.Now().Add(time.Second))
				_, err = plain.Read(make([]byte, 1))
				_ = plain.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "remote error") {
				t.Fatalf("a client without a certificate: %v", err)
			}
			// ...and still reads the certificate.
			got, err := to(target).HandshakeCertificate(ctx(), channelAddr("g-primary-0", "6000"))
			ok(t, err)
			if got != neo4j.Fingerprint(pair.Cert) {
				t.Errorf("presents %s", got)
			}
		})
	}

	// Refused before any certificate: a TLS 1.2 server that accepts no
	// cipher suite the client offers fails before its Certificate.
	narrow := serve(t, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}})
	if got, err := to(narrow).HandshakeCertificate(ctx(), channelAddr("g-primary-0", "7473")); err == nil {
		t.Errorf("a failed handshake gave %s", got)
	}
	// A port that speaks no TLS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ok(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			_ = conn.Close()
		}
	}()
	if got, err := to(ln.Addr().String()).HandshakeCertificate(ctx(), channelAddr("g-primary-0", "7473")); err == nil || neo4j.KindOf(err) != neo4j.Unavailable {
		t.Errorf("plaintext: %s, %v", got, err)
	}
}

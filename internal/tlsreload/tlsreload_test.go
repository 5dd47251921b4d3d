package tlsreload

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

var (
	t0      = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	delay   = 90 * time.Second
	servers = []string{"g-primary-0", "g-primary-1", "g-primary-2"}
)

func servedStatus(fp string) *v1alpha1.TLSStatus {
	return &v1alpha1.TLSStatus{Certificates: []v1alpha1.CertificateStatus{{Channel: "bolt", Secret: "s", Fingerprint: fp}}}
}

func reloading(fp string, since time.Time, reloaded ...string) *v1alpha1.TLSStatus {
	s := servedStatus(fp)
	s.Reload = &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(since), Reloaded: reloaded}
	return s
}

func TestDecide(t *testing.T) {
	bolt := func(fp string) []Channel { return []Channel{{Name: "bolt", Secret: "s", Fingerprint: fp}} }
	for _, tc := range []struct {
		name       string
		in         Input
		reload     []string
		after      time.Duration
		changed    bool
		reason     string
		wantReload *v1alpha1.TLSReloadStatus
	}{
		{name: "first sight records, reloads nothing", in: Input{Channels: bolt("A"), CanReload: true},
			reason: ReasonServed},
		{name: "steady: nothing", in: Input{Channels: bolt("A"), Status: servedStatus("A"), CanReload: true},
			reason: ReasonServed},
		{name: "changed: waits for the kubelet", in: Input{Channels: bolt("B"), Status: servedStatus("A"), CanReload: true},
			changed: true, after: delay, reason: ReasonReloading, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0)}},
		{name: "waiting, a minute in", in: Input{Channels: bolt("B"), Status: reloading("B", t0.Add(-time.Minute)), CanReload: true},
			after: 30 * time.Second, reason: ReasonReloading, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0.Add(-time.Minute))}},
		{name: "due: every server", in: Input{Channels: bolt("B"), Status: reloading("B", t0.Add(-2*time.Minute)), CanReload: true},
			reload: servers, reason: ReasonReloading, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0.Add(-2 * time.Minute))}},
		{name: "due: those left", in: Input{Channels: bolt("B"), Status: reloading("B", t0.Add(-2*time.Minute), "g-primary-0"), CanReload: true},
			reload: servers[1:], reason: ReasonReloading,
			wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0.Add(-2 * time.Minute)), Reloaded: []string{"g-primary-0"}}},
		{name: "changed again mid-reload: starts over", in: Input{Channels: bolt("C"), Status: reloading("B", t0.Add(-2*time.Minute), "g-primary-0"), CanReload: true},
			changed: true, after: delay, reason: ReasonReloading, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0)}},
		{name: "all reloaded: over", in: Input{Channels: bolt("B"), Status: reloading("B", t0.Add(-2*time.Minute), servers...), CanReload: true},
			reason: ReasonServed},
		{name: "5.26: a restart is needed", in: Input{Channels: bolt("B"), Status: servedStatus("A")},
			changed: true, reason: ReasonRestartRequired, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0), RestartRequired: true}},
		{name: "5.26: restart asked, still rolling", in: Input{Channels: bolt("B"), Status: restartRequired(t0.Add(-time.Hour)), RestartedAt: t0.Add(-time.Minute), Rolling: true},
			reason: ReasonRestartRequired, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0.Add(-time.Hour)), RestartRequired: true}},
		{name: "5.26: restart asked before the change does not count", in: Input{Channels: bolt("B"), Status: restartRequired(t0.Add(-time.Hour)), RestartedAt: t0.Add(-2 * time.Hour)},
			reason: ReasonRestartRequired, wantReload: &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(t0.Add(-time.Hour)), RestartRequired: true}},
		{name: "5.26: restarted after the change", in: Input{Channels: bolt("B"), Status: restartRequired(t0.Add(-time.Hour)), RestartedAt: t0.Add(-time.Minute)},
			reason: ReasonServed},
		{name: "Secret gone: the loaded certificate stays reported", in: Input{Channels: []Channel{{Name: "bolt", Secret: "s", Reason: "TLSSecretMissing", Problem: "gone"}}, Status: servedStatus("A"), CanReload: true},
			reason: "TLSSecretMissing"},
		{name: "cert-manager not done: pending, not a problem", in: Input{Channels: []Channel{{Name: "bolt", Secret: "s", Reason: ReasonPending, Problem: "waiting"}}, CanReload: true},
			reason: ReasonPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now, tc.in.Delay, tc.in.Servers = t0, delay, servers
			d := Decide(tc.in)
			if strings.Join(d.Reload, ",") != strings.Join(tc.reload, ",") || d.After != tc.after || d.Changed != tc.changed {
				t.Errorf("reload %v after %v changed %v; want %v, %v, %v", d.Reload, d.After, d.Changed, tc.reload, tc.after, tc.changed)
			}
			if d.Condition.Reason != tc.reason || d.Condition.Type != v1alpha1.ConditionTLSReady {
				t.Errorf("condition %s %s: %s; want reason %s", d.Condition.Type, d.Condition.Reason, d.Condition.Message, tc.reason)
			}
			if got := d.Status.Reload; (got == nil) != (tc.wantReload == nil) || (got != nil && (!got.Since.Equal(&tc.wantReload.Since) ||
				strings.Join(got.Reloaded, ",") != strings.Join(tc.wantReload.Reloaded, ",") || got.RestartRequired != tc.wantReload.RestartRequired)) {
				t.Errorf("reload status %+v, want %+v", got, tc.wantReload)
			}
			if tc.reason == "TLSSecretMissing" && (len(d.Problems) != 1 || len(d.Status.Certificates) != 1 || d.Status.Certificates[0].Fingerprint != "A") {
				t.Errorf("problems %v, certificates %v", d.Problems, d.Status.Certificates)
			}
			if tc.reason == ReasonPending && len(d.Problems) != 0 {
				t.Errorf("a certificate cert-manager is issuing is not a problem: %v", d.Problems)
			}
		})
	}
	if d := Decide(Input{}); d.Status != nil || d.Condition.Type != "" {
		t.Errorf("without TLS: %+v", d)
	}
}

func restartRequired(since time.Time) *v1alpha1.TLSStatus {
	s := servedStatus("B")
	s.Reload = &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(since), RestartRequired: true}
	return s
}

// Reloaded counts servers in, ends the reload once all are in, and
// announces the end once.
func TestReloaded(t *testing.T) {
	in := Input{Channels: []Channel{{Name: "bolt", Secret: "s", Fingerprint: "B"}}, Status: reloading("B", t0.Add(-time.Hour)),
		CanReload: true, Now: t0, Delay: delay, Servers: servers}
	d := Decide(in)
	d.Reloaded(servers[:2])
	if d.Status.Reload == nil || len(d.Status.Reload.Reloaded) != 2 || d.Done() || !strings.Contains(d.Condition.Message, "2 of 3 reloaded") {
		t.Fatalf("after 2 of 3: %+v, %q", d.Status.Reload, d.Condition.Message)
	}
	d.Reloaded(servers[2:])
	if d.Status.Reload != nil || !d.Done() || d.Condition.Status != metav1.ConditionTrue {
		t.Fatalf("after 3 of 3: %+v, done %v, %v", d.Status.Reload, d.Done(), d.Condition)
	}
}

func TestInspect(t *testing.T) {
	ca, err := pki.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	good, err := ca.Issue(48*time.Hour, "g.ns.svc")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ca.Issue(time.Hour, "other")
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	with := func(k string, v []byte) map[string][]byte {
		d := ca.SecretData(good)
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
		return d
	}
	for _, tc := range []struct {
		name    string
		data    map[string][]byte
		needCA  bool
		problem string
	}{
		{"good", ca.SecretData(good), true, ""},
		{"no ca.crt, none needed", with("ca.crt", nil), false, ""},
		{"no ca.crt, needed", with("ca.crt", nil), true, "ca.crt holds no PEM certificate"},
		{"no certificate", with("tls.crt", []byte("junk")), false, "tls.crt holds no PEM certificate"},
		{"no key", with("tls.key", nil), false, "tls.key holds no PEM private key"},
		{"key of another certificate", with("tls.key", other.KeyPEM), false, "tls.key does not match"},
		{"SEC1 key", with("tls.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})), false, "Neo4j requires PKCS#8"},
		{"encrypted PKCS#8 is taken on trust", with("tls.key", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp, notAfter, problem := Inspect(tc.data, tc.needCA)
			if tc.problem == "" {
				if problem != "" || !strings.HasPrefix(fp, "sha256:") || len(fp) != 71 || !notAfter.Equal(good.Cert.NotAfter) {
					t.Errorf("got %q %v %q", fp, notAfter, problem)
				}
				return
			}
			if !strings.Contains(problem, tc.problem) || fp != "" {
				t.Errorf("problem %q, want %q (fingerprint %q)", problem, tc.problem, fp)
			}
		})
	}
}

// The recorded time is whole seconds (what the API server keeps), rounded
// up, so the reload never comes before the delay.
func TestSinceRoundsUp(t *testing.T) {
	now := t0.Add(300 * time.Millisecond)
	d := Decide(Input{Channels: []Channel{{Name: "bolt", Secret: "s", Fingerprint: "B"}}, Status: servedStatus("A"), CanReload: true,
		Now: now, Delay: delay, Servers: servers})
	if got := d.Status.Reload.Since.Time; !got.Equal(t0.Add(time.Second)) || d.After < delay {
		t.Errorf("since %v, after %v", got, d.After)
	}
}

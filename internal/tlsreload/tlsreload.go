// Package tlsreload decides, as a pure function, what a cluster's TLS
// certificates need: nothing, a wait while the kubelet updates the mounted
// Secrets, a reload on some servers, or a restart the user must ask for
// (Neo4j releases before 2025.03 load certificates at startup only). Its
// input is what the operator read from the Secrets and the status; its
// output is the next status and the servers to reload now.
package tlsreload

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/issue"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// Channel is one TLS channel as read from its Secret.
type Channel struct {
	Name, Secret string
	// Fingerprint and NotAfter of the leaf certificate; Fingerprint is ""
	// when the Secret is missing or unusable.
	Fingerprint string
	NotAfter    time.Time
	// Problem says why the certificate is unusable, under Reason; a
	// Secret cert-manager has not written yet is Reason CertificatePending.
	Reason, Problem string
}

// Reasons of TLSReady.
const (
	ReasonServed          = "CertificatesServed"
	ReasonPending         = "CertificatePending"
	ReasonReloading       = "Reloading"
	ReasonRestartRequired = "RestartRequired"
)

// Input is what the decision is made from.
type Input struct {
	Channels []Channel
	// Status is the cluster's status.tls (nil: none yet).
	Status *v1alpha1.TLSStatus
	// CanReload is true for Neo4j releases that reload certificates.
	CanReload bool
	Now       time.Time
	// Delay is how long after a change the servers are told to reload.
	Delay time.Duration
	// Servers are every server's pod, in order.
	Servers []string
	// RestartedAt is the restartedAt annotation's time (zero when unset or
	// not a time), and Rolling whether pods are still being restarted: a
	// restart asked after a change, and finished, serves the new
	// certificates.
	RestartedAt time.Time
	Rolling     bool
}

// Decision is what to do.
type Decision struct {
	// Status is the next status.tls (nil without TLS).
	Status *v1alpha1.TLSStatus
	// Reload are the servers to tell to reload now.
	Reload []string
	// After is when to look again (0: no need).
	After time.Duration
	// Changed is true when a certificate just changed in its Secret.
	Changed bool
	// Condition is TLSReady (Type "" without TLS).
	Condition metav1.Condition
	// Problems are unusable certificates the user must fix (not the ones
	// cert-manager is still issuing), as reason and message.
	Problems []issue.Issue

	in Input
	// left says why servers told to reload are not done yet (Left).
	left map[string]string
}

// Decide is the decision.
func Decide(in Input) Decision {
	if len(in.Channels) == 0 {
		return Decision{}
	}
	d := Decision{Status: &v1alpha1.TLSStatus{}, in: in}
	previous := map[string]v1alpha1.CertificateStatus{}
	var reload *v1alpha1.TLSReloadStatus
	if in.Status != nil {
		for _, c := range in.Status.Certificates {
			previous[c.Channel] = c
		}
		reload = in.Status.Reload.DeepCopy()
	}
	for _, ch := range in.Channels {
		prev, had := previous[ch.Name]
		if ch.Fingerprint == "" {
			if had { // the servers still serve what they loaded
				d.Status.Certificates = append(d.Status.Certificates, prev)
			}
			continue
		}
		cert := v1alpha1.CertificateStatus{Channel: ch.Name, Secret: ch.Secret, Fingerprint: ch.Fingerprint}
		if !ch.NotAfter.IsZero() {
			t := metav1.NewTime(ch.NotAfter.UTC())
			cert.NotAfter = &t
		}
		d.Status.Certificates = append(d.Status.Certificates, cert)
		// A channel seen for the first time is not a change: its servers
		// start (or restart, for a channel just turned on) with it.
		if had && prev.Fingerprint != ch.Fingerprint {
			d.Changed = true
		}
	}
	if d.Changed {
		// Whole seconds, rounded up: the API server keeps no more, the
		// record must read back equal to what was written (expectations),
		// and the reload must never come before the delay.
		since := in.Now.Truncate(time.Second)
		if since.Before(in.Now) {
			since = since.Add(time.Second)
		}
		reload = &v1alpha1.TLSReloadStatus{Since: metav1.NewTime(since), RestartRequired: !in.CanReload}
	}
	d.Status.Reload = reload
	d.step(in)
	d.condition(in)
	return d
}

// step moves the reload on: the user's restart, the wait, the servers.
func (d *Decision) step(in Input) {
	r := d.Status.Reload
	switch {
	case r == nil:
	case r.RestartRequired:
		if in.RestartedAt.After(r.Since.Time) && !in.Rolling {
			d.Status.Reload = nil
		}
	case in.Now.Before(r.Since.Add(in.Delay)):
		d.After = r.Since.Add(in.Delay).Sub(in.Now)
	default:
		for _, s := range in.Servers {
			if !slices.Contains(r.Reloaded, s) {
				d.Reload = append(d.Reload, s)
			}
		}
		if len(d.Reload) == 0 {
			d.Status.Reload = nil
		}
	}
}

func (d *Decision) condition(in Input) {
	set := func(ok bool, reason, msg string) {
		st := metav1.ConditionFalse
		if ok {
			st = metav1.ConditionTrue
		}
		d.Condition = metav1.Condition{Type: v1alpha1.ConditionTLSReady, Status: st, Reason: reason, Message: msg}
	}
	var problems, pending []string
	for _, ch := range in.Channels {
		switch {
		case ch.Reason == ReasonPending:
			pending = append(pending, ch.Problem)
		case ch.Problem != "":
			problems = append(problems, ch.Problem)
			d.Problems = append(d.Problems, issue.Issue{Reason: ch.Reason, Message: ch.Problem})
		}
	}
	r := d.Status.Reload
	switch {
	case len(problems) > 0:
		set(false, d.Problems[0].Reason, strings.Join(problems, "; "))
	case len(pending) > 0:
		set(false, ReasonPending, strings.Join(pending, "; "))
	case r != nil && r.RestartRequired:
		set(false, ReasonRestartRequired, fmt.Sprintf("a certificate changed at %s, and this Neo4j release loads certificates only at startup "+
			"(reloading needs 2025.03 or later): restart the servers with the %s annotation to serve it", r.Since.UTC().Format(time.RFC3339), v1alpha1.AnnotationRestartedAt))
	case r != nil:
		msg := fmt.Sprintf("a certificate changed at %s; the servers reload it from %s, once the kubelet has updated the mounted Secrets; %d of %d reloaded",
			r.Since.UTC().Format(time.RFC3339), r.Since.Add(in.Delay).UTC().Format(time.RFC3339), len(r.Reloaded), len(in.Servers))
		if s, why := d.firstLeft(in); s != "" {
			msg += fmt.Sprintf("; %s is retried: %s", s, why)
		}
		set(false, ReasonReloading, msg)
	default:
		set(true, ReasonServed, served(d.Status.Certificates))
	}
}

// served says which channels are on and when the first certificate
// expires: stable from one reconcile to the next.
func served(certs []v1alpha1.CertificateStatus) string {
	var names []string
	var first *metav1.Time
	for _, c := range certs {
		names = append(names, c.Channel)
		if c.NotAfter != nil && (first == nil || c.NotAfter.Before(first)) {
			first = c.NotAfter
		}
	}
	msg := "every server serves the current certificate of " + strings.Join(names, ", ")
	if first != nil {
		msg += "; the first expires at " + first.UTC().Format(time.RFC3339)
	}
	return msg
}

// Inspect reads a TLS Secret's data the way Neo4j will use it: tls.crt a
// PEM certificate chain, leaf first; tls.key a PEM private key in PKCS#8
// (encrypted or not) or PKCS#1, which Neo4j 5 still loads though
// deprecated, that matches the certificate; and ca.crt, a PEM certificate,
// where the channel trusts a CA (Operations Manual, "SSL framework":
// certificates and keys). It returns the leaf's fingerprint and expiry,
// or why the Secret is unusable. Nothing of the key is ever returned.
func Inspect(data map[string][]byte, needCA bool) (fingerprint string, notAfter time.Time, problem string) {
	block, _ := pem.Decode(data["tls.crt"])
	if block == nil || block.Type != "CERTIFICATE" {
		return "", time.Time{}, "tls.crt holds no PEM certificate"
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", time.Time{}, "tls.crt: the first certificate does not parse"
	}
	key, _ := pem.Decode(data["tls.key"])
	switch {
	case key == nil:
		return "", time.Time{}, "tls.key holds no PEM private key"
	case key.Type == "ENCRYPTED PRIVATE KEY":
		// Neo4j takes encrypted PKCS#8 with a password setting; the pair
		// cannot be checked without the password.
	case key.Type == "PRIVATE KEY" || key.Type == "RSA PRIVATE KEY":
		if _, err := tls.X509KeyPair(data["tls.crt"], data["tls.key"]); err != nil {
			return "", time.Time{}, "tls.key does not match the certificate in tls.crt"
		}
	default:
		return "", time.Time{}, fmt.Sprintf("tls.key is a %q block; Neo4j requires PKCS#8 (BEGIN PRIVATE KEY): convert it with openssl pkcs8 -topk8, or set privateKey.encoding: PKCS8 on a cert-manager Certificate", key.Type)
	}
	if needCA {
		ca, _ := pem.Decode(data["ca.crt"])
		if ca == nil || ca.Type != "CERTIFICATE" {
			return "", time.Time{}, "ca.crt holds no PEM certificate, and this channel needs the CA its servers and clients are signed by"
		}
	}
	return neo4j.Fingerprint(leaf), leaf.NotAfter, ""
}

// Reloaded records the servers that reloaded and serve the new
// certificates: once every server has, the reload is over. The condition
// follows.
func (d *Decision) Reloaded(servers []string) {
	in := d.in
	r := d.Status.Reload
	if r == nil || len(servers) == 0 {
		return
	}
	for _, s := range servers {
		if !slices.Contains(r.Reloaded, s) {
			r.Reloaded = append(r.Reloaded, s)
		}
	}
	if !slices.ContainsFunc(in.Servers, func(s string) bool { return !slices.Contains(r.Reloaded, s) }) {
		d.Status.Reload = nil
	}
	d.Problems = nil
	d.condition(in)
}

// Left records why servers told to reload are not done yet (a reload
// refused, or a channel that still presents the previous certificate:
// Verify). TLSReady names the first of them, in server order, so that
// the message stays the same while nothing changes.
func (d *Decision) Left(why map[string]string) {
	if d.Status == nil || d.Status.Reload == nil || len(why) == 0 {
		return
	}
	d.left = why
	d.Problems = nil
	d.condition(d.in)
}

// firstLeft is the first server left behind, in server order, and why.
func (d *Decision) firstLeft(in Input) (string, string) {
	r := d.Status.Reload
	for _, s := range in.Servers {
		if why := d.left[s]; why != "" && !slices.Contains(r.Reloaded, s) {
			return s, why
		}
	}
	return "", ""
}

// Done is true when the decision finished a reload: there was one in the
// status, and there is none now.
func (d *Decision) Done() bool {
	in := d.in
	return in.Status != nil && in.Status.Reload != nil && !in.Status.Reload.RestartRequired && d.Status != nil && d.Status.Reload == nil
}

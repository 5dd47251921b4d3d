package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/rollout"
	"github.com/graphops-dev/neo4j-operator/internal/step"
	"github.com/graphops-dev/neo4j-operator/internal/tlsreload"
)

// tlsRetry is how soon a reload that left servers behind is tried again.
const tlsRetry = 15 * time.Second

// observeTLS reads each TLS channel's Secret from the API server (Secret
// data is never cached) and what the certificates decide from; nil
// without spec.tls.
func (r *Neo4jEnterpriseClusterReconciler) observeTLS(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, o plan.Observed) (*tlsreload.Input, error) {
	channels := c.TLSChannels()
	if len(channels) == 0 {
		return nil, nil
	}
	v, _ := neo4jconf.ParseTag(c.WithDefaults().Spec.Image.Tag)
	in := &tlsreload.Input{Status: c.Status.TLS, CanReload: v.ReloadsTLS(), Now: time.Now(), Delay: r.TLSReloadDelay,
		Rolling: c.Status.Rollout != nil}
	if at, err := time.Parse(time.RFC3339, c.Annotations[v1alpha1.AnnotationRestartedAt]); err == nil {
		in.RestartedAt = at
	}
	in.Rolling = in.Rolling || rollout.Needed(o.StatefulSets)
	for _, ch := range channels {
		got, err := r.inspectChannel(ctx, c, ch, o.CertManager)
		if err != nil {
			return nil, err
		}
		in.Channels = append(in.Channels, got)
	}
	return in, nil
}

// inspectChannel reads one channel's Secret; only an API error is an
// error, a missing or unusable certificate is reported in the channel.
func (r *Neo4jEnterpriseClusterReconciler) inspectChannel(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, ch v1alpha1.TLSChannel, certManager bool) (tlsreload.Channel, error) {
	name := c.TLSSecretName(ch)
	out := tlsreload.Channel{Name: ch.Name, Secret: name}
	issued := ch.Certificate.IssuerRef != nil
	if issued && !certManager {
		out.Reason = "CertManagerMissing"
		out.Problem = fmt.Sprintf("spec.tls.%s.issuerRef asks cert-manager for a certificate, but this API server does not serve cert-manager.io/v1 Certificates: "+
			"install cert-manager and restart the operator, or give a Secret in spec.tls.%s.secretName", ch.Name, ch.Name)
		return out, nil
	}
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err) && issued:
		out.Reason = tlsreload.ReasonPending
		out.Problem = fmt.Sprintf("the %s certificate: waiting for cert-manager to write Secret %s (Certificate %s)", ch.Name, name, render.CertificateName(c, ch.Name))
		return out, nil
	case apierrors.IsNotFound(err):
		out.Reason = "TLSSecretMissing"
		out.Problem = fmt.Sprintf("TLS Secret %s/%s of the %s channel not found; the servers cannot start without it", c.Namespace, name, ch.Name)
		return out, nil
	case err != nil:
		return out, fmt.Errorf("reading TLS Secret %s/%s: %w", c.Namespace, name, err)
	}
	fp, notAfter, problem := tlsreload.Inspect(secret.Data, neo4jconf.TrustsCA(ch))
	if problem != "" {
		out.Reason, out.Problem = "TLSSecretInvalid", fmt.Sprintf("TLS Secret %s/%s of the %s channel: %s", c.Namespace, name, ch.Name, problem)
		return out, nil
	}
	out.Fingerprint, out.NotAfter = fp, notAfter
	return out, nil
}

// tlsStep reloads rotated certificates on the servers that have not yet,
// records status.tls under an optimistic lock when it moved, and returns
// the decision as the reloads left it, for the status (nil when the
// record failed: the previous status.tls stands).
func (r *Neo4jEnterpriseClusterReconciler) tlsStep(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, d *tlsreload.Decision) (step.Result, *tlsreload.Decision) {
	res := step.Result{}
	if d.Changed {
		r.event(c, corev1.EventTypeNormal, "TLSCertificateChanged", "Reload", "%s; the servers reload it after %s",
			changedChannels(c.Status.TLS, d.Status), r.TLSReloadDelay)
	}
	if len(d.Reload) > 0 && r.Observers != nil {
		done, why := r.reloadTLS(ctx, c, d.Status, d.Reload)
		d.Reloaded(done)
		d.Left(why)
		if d.Status.Reload != nil {
			res = res.Merge(step.After(tlsRetry, "servers still serve the previous certificate"))
		}
	}
	if d.After > 0 {
		res = res.Merge(step.After(d.After, "a certificate reload waits for the kubelet"))
	}
	if !equality.Semantic.DeepEqual(c.Status.TLS, d.Status) {
		next := d.Status.DeepCopy()
		if err := r.status().Record(ctx, c, "tls", locked, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.TLS = next.DeepCopy() }); err != nil {
			return res.Merge(step.Failed(err)), nil
		}
		if d.Done() {
			TLSReloads.Inc()
			r.event(c, corev1.EventTypeNormal, "TLSReloaded", "Reload", "every server reloaded its certificates and serves the current ones")
		}
	}
	return res, d
}

// reloadTLS tells each server to reload its certificates and returns
// those that did and present, on every channel spec.tls turns on, the
// certificate now in its Secret (reloadServer), and why the others are
// not done. A server that still presents a previous certificate read its
// files before the kubelet updated them: it is tried again later.
func (r *Neo4jEnterpriseClusterReconciler) reloadTLS(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, st *v1alpha1.TLSStatus, servers []string) ([]string, map[string]string) {
	t := r.target(c, true)
	addrs := map[string]string{}
	for _, a := range render.BoltAddresses(c) {
		addrs[render.PodOfAddress(a)] = a
	}
	why := map[string]string{}
	session, err := r.Observers.Session(ctx, t)
	if err != nil {
		log.FromContext(ctx).Info("certificate reload not started", "reason", err.Error())
		for _, s := range servers {
			why[s] = "the reload could not start: " + err.Error()
		}
		return nil, why
	}
	checks := tlsreload.Checks(st)
	var done []string
	for _, s := range servers {
		if err := r.reloadServer(ctx, session, addrs[s], checks); err != nil {
			log.FromContext(ctx).Info("certificate reload not done yet", "server", s, "reason", err.Error())
			why[s] = err.Error()
			continue
		}
		done = append(done, s)
	}
	return done, why
}

// reloadServer tells one server to reload its certificates, then checks
// each channel in a TLS handshake: Bolt as the operator's own connections
// verify it, the others (HTTPS, cluster, backup) by a handshake alone,
// pinned to the fingerprint in the status (neo4j.Dialer.
// HandshakeCertificate). These dials happen only here, while a reload is
// under way: at steady state the operator dials nothing more than before.
func (r *Neo4jEnterpriseClusterReconciler) reloadServer(ctx context.Context, session observer.AdminSession, addr string, checks []tlsreload.Check) error {
	if addr == "" {
		return fmt.Errorf("no Bolt address")
	}
	conn, err := session.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	if err := conn.ReloadTLS(ctx); err != nil {
		return fmt.Errorf("reload: %s", neo4j.Summary(err))
	}
	var made []tlsreload.Check
	var got []tlsreload.Presented
	for _, ch := range checks {
		var fp string
		var err error
		if ch.Channel == v1alpha1.ChannelBolt {
			if session.TLS == nil {
				continue // the operator's connections are plaintext: nothing to compare with
			}
			fp, err = r.Observers.Dialer.PresentedCertificate(ctx, addr, session.TLS)
		} else {
			fp, err = r.Observers.Dialer.HandshakeCertificate(ctx, channelAddress(addr, ch.Port))
		}
		p := tlsreload.Presented{Channel: ch.Channel, Fingerprint: fp}
		if err != nil {
			p.Problem = neo4j.Summary(err)
		}
		made, got = append(made, ch), append(got, p)
	}
	if why := tlsreload.Verify(made, got); why != "" {
		return errors.New(why)
	}
	return nil
}

// channelAddress is a server's address at another port of its internals
// Service: render gives every server's Bolt address there, and the
// Service serves HTTPS (when on), the cluster port, and the backup port
// (when spec.backup opens it) under the same name.
func channelAddress(boltAddr string, port int) string {
	host, _, err := net.SplitHostPort(boltAddr)
	if err != nil {
		return boltAddr
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// changedChannels names the channels whose certificate changed.
func changedChannels(before, after *v1alpha1.TLSStatus) string {
	old := map[string]string{}
	if before != nil {
		for _, c := range before.Certificates {
			old[c.Channel] = c.Fingerprint
		}
	}
	var out []string
	for _, c := range after.Certificates {
		if fp, ok := old[c.Channel]; ok && fp != c.Fingerprint {
			out = append(out, fmt.Sprintf("the %s certificate changed to %s", c.Channel, c.Fingerprint))
		}
	}
	return strings.Join(out, ", ")
}

// tlsTarget adds the TLS the observers need to a target.
func tlsTarget(c *v1alpha1.Neo4jEnterpriseCluster, t *observer.Target) {
	for _, ch := range c.TLSChannels() {
		key := client.ObjectKey{Namespace: c.Namespace, Name: c.TLSSecretName(ch)}
		t.CertSecrets = append(t.CertSecrets, key)
		if ch.Name == v1alpha1.ChannelBolt {
			t.TLS = &observer.TLSTarget{Secret: key, ClientCert: ch.Certificate.ClientAuth != "NONE"}
		}
	}
}

// secretsRead are the Secrets a cluster reads: auth and TLS.
func secretsRead(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	out := []string{c.AuthSecretName()}
	for _, ch := range c.TLSChannels() {
		out = append(out, c.TLSSecretName(ch))
	}
	return out
}

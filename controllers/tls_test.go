package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

// The suite's API server has a stand-in for cert-manager's Certificate
// CRD (test/crds) and no cert-manager: the test writes the Secrets
// cert-manager would.
var _ = Describe("TLS", func() {
	var ca *pki.CA
	BeforeEach(func() {
		var err error
		ca, err = pki.NewCA("envtest CA")
		Expect(err).NotTo(HaveOccurred())
	})
	secret := func(name string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: managedNS, Name: name}, Type: corev1.SecretTypeTLS, Data: data}
	}
	certificate := func(c *v1alpha1.Neo4jEnterpriseCluster, channel string) (*unstructured.Unstructured, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(render.CertificateGVK)
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: render.CertificateName(c, channel)}, u)
		return u, err
	}
	tlsReady := func(c *v1alpha1.Neo4jEnterpriseCluster) *metav1.Condition {
		return meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionTLSReady)
	}

	It("creates cert-manager Certificates, keeps them with the topology, prunes them, and reports the certificates", func() {
		byo, err := ca.Issue(30*24*time.Hour, "tls-a.ns")
		Expect(err).NotTo(HaveOccurred())
		Expect(env.Client.Create(ctx, secret("tls-a-byo", ca.SecretData(byo)))).To(Succeed())
		c := newCluster(managedNS, "tls-a", 3, 1)
		c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca", Kind: "ClusterIssuer"}}}
		c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "tls-a-byo"}
		Expect(env.Client.Create(ctx, c)).To(Succeed())

		By("the Certificate, owned by the cluster, for every server's name, with a PKCS#8 key")
		var cert *unstructured.Unstructured
		Eventually(func() error { cert, err = certificate(c, "bolt"); return err }, timeout, interval).Should(Succeed())
		Expect(metav1.IsControlledBy(cert, getCluster(c))).To(BeTrue())
		Expect(nested(cert, "spec", "secretName")).To(Equal("tls-a-bolt-tls"))
		Expect(nested(cert, "spec", "privateKey", "encoding")).To(Equal("PKCS8"))
		Expect(nested(cert, "spec", "issuerRef", "kind")).To(Equal("ClusterIssuer"))
		names, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
		Expect(names).To(ContainElements("tls-a-primary-2-internals."+managedNS+".svc.cluster.local", "tls-a-secondary-0-internals."+managedNS+".svc.cluster.local"))
		_, err = certificate(c, "cluster")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a channel with a Secret of the user's gets no Certificate")

		By("TLSReady waits for cert-manager, without calling it a problem")
		Eventually(func(g Gomega) {
			cond := tlsReady(c)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Reason).To(Equal("CertificatePending"))
		}, timeout, interval).Should(Succeed())
		Expect(meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded).Status).To(Equal(metav1.ConditionFalse))

		By("the Secret written, as cert-manager would: the certificates are reported, TLSReady is true")
		issued, err := ca.Issue(90*24*time.Hour, names...)
		Expect(err).NotTo(HaveOccurred())
		Expect(env.Client.Create(ctx, secret("tls-a-bolt-tls", ca.SecretData(issued)))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(tlsReady(c).Reason).To(Equal("CertificatesServed"))
		}, timeout, interval).Should(Succeed())
		st := getCluster(c).Status.TLS
		Expect(st.Reload).To(BeNil())
		Expect(st.Certificates).To(HaveLen(2))
		Expect(st.Certificates[0].Channel).To(Equal("bolt"))
		Expect(st.Certificates[0].Fingerprint).To(Equal(neo4j.Fingerprint(issued.Cert)))
		Expect(st.Certificates[1].Fingerprint).To(Equal(neo4j.Fingerprint(byo.Cert)))
		Expect(st.Certificates[0].NotAfter.Time.Unix()).To(Equal(issued.Cert.NotAfter.Unix()))
		Expect(getCluster(c).Status.Endpoints.Bolt).To(HavePrefix("neo4j+s://"))

		By("the pod template names the Secrets and holds none of their content")
		tmpl := sts(c, "primary").Spec.Template
		Expect(toJSON(&corev1.Pod{Spec: tmpl.Spec, ObjectMeta: tmpl.ObjectMeta})).NotTo(ContainSubstring("sha256:"))
		Expect(tmpl.Spec.Volumes).To(ContainElement(HaveField("Name", "tls-bolt")))

		By("settled: nothing is written")
		waitSettled(c)
		Eventually(func() map[string]string { return resourceVersions(owned(c)) }, timeout, interval).Should(HaveKey("Certificate/tls-a-bolt"))
		before, clusterRV := resourceVersions(owned(c)), getCluster(c).ResourceVersion
		Consistently(func() string { return getCluster(c).ResourceVersion }, 3*time.Second, 200*time.Millisecond).Should(Equal(clusterRV))
		Expect(resourceVersions(owned(c))).To(Equal(before))

		By("a server added: its name is asked for")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology.Primaries = 4 })
		Eventually(func(g Gomega) {
			cert, err := certificate(c, "bolt")
			g.Expect(err).NotTo(HaveOccurred())
			names, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
			g.Expect(names).To(ContainElement("tls-a-primary-3-internals." + managedNS + ".svc.cluster.local"))
		}, timeout, interval).Should(Succeed())

		By("Bolt moved to a Secret of the user's: the Certificate is pruned")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "tls-a-byo"}}
		})
		Eventually(func() bool { _, err := certificate(c, "bolt"); return apierrors.IsNotFound(err) }, timeout, interval).Should(BeTrue())
	})

	It("reports a Secret Neo4j could not use, and a missing one", func() {
		good, err := ca.Issue(24*time.Hour, "x")
		Expect(err).NotTo(HaveOccurred())
		other, err := ca.Issue(24*time.Hour, "y")
		Expect(err).NotTo(HaveOccurred())
		data := ca.SecretData(good)
		data["tls.key"] = other.KeyPEM
		Expect(env.Client.Create(ctx, secret("tls-b-mismatch", data))).To(Succeed())
		c := newCluster(managedNS, "tls-b", 1, 0)
		c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "tls-b-mismatch"}
		c.Spec.TLS.HTTPS = &v1alpha1.HTTPSTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "tls-b-absent"}}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		Eventually(func(g Gomega) {
			cond := tlsReady(c)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Reason).To(Equal("TLSSecretMissing"))
			g.Expect(cond.Message).To(ContainSubstring("tls-b-absent"))
			g.Expect(cond.Message).To(ContainSubstring("tls-b-mismatch of the cluster channel: tls.key does not match the certificate in tls.crt"))
			deg := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
			g.Expect(deg.Status).To(Equal(metav1.ConditionTrue))
		}, timeout, interval).Should(Succeed())
		Expect(getCluster(c).Status.TLS.Certificates).To(BeEmpty())
		svc := &corev1.Service{}
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: "tls-b"}, svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(HaveLen(2)) // bolt and https: HTTPS replaced HTTP
		Expect(svc.Spec.Ports[1].Port).To(Equal(int32(7473)))
	})
})

// Issue 26, 9a: a reload is verified on every channel, not Bolt's alone.
// Against the FAKE cluster (internal/testing/fake/cluster, channels.go): Bolt and
// HTTPS over TLS, each server listening for HTTPS on loopback with the
// certificate it loaded. The test plays the kubelet, and holds the rotated
// HTTPS file back past the first reload.
var _ = Describe("TLS reload verified on every channel", func() {
	It("records a server as reloaded only once its HTTPS handshake shows the new certificate, and dials HTTPS only then", func() {
		const password = "verified-password"
		ca, err := pki.NewCA("envtest CA")
		Expect(err).NotTo(HaveOccurred())
		servers := []string{"tlsv-primary-0", "tlsv-primary-1", "tlsv-primary-2"}
		var names []string
		for _, s := range servers {
			names = append(names, s+"-internals."+directNS+".svc.cluster.local")
		}
		bolt, err := ca.Issue(24*time.Hour, names...)
		Expect(err).NotTo(HaveOccurred())
		oldHTTPS, err := ca.Issue(24*time.Hour, names...)
		Expect(err).NotTo(HaveOccurred())
		newHTTPS, err := ca.Issue(48*time.Hour, names...)
		Expect(err).NotTo(HaveOccurred())
		oldFP, newFP := neo4j.Fingerprint(oldHTTPS.Cert), neo4j.Fingerprint(newHTTPS.Cert)
		for name, p := range map[string]pki.Pair{"tlsv-bolt": bolt, "tlsv-https": oldHTTPS} {
			Expect(env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: name},
				Type: corev1.SecretTypeTLS, Data: ca.SecretData(p)})).To(Succeed())
		}
		Expect(env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: "tlsv-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())

		fake := fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, AutoEnable: true, TLS: true,
			DefaultPrimaries: 3, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		Expect(fake.SetMountedCertificate(bolt.CertPEM, bolt.KeyPEM)).To(Succeed())
		Expect(fake.SetMountedChannelCertificate("https", oldHTTPS.CertPEM, oldHTTPS.KeyPEM)).To(Succeed())
		obs := observer.New(env.Client, neo4j.Dialer{Timeout: time.Second, Resolve: fake.Resolve}, 2*time.Second, 500*time.Millisecond)
		r := directReconciler(env.Client)
		r.Observers, r.TLSReloadDelay = obs, time.Second
		runCtx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		run(runCtx, obs, r)

		c := newCluster(directNS, "tlsv", 3, 0)
		c.Spec.Auth.SecretName = "tlsv-auth"
		c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "tlsv-bolt"}}
		c.Spec.TLS.HTTPS = &v1alpha1.HTTPSTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "tlsv-https"}}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		reconcileNow(r, c)
		markReady(c, "primary", 3)
		for i, a := range render.BoltAddresses(c) {
			Expect(fake.SetPod(servers[i], a, false, true)).To(Succeed())
		}
		// The reconciles a controller would run (requeues included).
		reconcile := func(g Gomega) {
			_, err := r.Reconcile(ctx, reconcileRequest(c))
			g.Expect(err).NotTo(HaveOccurred())
		}
		tlsReady := func(g Gomega) metav1.Condition {
			cond := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionTLSReady)
			g.Expect(cond).NotTo(BeNil())
			return *cond
		}
		dials := func() (n int) {
			for _, s := range servers {
				n += fake.Dials(s, "https")
			}
			return n
		}
		Eventually(func(g Gomega) {
			reconcile(g)
			g.Expect(meta.IsStatusConditionTrue(getCluster(c).Status.Conditions, v1alpha1.ConditionClusterFormed)).To(BeTrue())
			g.Expect(tlsReady(g).Reason).To(Equal("CertificatesServed"))
		}, timeout, interval).Should(Succeed())

		By("steady state: no handshake on HTTPS, whatever the reconciles and polls")
		Consistently(func(g Gomega) {
			reconcile(g)
			g.Expect(dials()).To(BeZero())
		}, 3*time.Second, 250*time.Millisecond).Should(Succeed())

		By("the HTTPS Secret rotates; the kubelet has not written the file when the servers reload")
		secret := &corev1.Secret{}
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: directNS, Name: "tlsv-https"}, secret)).To(Succeed())
		secret.Data = ca.SecretData(newHTTPS)
		Expect(env.Client.Update(ctx, secret)).To(Succeed())
		Eventually(func(g Gomega) {
			reconcile(g)
			for _, s := range servers {
				g.Expect(fake.Reloads(s)).To(BeNumerically(">=", 1), s)
			}
			g.Expect(getCluster(c).Status.TLS.Reload).NotTo(BeNil(), "a reload recorded as done while every server serves the old HTTPS certificate")
			cond := tlsReady(g)
			g.Expect(cond.Reason).To(Equal("Reloading"))
			g.Expect(cond.Message).To(ContainSubstring("tlsv-primary-0 is retried: the server still presents %s on https, not %s: "+
				"the kubelet has not updated its mounted Secret yet", oldFP, newFP))
		}, timeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			reconcile(g)
			st := getCluster(c).Status.TLS
			g.Expect(st.Reload).NotTo(BeNil(), "a reload recorded as done while every server serves the old HTTPS certificate")
			g.Expect(st.Reload.Reloaded).To(BeEmpty())
		}, 2*time.Second, 250*time.Millisecond).Should(Succeed())
		for _, s := range servers {
			Expect(fake.PresentedOn(s, "https")).To(Equal(oldFP), s)
		}

		By("the kubelet writes the file: the next reload serves it, and the reload is over")
		Expect(fake.SetMountedChannelCertificate("https", newHTTPS.CertPEM, newHTTPS.KeyPEM)).To(Succeed())
		Eventually(func(g Gomega) {
			reconcile(g)
			g.Expect(getCluster(c).Status.TLS.Reload).To(BeNil())
			g.Expect(tlsReady(g).Reason).To(Equal("CertificatesServed"))
		}, timeout, interval).Should(Succeed())
		for _, s := range servers {
			Expect(fake.PresentedOn(s, "https")).To(Equal(newFP), s)
			Expect(fake.Reloads(s)).To(BeNumerically(">=", 2), s)
		}

		By("calm again: no reload, no handshake")
		reloads := map[string]int{}
		for _, s := range servers {
			reloads[s] = fake.Reloads(s)
		}
		before := dials()
		Consistently(func(g Gomega) {
			reconcile(g)
			g.Expect(dials()).To(Equal(before))
			for _, s := range servers {
				g.Expect(fake.Reloads(s)).To(Equal(reloads[s]), s)
			}
		}, 3*time.Second, 250*time.Millisecond).Should(Succeed())
	})
})

func nested(u *unstructured.Unstructured, fields ...string) string {
	v, _, _ := unstructured.NestedString(u.Object, fields...)
	return v
}

var _ = Describe("Cluster-channel TLS on a running cluster", func() {
	It("waits for the user to allow a full restart, writing nothing but the status; then applies the change", func() {
		c := newCluster(managedNS, "cluster-tls-on", 3, 1)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
		gen := map[string]int64{}
		for _, role := range []string{"primary", "secondary"} {
			gen[role] = sts(c, role).Generation
		}
		before := clusterWrites(c)

		By("spec.tls.cluster set: admitted, held, FullRestartRequired says what to do")
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "peers"}
		})
		Eventually(func(g Gomega) {
			d := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
			g.Expect(d).NotTo(BeNil())
			g.Expect(d.Reason).To(Equal("FullRestartRequired"))
			g.Expect(d.Message).To(ContainSubstring("Annotate the cluster neo4j.graphops.dev/allow-full-restart=true"))
			g.Expect(events(c)).To(ContainElement(HavePrefix("Warning/FullRestartRequired: spec.tls.cluster turns on TLS between the servers")))
		}, timeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			for _, role := range []string{"primary", "secondary"} {
				s := sts(c, role)
				g.Expect(s.Generation).To(Equal(gen[role]), role)
				g.Expect(render.ClusterTLS(&s.Spec.Template.Spec)).To(BeFalse(), role)
			}
		}, 2*time.Second, interval).Should(Succeed())
		Expect(clusterWrites(c)-before).To(Equal(1.0), "one write while the change is held: the status saying so")

		By("the full restart allowed: both StatefulSets get the policy together")
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, v1alpha1.AnnotationAllowFullRestart, "true")
		})
		Eventually(func(g Gomega) {
			for _, role := range []string{"primary", "secondary"} {
				g.Expect(render.ClusterTLS(&sts(c, role).Spec.Template.Spec)).To(BeTrue(), role)
			}
			d := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
			g.Expect(d.Reason).NotTo(Equal("FullRestartRequired"))
		}, timeout, interval).Should(Succeed())
	})
})

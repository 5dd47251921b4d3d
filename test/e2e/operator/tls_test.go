package operator_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Certificate rotation without restarts, out of process, against a FAKE
// Neo4j cluster serving Bolt over TLS only (internal/testing/fake/cluster, Options.
// TLS) and listening for the cluster channel on loopback (channels.go):
// each fake server presents, on each channel, the certificate it loaded at
// start or at its last dbms.security.reloadTLS(). Loops here play the
// kubelet: a changed Secret reaches the pods' volume of that channel a lag
// later. The operator waits --tls-reload-delay after it sees the change,
// then reloads every server and checks, in a TLS handshake on each
// channel, that each presents the new certificates.
var _ = Describe("Rotating a TLS certificate, out of process", Ordered, func() {
	const ns, password = "secure", "e2e-secure-password"
	const kubeletLag, reloadDelay = 2 * time.Second, 5 * time.Second
	// The cluster channel's volume is written after the first reload.
	const clusterLag = reloadDelay + 4*time.Second
	var (
		fake *fakecluster.Cluster
		c    *v1alpha1.Neo4jEnterpriseCluster
		ca   *pki.CA
		dns  []string
	)
	tlsReady := func() metav1.Condition {
		if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionTLSReady); got != nil {
			return *got
		}
		return metav1.Condition{}
	}
	servers := []string{"graph-primary-0", "graph-primary-1", "graph-primary-2", "graph-secondary-0"}

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		var err error
		ca, err = pki.NewCA("e2e CA")
		Expect(err).NotTo(HaveOccurred())
		for _, s := range servers {
			dns = append(dns, s+"-internals."+ns+".svc.cluster.local")
		}
		bolt, err := ca.Issue(24*time.Hour, dns...)
		Expect(err).NotTo(HaveOccurred())
		peers, err := ca.Issue(24*time.Hour, dns...)
		Expect(err).NotTo(HaveOccurred())
		for name, p := range map[string]pki.Pair{"graph-bolt": bolt, "graph-cluster": peers} {
			Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Type: corev1.SecretTypeTLS, Data: ca.SecretData(p)})).To(Succeed())
		}
		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())

		fake = fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, AutoEnable: true, TLS: true,
			DefaultPrimaries: 3, DefaultSecondaries: 1, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		// FollowPods writes the Bolt lines, FollowResolveFile adds the
		// channel listeners' for the operator.
		resolve, pods := filepath.Join(cluster0Dir(), "neo4j-resolve-secure"), filepath.Join(cluster0Dir(), "neo4j-resolve-secure-pods")
		Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
		Expect(os.WriteFile(pods, nil, 0o600)).To(Succeed())
		wctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go fake.FollowTLSSecret(wctx, admin, types.NamespacedName{Namespace: ns, Name: "graph-bolt"}, kubeletLag)
		go fake.FollowChannelSecret(wctx, admin, "cluster", types.NamespacedName{Namespace: ns, Name: "graph-cluster"}, clusterLag)
		go fake.FollowPods(wctx, admin, ns, "cluster.local", pods)
		go fake.FollowResolveFile(wctx, pods, resolve)

		secure := &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster0Dir(), "logs", "operator-secure.log"),
			Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-election-id=neo4j-operator-secure",
				"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=1s", "--neo4j-timeout=2s",
				"--tls-reload-delay=" + reloadDelay.String()}}
		Expect(secure.Start(ctx)).To(Succeed())
		DeferCleanup(secure.Stop)

		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 1}
		c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "graph-bolt"}}
		c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "graph-cluster"}
		Expect(admin.Create(ctx, c)).To(Succeed())
	})

	It("forms over bolt+s and reports the certificates", func() {
		waitReady(c) // Ready needs Neo4j's word: the polls went over TLS (the fake refuses plaintext)
		Eventually(func() string { return tlsReady().Reason }, readyTimeout, poll).Should(Equal("CertificatesServed"))
		st := getCluster(c).Status
		Expect(st.TLS.Certificates).To(HaveLen(2))
		Expect(st.TLS.Certificates[0].Fingerprint).To(Equal(fake.Presented("graph-primary-0")))
		Expect(st.TLS.Certificates[1].Fingerprint).To(Equal(fake.PresentedOn("graph-primary-0", "cluster")))
		Expect(st.Endpoints.Bolt).To(HavePrefix("neo4j+s://"))
	})

	It("reloads a rotated certificate on every server once: no pod restarted, no new revision, then calm", func() {
		uids := map[string]types.UID{}
		for k, v := range podUIDs(ns, "graph-primary") {
			uids[k] = v
		}
		for k, v := range podUIDs(ns, "graph-secondary") {
			uids[k] = v
		}
		revs := revisions(ns, "graph-primary") + revisions(ns, "graph-secondary")
		update := statefulSet(ns, "graph-primary").Status.UpdateRevision

		rotated, err := ca.Issue(48*time.Hour, dns...)
		Expect(err).NotTo(HaveOccurred())
		want := neo4j.Fingerprint(rotated.Cert)
		secret := &corev1.Secret{}
		Expect(admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "graph-bolt"}, secret)).To(Succeed())
		secret.Data = ca.SecretData(rotated)
		start := time.Now()
		Expect(admin.Update(ctx, secret)).To(Succeed())

		By("the operator waits for the kubelet, then reloads")
		Eventually(func() string { return tlsReady().Reason }, 10*time.Second, poll).Should(Equal("Reloading"))
		Eventually(func(g Gomega) {
			for _, s := range servers {
				g.Expect(fake.Presented(s)).To(Equal(want), s)
			}
			g.Expect(tlsReady().Reason).To(Equal("CertificatesServed"))
		}, reloadDelay+30*time.Second, poll).Should(Succeed())
		took := time.Since(start)
		GinkgoWriter.Printf("rotation served by every server %v after the Secret changed (reload delay %v, kubelet lag %v)\n",
			took.Round(100*time.Millisecond), reloadDelay, kubeletLag)
		Expect(took).To(BeNumerically(">=", reloadDelay), "no reload before the delay")
		for _, s := range servers {
			Expect(fake.Reloads(s)).To(Equal(1), "reloads of %s", s)
		}
		st := getCluster(c).Status.TLS
		Expect(st.Reload).To(BeNil())
		Expect(st.Certificates[0].Fingerprint).To(Equal(want))
		for _, s := range servers {
			Expect(fake.Dials(s, "cluster")).To(BeNumerically(">=", 1), "the cluster channel of %s was checked", s)
		}

		By("no pod restarted, no new revision")
		now := map[string]types.UID{}
		for k, v := range podUIDs(ns, "graph-primary") {
			now[k] = v
		}
		for k, v := range podUIDs(ns, "graph-secondary") {
			now[k] = v
		}
		Expect(now).To(Equal(uids))
		Expect(revisions(ns, "graph-primary") + revisions(ns, "graph-secondary")).To(Equal(revs))
		Expect(statefulSet(ns, "graph-primary").Status.UpdateRevision).To(Equal(update))
		Expect(podCreates(ns, "graph-", start)).To(BeZero())

		By("calm afterwards: 30 s of polls, no API writes")
		time.Sleep(2 * time.Second)
		since := time.Now()
		time.Sleep(30 * time.Second)
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec+w.Status+w.Events).To(BeZero(), "operator writes while calm: %v", w.Details)
		for _, s := range servers {
			Expect(fake.Reloads(s)).To(Equal(1), "reloads of %s after the calm window", s)
		}
	})

	It("retries a server until its cluster channel presents the rotated certificate, the kubelet being late", func() {
		old := fake.PresentedOn("graph-primary-0", "cluster")
		reloads := map[string]int{}
		for _, s := range servers {
			reloads[s] = fake.Reloads(s)
		}
		rotated, err := ca.Issue(48*time.Hour, dns...)
		Expect(err).NotTo(HaveOccurred())
		want := neo4j.Fingerprint(rotated.Cert)
		secret := &corev1.Secret{}
		Expect(admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "graph-cluster"}, secret)).To(Succeed())
		secret.Data = ca.SecretData(rotated)
		start := time.Now()
		Expect(admin.Update(ctx, secret)).To(Succeed())

		By("reloaded before the kubelet wrote the cluster files: not recorded, the channel named")
		Eventually(func(g Gomega) {
			for _, s := range servers {
				g.Expect(fake.Reloads(s)).To(BeNumerically(">", reloads[s]), s)
			}
			cond := tlsReady()
			g.Expect(cond.Reason).To(Equal("Reloading"))
			g.Expect(cond.Message).To(ContainSubstring("still presents %s on cluster, not %s", old, want))
		}, reloadDelay+15*time.Second, poll).Should(Succeed())
		Expect(time.Since(start)).To(BeNumerically("<", clusterLag), "the check must have run before the kubelet wrote the files")
		st := getCluster(c).Status.TLS
		Expect(st.Reload).NotTo(BeNil())
		Expect(st.Reload.Reloaded).To(BeEmpty())

		By("retried once the kubelet wrote them")
		Eventually(func(g Gomega) {
			for _, s := range servers {
				g.Expect(fake.PresentedOn(s, "cluster")).To(Equal(want), s)
			}
			g.Expect(tlsReady().Reason).To(Equal("CertificatesServed"))
			g.Expect(getCluster(c).Status.TLS.Reload).To(BeNil())
		}, clusterLag+30*time.Second, poll).Should(Succeed())
		GinkgoWriter.Printf("cluster rotation served by every server %v after the Secret changed (kubelet lag %v)\n",
			time.Since(start).Round(100*time.Millisecond), clusterLag)
		for _, s := range servers {
			Expect(fake.Reloads(s)).To(BeNumerically(">=", reloads[s]+2), "reloads of %s", s)
		}
	})

	It("turns the cluster channel off only by a full restart the user allowed: held first, then every pod deleted together", func() {
		uids := func() map[string]types.UID {
			out := podUIDs(ns, "graph-primary")
			for k, v := range podUIDs(ns, "graph-secondary") {
				out[k] = v
			}
			return out
		}
		old := uids()
		gens := []int64{statefulSet(ns, "graph-primary").Generation, statefulSet(ns, "graph-secondary").Generation}
		degraded := func() metav1.Condition {
			if got := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded); got != nil {
				return *got
			}
			return metav1.Condition{}
		}

		By("spec.tls.cluster removed: held, FullRestartRequired, no StatefulSet written, no pod restarted")
		start := time.Now()
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.TLS.Cluster = nil })
		Eventually(func() string { return degraded().Reason }, 30*time.Second, poll).Should(Equal("FullRestartRequired"))
		Expect(degraded().Message).To(ContainSubstring("turns off TLS between the servers"))
		Consistently(func(g Gomega) {
			g.Expect([]int64{statefulSet(ns, "graph-primary").Generation, statefulSet(ns, "graph-secondary").Generation}).To(Equal(gens))
		}, 5*time.Second, poll).Should(Succeed())
		Expect(uids()).To(Equal(old))

		By("allowed: every pod deleted in one go, none evicted; all back with the new policy")
		allowed := time.Now()
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, v1alpha1.AnnotationAllowFullRestart, "true")
		})
		Eventually(func(g Gomega) {
			now := uids()
			g.Expect(now).To(HaveLen(len(old)))
			for name, uid := range now {
				g.Expect(uid).NotTo(Equal(old[name]), name)
			}
			got := getCluster(c)
			g.Expect(got.Status.Rollout).To(BeNil())
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseReady))
			g.Expect(degraded().Status).To(Equal(metav1.ConditionFalse))
		}, readyTimeout, poll).Should(Succeed())
		GinkgoWriter.Printf("full restart of %d pods: Ready again %v after the annotation\n", len(old), time.Since(allowed).Round(100*time.Millisecond))
		for _, role := range []string{"graph-primary", "graph-secondary"} {
			Expect(statefulSet(ns, role).Spec.Template.Spec.Volumes).NotTo(ContainElement(HaveField("Name", "tls-cluster")), role)
		}
		deleted, err := cluster.AuditEvents(localcluster.AuditFilter{User: operatorproc.User, Verb: "delete", Resource: "pods", Namespace: ns, Succeeded: true, Since: start})
		Expect(err).NotTo(HaveOccurred())
		Expect(deleted).To(HaveLen(len(old)))
		Expect(deleted[len(deleted)-1].Time.Sub(deleted[0].Time)).To(BeNumerically("<", 2*time.Second), "deleted together")
		Expect(auditCount(localcluster.AuditFilter{User: operatorproc.User, Verb: "create", Resource: "pods", Subresource: "eviction", Namespace: ns, Since: start})).To(BeZero())
		// The referee (AfterEach) checks that no server ran with the
		// cluster policy beside one without it.
	})

	It("runs without cert-manager and the Prometheus Operator, and says so when a cluster asks for them", func() {
		// This control plane has neither CRD: the operator started without
		// them (it is running) and a cluster asking for them is told why.
		asks := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "asks"}}
		asks.Spec.AcceptLicenseAgreement = "eval"
		asks.Spec.Topology = v1alpha1.Topology{Primaries: 1}
		asks.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca"}}}
		asks.Spec.Monitoring.PodMonitor = &v1alpha1.PrometheusMonitor{}
		Expect(admin.Create(ctx, asks)).To(Succeed())
		Eventually(func(g Gomega) {
			st := getCluster(asks).Status
			tls := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionTLSReady)
			g.Expect(tls).NotTo(BeNil())
			g.Expect(tls.Reason).To(Equal("CertManagerMissing"))
			deg := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionDegraded)
			g.Expect(deg).NotTo(BeNil())
			g.Expect(deg.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(deg.Message).To(ContainSubstring("does not serve monitoring.coreos.com/v1 PodMonitors"))
		}, readyTimeout, poll).Should(Succeed())
		Expect(statefulSet(ns, "asks-primary").Spec.Template.Spec.Volumes).To(ContainElement(HaveField("Name", "tls-bolt")))
		Expect(admin.Delete(ctx, asks)).To(Succeed())
	})
})

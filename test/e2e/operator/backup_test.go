package operator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Backups out of process: the operator creates each backup's Job;
// kube-controller-manager's Job controller makes its pod and follows it;
// kwok completes the pod, or fails it (stages/pod-fail.yaml) when it is
// labelled so, with a termination message as the kubelet would keep it.
// Neo4j is the FAKE cluster (internal/testing/fake/cluster): it records the
// CREATE DATABASE ... OPTIONS {seedURI} a seeded database is made with.
// No neo4j-admin runs: what the Job would do is checked by its argv
// (internal/backup's tests), not by running it.
var _ = Describe("Backups, out of process", Ordered, func() {
	const ns, password = "vault", "e2e-vault-password"
	var (
		fake *fakecluster.Cluster
		c    *v1alpha1.Neo4jEnterpriseCluster
	)
	s3 := v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "graph-backups", Prefix: "vault"}}
	getBackup := func(name string) *v1alpha1.Neo4jBackup {
		b := &v1alpha1.Neo4jBackup{}
		ExpectWithOffset(1, admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, b)).To(Succeed())
		return b
	}

	BeforeAll(func() {
		fake = fakeNamespace(ns, password, "")

		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 1} // one server: the suite's volumes are shared by every spec
		c.Spec.Backup.Enabled = true
		c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales"}}
		Expect(admin.Create(ctx, c)).To(Succeed())
		waitReady(c)
	})

	It("runs a backup as a Job to completion, and the cluster reports it", func() {
		b := &v1alpha1.Neo4jBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales-1"},
			Spec: v1alpha1.Neo4jBackupSpec{Cluster: "graph", Databases: []string{"sales"}, Target: s3}}
		Expect(admin.Create(ctx, b)).To(Succeed())
		Eventually(func() v1alpha1.BackupPhase { return getBackup("sales-1").Status.Phase }, readyTimeout, poll).Should(Equal(v1alpha1.BackupCompleted))
		got := getBackup("sales-1").Status
		Expect(got.Location).To(Equal("s3://graph-backups/vault/sales-1/"))
		Expect(got.StartTime).NotTo(BeNil())
		Expect(got.CompletionTime).NotTo(BeNil())

		job := &batchv1.Job{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sales-1"}, job)).To(Succeed())
		Expect(job.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"database", "backup",
			"--from=graph-primary-0-internals.vault.svc.cluster.local:6362",
			"--to-path=s3://graph-backups/vault/sales-1/", "--type=AUTO", "--compress=true", "--include-metadata=all", "--temp-path=/backup-temp", "sales"}))

		Eventually(func() string {
			if l := getCluster(c).Status.LastSuccessfulBackup; l != nil {
				return l.Name
			}
			return ""
		}, readyTimeout, poll).Should(Equal("sales-1"))

		By("the servers listen for backups on their internals Services only")
		svc := &corev1.Service{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "graph-primary-0-internals"}, svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(ContainElement(HaveField("Port", int32(6362))))
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "graph"}, svc)).To(Succeed())
		Expect(svc.Spec.Ports).NotTo(ContainElement(HaveField("Port", int32(6362))))
	})

	It("reports a failed backup with the pod's last lines, credentials redacted", func() {
		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
			StringData: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}})).To(Succeed())
		target := s3.DeepCopy()
		target.S3.Credentials = &v1alpha1.CloudCredentials{SecretName: "aws"}
		b := &v1alpha1.Neo4jBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales-2"},
			Spec: v1alpha1.Neo4jBackupSpec{Cluster: "graph", Databases: []string{"sales"}, Target: *target,
				// No retry: kwok fails every pod, and the default's three
				// retries would add 10+20+40 s of the Job controller's backoff.
				BackoffLimit: ptr.To[int32](0),
				PodLabels:    map[string]string{"fail.stage.neo4j.graphops.dev": "true"},
				PodAnnotations: map[string]string{"fail.stage.neo4j.graphops.dev/message": "Uploading to s3://graph-backups/vault/sales-2/ failed: AccessDenied\n" +
					"signing with AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nBackup command failed to complete successfully"}}}
		Expect(admin.Create(ctx, b)).To(Succeed())
		Eventually(func() v1alpha1.BackupPhase { return getBackup("sales-2").Status.Phase }, readyTimeout, poll).Should(Equal(v1alpha1.BackupFailed))
		Expect(getBackup("sales-2").Status.Message).To(Equal("container backup exited with code 1:\n" +
			"Uploading to s3://graph-backups/vault/sales-2/ failed: AccessDenied\nsigning with [redacted] and [redacted]\nBackup command failed to complete successfully"))
		Expect(getCluster(c).Status.LastSuccessfulBackup.Name).To(Equal("sales-1"))
	})

	It("seeds new databases from a completed backup and from a URI", func() {
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = append(c.Spec.Databases,
				v1alpha1.DatabaseSpec{Name: "sales-copy", SeedFrom: &v1alpha1.SeedSource{Backup: "sales-1"}},
				v1alpha1.DatabaseSpec{Name: "archive", SeedFrom: &v1alpha1.SeedSource{URI: "gs://archive/graph/neo4j-2026-11-30T02-00-00.backup", Config: "project=graph"}})
		})
		Eventually(fake.Seeds, readyTimeout, poll).Should(Equal(map[string]fakecluster.Seed{
			"sales-copy": {URI: "s3://graph-backups/vault/sales-1/"},
			"archive":    {URI: "gs://archive/graph/neo4j-2026-11-30T02-00-00.backup", Config: "project=graph"},
		}))
		waitReady(c)
	})

	It("makes a backup at the schedule's tick, and nothing while suspended", func() {
		s := &v1alpha1.Neo4jBackupSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "minutely"},
			Spec: v1alpha1.Neo4jBackupScheduleSpec{Schedule: "* * * * *",
				BackupTemplate: v1alpha1.BackupTemplate{Spec: v1alpha1.Neo4jBackupSpec{Cluster: "graph", Databases: []string{"sales"}, Target: s3}},
				Retention:      v1alpha1.BackupRetention{KeepCompleted: ptr.To[int32](1)}}}
		Expect(admin.Create(ctx, s)).To(Succeed())
		var first string
		Eventually(func(g Gomega) {
			list := &v1alpha1.Neo4jBackupList{}
			g.Expect(admin.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{"neo4j.graphops.dev/schedule": "minutely"})).To(Succeed())
			g.Expect(list.Items).To(HaveLen(1))
			g.Expect(list.Items[0].Status.Phase).To(Equal(v1alpha1.BackupCompleted))
			first = list.Items[0].Name
		}, 90*time.Second, poll).Should(Succeed())
		Expect(strings.HasPrefix(first, "minutely-")).To(BeTrue())

		Eventually(func() error {
			fresh := &v1alpha1.Neo4jBackupSchedule{}
			if err := admin.Get(ctx, client.ObjectKeyFromObject(s), fresh); err != nil {
				return err
			}
			fresh.Spec.Suspend = true
			return admin.Update(ctx, fresh)
		}, readyTimeout, poll).Should(Succeed())
		names := func() []string {
			list := &v1alpha1.Neo4jBackupList{}
			Expect(admin.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{"neo4j.graphops.dev/schedule": "minutely"})).To(Succeed())
			var out []string
			for _, b := range list.Items {
				out = append(out, b.Name)
			}
			return out
		}
		time.Sleep(2 * time.Second) // the operator sees the suspension
		before := names()
		// A whole minute: one tick at least passes, and makes nothing.
		Consistently(func(g Gomega) {
			for _, n := range names() {
				g.Expect(before).To(ContainElement(n))
			}
		}, 61*time.Second, time.Second).Should(Succeed())
	})
})

// A lost cluster restored into a new one (spec.bootstrap.fromBackup): its
// backups survived (Neo4jBackups, completed, in the namespace); the new
// cluster forms, creates sales from its backup and replaces the empty
// neo4j once with dbms.recreateDatabase — against the FAKE cluster, which
// records both.
var _ = Describe("Restoring a lost cluster, out of process", Ordered, func() {
	const ns, password = "phoenix", "e2e-phoenix-password"
	var fake *fakecluster.Cluster
	BeforeAll(func() {
		fake = fakeNamespace(ns, password, "2025.10")
	})

	It("restores every listed database once, neo4j with the recreate procedure", func() {
		// The lost cluster's backup of sales, as it survived: completed.
		lost := &v1alpha1.Neo4jBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lost-sales-1"},
			Spec: v1alpha1.Neo4jBackupSpec{Cluster: "lost", Databases: []string{"sales"},
				Target: v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "graph-backups", Prefix: "lost"}}}}
		Expect(admin.Create(ctx, lost)).To(Succeed())
		Eventually(func() error {
			b := &v1alpha1.Neo4jBackup{}
			if err := admin.Get(ctx, client.ObjectKeyFromObject(lost), b); err != nil {
				return err
			}
			at := metav1.Now()
			b.Status = v1alpha1.Neo4jBackupStatus{Phase: v1alpha1.BackupCompleted, CompletionTime: &at, Location: "s3://graph-backups/lost/lost-sales-1/"}
			return admin.Status().Update(ctx, b)
		}, readyTimeout, poll).Should(Succeed())

		c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Image.Tag = "2025.10.1-enterprise"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 1}
		c.Spec.Bootstrap = &v1alpha1.BootstrapSpec{FromBackup: []v1alpha1.DatabaseRestore{
			{Database: "neo4j", SeedSource: v1alpha1.SeedSource{URI: "s3://graph-backups/lost/lost-neo4j-1/"}},
			{Database: "sales", SeedSource: v1alpha1.SeedSource{Backup: "lost-sales-1"}},
		}}
		Expect(admin.Create(ctx, c)).To(Succeed())
		Eventually(func() v1alpha1.BootstrapState {
			if b := getCluster(c).Status.Bootstrap; b != nil {
				return b.State
			}
			return ""
		}, readyTimeout, poll).Should(Equal(v1alpha1.BootstrapRestored))
		Eventually(func(g Gomega) {
			got := getCluster(c)
			g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseReady), "conditions %+v", got.Status.Conditions)
		}, readyTimeout, poll).Should(Succeed())
		Expect(fake.Seeds()).To(Equal(map[string]fakecluster.Seed{"sales": {URI: "s3://graph-backups/lost/lost-sales-1/"}}))
		Expect(fake.Recreated()).To(Equal(map[string][]string{"neo4j": {"s3://graph-backups/lost/lost-neo4j-1/"}}))
		Expect(getCluster(c).Annotations).To(HaveKeyWithValue(v1alpha1.AnnotationBootstrapped, HavePrefix("s3://graph-backups/lost/lost-neo4j-1/ at ")))

		By("never again: not on later polls, not after a change of spec")
		updateCluster(c, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Backup.Enabled = true })
		waitReady(c)
		Consistently(fake.Recreated, 10*time.Second, time.Second).Should(Equal(map[string][]string{"neo4j": {"s3://graph-backups/lost/lost-neo4j-1/"}}))

		By("spec.bootstrap cannot change once the cluster exists")
		fresh := getCluster(c)
		fresh.Spec.Bootstrap.FromBackup[0].URI = "s3://elsewhere/"
		err := admin.Update(ctx, fresh)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("spec.bootstrap can only be set when the cluster is created, and cannot change"))
	})
})

// fakeNamespace sets a namespace up for one cluster "graph" of one
// server: the operator's namespaced Role, the auth Secret, a FAKE Neo4j
// cluster following the namespace's pods, and an operator process confined
// to the namespace (its log: logs/operator-<ns>.log). Everything is torn
// down with the container.
func fakeNamespace(ns, password, release string) *fakecluster.Cluster {
	GinkgoHelper()
	createNamespace(ns)
	Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
	Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
		StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
	return startFakeNeo4j(ns, password, release)
}

// startFakeNeo4j runs a FAKE Neo4j cluster that follows the namespace's
// pods, and an operator confined to the namespace that talks to it.
func startFakeNeo4j(ns, password, release string) *fakecluster.Cluster {
	GinkgoHelper()
	fake := fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, AutoEnable: true,
		DefaultPrimaries: 1, InitialPrimaries: 1, Release: release})
	DeferCleanup(fake.Close)
	resolve := filepath.Join(cluster0Dir(), "neo4j-resolve-"+ns)
	Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
	wctx, stop := context.WithCancel(ctx)
	DeferCleanup(stop)
	go fake.FollowPods(wctx, admin, ns, "cluster.local", resolve)
	o := &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
		LogPath: filepath.Join(cluster0Dir(), "logs", "operator-"+ns+".log"),
		Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-election-id=neo4j-operator-" + ns,
			"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=1s", "--neo4j-timeout=2s"}}
	Expect(o.Start(ctx)).To(Succeed())
	DeferCleanup(o.Stop)
	return fake
}

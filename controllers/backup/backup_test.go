package backup_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

func newCluster(name string, backups bool) *v1alpha1.Neo4jEnterpriseCluster {
	return &v1alpha1.Neo4jEnterpriseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.Neo4jEnterpriseClusterSpec{
			AcceptLicenseAgreement: "eval",
			Topology:               v1alpha1.Topology{Primaries: 3, Secondaries: 1},
			Image:                  v1alpha1.ImageSpec{Tag: "2025.10.1-enterprise"},
			Backup:                 v1alpha1.BackupSpec{Enabled: backups},
		},
	}
}

func newBackup(name, cluster string, target v1alpha1.BackupTarget) *v1alpha1.Neo4jBackup {
	return &v1alpha1.Neo4jBackup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.Neo4jBackupSpec{Cluster: cluster, Target: target},
	}
}

func readBackup(name string) *v1alpha1.Neo4jBackup {
	GinkgoHelper()
	b := &v1alpha1.Neo4jBackup{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, b)).To(Succeed())
	return b
}

func readyReason(b *v1alpha1.Neo4jBackup) string {
	c := meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady)
	if c == nil {
		return ""
	}
	return c.Reason
}

var _ = Describe("Neo4jBackup", func() {
	It("runs one Job, follows it to Completed, and never runs again", func() {
		Expect(k8s.Create(ctx, newCluster("ok", true))).To(Succeed())
		Expect(k8s.Create(ctx, newBackup("ok-1", "ok", s3Target()))).To(Succeed())
		r := newReconcilers(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		r.reconcileBackup("ok-1")
		b := readBackup("ok-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupRunning))
		Expect(b.Status.Location).To(Equal("s3://graph-backups/prod/ok-1/"))
		Expect(b.Status.Databases).To(Equal([]string{"*"}))
		Expect(b.Status.Image).To(HaveSuffix(":2025.10.1-enterprise"))
		job := &batchv1.Job{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ok-1"}, job)).To(Succeed())
		Expect(metav1.IsControlledBy(job, b)).To(BeTrue())
		// No status.servers (Neo4j not observed): every server, secondaries first.
		Expect(job.Spec.Template.Spec.Containers[0].Args).To(ContainElement(
			"--from=ok-secondary-0-internals.backups.svc.cluster.local:6362,ok-primary-0-internals.backups.svc.cluster.local:6362,ok-primary-1-internals.backups.svc.cluster.local:6362,ok-primary-2-internals.backups.svc.cluster.local:6362"))

		r.reconcileBackup("ok-1") // still running: nothing changes
		Expect(readBackup("ok-1").ResourceVersion).To(Equal(b.ResourceVersion))

		finishJob(job, batchv1.JobComplete, r.clock.Now().Add(7*time.Minute))
		r.reconcileBackup("ok-1")
		b = readBackup("ok-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupCompleted))
		Expect(b.Status.CompletionTime.Time.Equal(r.clock.Now().Add(7 * time.Minute).Truncate(time.Second))).To(BeTrue())
		Expect(meta.IsStatusConditionTrue(b.Status.Conditions, v1alpha1.ConditionBackupReady)).To(BeTrue())

		// The Job goes (TTL, a person): the finished backup is not run again.
		Expect(k8s.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
		r.reconcileBackup("ok-1")
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ok-1"}, &batchv1.Job{})
		Expect(apierrors.IsNotFound(err) || err == nil).To(BeTrue())
		Expect(readBackup("ok-1").ResourceVersion).To(Equal(b.ResourceVersion))
	})

	It("reports a failed backup with the pod's last lines, credentials redacted", func() {
		Expect(k8s.Create(ctx, newCluster("fails", true))).To(Succeed())
		Expect(k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "aws", Namespace: ns},
			StringData: map[string]string{"credentials": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		})).To(Succeed())
		target := s3Target()
		target.S3.Credentials = &v1alpha1.CloudCredentials{SecretName: "aws", Key: "credentials"}
		Expect(k8s.Create(ctx, newBackup("fails-1", "fails", target))).To(Succeed())
		r := newReconcilers(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
		r.reconcileBackup("fails-1")
		job := &batchv1.Job{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "fails-1"}, job)).To(Succeed())

		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "fails-1-x7k2p", Namespace: ns, Labels: map[string]string{batchv1.JobNameLabel: "fails-1"}},
			Spec:       *job.Spec.Template.Spec.DeepCopy(),
		}
		Expect(k8s.Create(ctx, pod)).To(Succeed())
		pod.Status.Phase = corev1.PodFailed
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "backup", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error",
			Message: "Unable to upload: credentials rejected for key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nBackup command failed to complete successfully",
		}}}}
		Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
		finishJob(job, batchv1.JobFailed, r.clock.Now())
		r.reconcileBackup("fails-1")
		b := readBackup("fails-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupFailed))
		Expect(readyReason(b)).To(Equal("BackupFailed"))
		Expect(b.Status.Message).To(Equal("container backup exited with code 1:\nUnable to upload: credentials rejected for key [redacted]\nBackup command failed to complete successfully"))
		Expect(strings.Contains(b.Status.Message, "wJalr")).To(BeFalse())
	})

	It("waits with a clear reason for what it needs, and starts once it is there", func() {
		Expect(k8s.Create(ctx, newCluster("closed", false))).To(Succeed())
		vol := v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "nightly", Path: "closed"}}
		Expect(k8s.Create(ctx, newBackup("closed-1", "closed", vol))).To(Succeed())
		Expect(k8s.Create(ctx, newBackup("nocluster-1", "nocluster", vol))).To(Succeed())
		r := newReconcilers(time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC))

		Expect(r.reconcileBackup("nocluster-1").RequeueAfter).To(Equal(30 * time.Second))
		b := readBackup("nocluster-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupPending))
		Expect(readyReason(b)).To(Equal("ClusterNotFound"))

		r.reconcileBackup("closed-1")
		b = readBackup("closed-1")
		Expect(readyReason(b)).To(Equal("BackupNotEnabled"))
		Expect(meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady).Message).To(ContainSubstring("set spec.backup.enabled"))

		c := &v1alpha1.Neo4jEnterpriseCluster{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "closed"}, c)).To(Succeed())
		c.Spec.Backup.Enabled = true
		Expect(k8s.Update(ctx, c)).To(Succeed())
		r.reconcileBackup("closed-1")
		b = readBackup("closed-1")
		Expect(readyReason(b)).To(Equal("InputMissing"))
		Expect(meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady).Message).To(Equal("the PersistentVolumeClaim nightly does not exist"))

		Expect(k8s.Create(ctx, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
			},
		})).To(Succeed())
		Expect(k8s.Create(ctx, newBackup("closed-2", "closed", vol))).To(Succeed())
		r.reconcileBackup("closed-1")
		Expect(readBackup("closed-1").Status.Phase).To(Equal(v1alpha1.BackupRunning))
		Expect(readBackup("closed-1").Status.Location).To(Equal("pvc://nightly/closed/closed-1/"))

		// One backup of a cluster at a time.
		Expect(r.reconcileBackup("closed-2").RequeueAfter).To(Equal(30 * time.Second))
		b = readBackup("closed-2")
		Expect(readyReason(b)).To(Equal("Waiting"))
		Expect(meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady).Message).To(HavePrefix("backup closed-1 of the same cluster is running"))
	})

	It("does not take over a Job of the same name that is not its own", func() {
		Expect(k8s.Create(ctx, newCluster("taken", true))).To(Succeed())
		foreign := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "taken-1", Namespace: ns}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "x", Image: "busybox"}}}}}}
		Expect(k8s.Create(ctx, foreign)).To(Succeed())
		Expect(k8s.Create(ctx, newBackup("taken-1", "taken", s3Target()))).To(Succeed())
		r := newReconcilers(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
		Expect(r.reconcileBackup("taken-1").RequeueAfter).To(Equal(30 * time.Second))
		b := readBackup("taken-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupPending))
		Expect(readyReason(b)).To(Equal("JobNameTaken"))
	})

	It("reports a missing credentials Secret", func() {
		Expect(k8s.Create(ctx, newCluster("nosecret", true))).To(Succeed())
		target := v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "graph-backups", Credentials: &v1alpha1.CloudCredentials{SecretName: "gcp", Key: "key.json"}}}
		Expect(k8s.Create(ctx, newBackup("nosecret-1", "nosecret", target))).To(Succeed())
		r := newReconcilers(time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC))
		r.reconcileBackup("nosecret-1")
		b := readBackup("nosecret-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupPending))
		Expect(meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady).Message).To(Equal("the credentials Secret gcp does not exist"))
	})
})

var _ = Describe("admission", func() {
	DescribeTable("refuses a bad Neo4jBackup with a clear message",
		func(mutate func(*v1alpha1.Neo4jBackup), message string) {
			b := newBackup("bad", "graph", s3Target())
			mutate(b)
			err := k8s.Create(ctx, b)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("two targets", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.Target.GCS = &v1alpha1.GCSTarget{Bucket: "other"}
		}, "target needs exactly one of volume, s3, gcs and azure"),
		Entry("no target", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.Target = v1alpha1.BackupTarget{}
		}, "target needs exactly one of volume, s3, gcs and azure"),
		Entry("DIFF into a new folder", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.Type = v1alpha1.BackupDiff
		}, "type DIFF needs target.folder Shared"),
		Entry("a check of a pattern", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.ConsistencyCheck, b.Spec.Type = true, v1alpha1.BackupFull
		}, "consistencyCheck needs databases named without patterns"),
		Entry("a path that climbs", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.Target = v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "x", Path: "a/../b"}}
		}, "path may not contain . or .. segments"),
		Entry("Azure credentials as a file", func(b *v1alpha1.Neo4jBackup) {
			b.Spec.Target = v1alpha1.BackupTarget{Azure: &v1alpha1.AzureTarget{StorageAccount: "graphbackups", Container: "prod",
				Credentials: &v1alpha1.CloudCredentials{SecretName: "az", Key: "file"}}}
		}, "Azure credentials are environment variables: leave key unset"),
	)

	It("refuses a change to a Neo4jBackup's spec", func() {
		b := newBackup("immutable", "graph", s3Target())
		Expect(k8s.Create(ctx, b)).To(Succeed())
		b.Spec.Type = v1alpha1.BackupFull
		err := k8s.Update(ctx, b)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("a Neo4jBackup's spec cannot change"))
	})

	It("refuses a schedule name too long for its backups' names", func() {
		s := newSchedule(strings.Repeat("s", 48), "@daily", 1, s3Target())
		err := k8s.Create(ctx, s)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("metadata.name must be at most 47 characters"))
	})
})

var _ = Describe("samples", func() {
	It("are accepted by the CRDs", func() {
		for _, f := range []string{"neo4j_v1alpha1_neo4jbackup.yaml", "neo4j_v1alpha1_neo4jbackupschedule.yaml"} {
			data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", f))
			Expect(err).NotTo(HaveOccurred())
			obj := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal(data, &obj.Object)).To(Succeed())
			obj.SetNamespace(ns)
			Expect(k8s.Create(ctx, obj)).To(Succeed(), f)
		}
	})
})

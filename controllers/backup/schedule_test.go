package backup_test

import (
	"fmt"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

func s3Target() v1alpha1.BackupTarget {
	return v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "graph-backups", Prefix: "prod"}}
}

func newSchedule(name, cron string, keep int32, target v1alpha1.BackupTarget) *v1alpha1.Neo4jBackupSchedule {
	return &v1alpha1.Neo4jBackupSchedule{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.Neo4jBackupScheduleSpec{
			Schedule:       cron,
			BackupTemplate: v1alpha1.BackupTemplate{Spec: v1alpha1.Neo4jBackupSpec{Cluster: "graph", Target: target}},
			Retention:      v1alpha1.BackupRetention{KeepCompleted: ptr.To(keep)},
		},
	}
}

// scheduleBackups are the schedule's Backups, by name.
func scheduleBackups(name string) []v1alpha1.Neo4jBackup {
	GinkgoHelper()
	list := &v1alpha1.Neo4jBackupList{}
	Expect(k8s.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{backup.LabelSchedule: name})).To(Succeed())
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

func names(bs []v1alpha1.Neo4jBackup) []string {
	var out []string
	for _, b := range bs {
		if b.DeletionTimestamp.IsZero() {
			out = append(out, b.Name)
		}
	}
	return out
}

// complete marks a Backup completed at t, as its controller would.
func complete(b *v1alpha1.Neo4jBackup, t time.Time) {
	GinkgoHelper()
	at := metav1.NewTime(t)
	b.Status.Phase, b.Status.CompletionTime = v1alpha1.BackupCompleted, &at
	Expect(k8s.Status().Update(ctx, b)).To(Succeed())
}

var _ = Describe("Neo4jBackupSchedule", func() {
	It("makes exactly one backup per tick across a simulated 48 hours", func() {
		s := newSchedule("every6h", "0 */6 * * *", 100, s3Target())
		Expect(k8s.Create(ctx, s)).To(Succeed())
		t0 := s.CreationTimestamp.UTC()
		r := newReconcilers(t0)
		var want []string
		for tick := t0.Truncate(6 * time.Hour).Add(6 * time.Hour); !tick.After(t0.Add(48 * time.Hour)); tick = tick.Add(6 * time.Hour) {
			want = append(want, "every6h-"+tick.Format("200601021504"))
		}
		Expect(want).To(HaveLen(8))

		// Every 10 minutes for 48 hours: each new Backup completes 10
		// minutes after it was made, as a real one would.
		for now := t0; !now.After(t0.Add(48 * time.Hour)); now = now.Add(10 * time.Minute) {
			r.clock.SetTime(now)
			res := r.reconcileSchedule("every6h")
			Expect(res.RequeueAfter).To(BeNumerically(">", 0))
			Expect(res.RequeueAfter).To(BeNumerically("<=", 6*time.Hour))
			for _, b := range scheduleBackups("every6h") {
				if b.Status.Phase == "" {
					complete(&b, now)
				}
			}
		}
		Expect(names(scheduleBackups("every6h"))).To(Equal(want))
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		Expect(s.Status.LastBackup).To(Equal(want[7]))
		Expect(s.Status.NextScheduleTime.Time.Sub(s.Status.LastScheduleTime.Time)).To(Equal(6 * time.Hour))
		Expect(meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionScheduleReady)).To(BeTrue())

		By("between ticks, reconciles write nothing: steady state is 0 writes")
		r.clock.SetTime(s.Status.LastScheduleTime.Add(time.Hour))
		r.reconcileSchedule("every6h") // records the last backup's completion: a real change
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		versions := map[string]string{"schedule": s.ResourceVersion}
		for _, b := range scheduleBackups("every6h") {
			versions[b.Name] = b.ResourceVersion
		}
		for range 5 {
			r.reconcileSchedule("every6h")
			for _, b := range scheduleBackups("every6h") {
				r.reconcileBackup(b.Name)
			}
		}
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		after := map[string]string{"schedule": s.ResourceVersion}
		for _, b := range scheduleBackups("every6h") {
			after[b.Name] = b.ResourceVersion
		}
		Expect(after).To(Equal(versions))
	})

	It("makes no duplicate when the operator restarts between making a backup and recording the tick", func() {
		s := newSchedule("restart", "0 * * * *", 100, s3Target())
		Expect(k8s.Create(ctx, s)).To(Succeed())
		tick := s.CreationTimestamp.UTC().Truncate(time.Hour).Add(time.Hour)
		first := newReconcilers(tick.Add(30 * time.Second))
		first.reconcileSchedule("restart")
		Expect(names(scheduleBackups("restart"))).To(Equal([]string{"restart-" + tick.Format("200601021504")}))

		// The status write is lost, as if the operator died after the
		// create: the tick looks unacted on.
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		s.Status = v1alpha1.Neo4jBackupScheduleStatus{}
		Expect(k8s.Status().Update(ctx, s)).To(Succeed())

		second := newReconcilers(tick.Add(90 * time.Second))
		second.reconcileSchedule("restart")
		second.reconcileSchedule("restart")
		Expect(names(scheduleBackups("restart"))).To(Equal([]string{"restart-" + tick.Format("200601021504")}))
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		Expect(s.Status.LastScheduleTime.Time.Equal(tick)).To(BeTrue())
	})

	It("skips a tick while the previous backup runs (concurrencyPolicy Forbid), and a tick missed past the deadline", func() {
		s := newSchedule("forbid", "*/30 * * * *", 100, s3Target())
		s.Spec.StartingDeadlineSeconds = ptr.To[int64](60)
		Expect(k8s.Create(ctx, s)).To(Succeed())
		tick := s.CreationTimestamp.UTC().Truncate(30 * time.Minute).Add(30 * time.Minute)
		r := newReconcilers(tick)
		r.reconcileSchedule("forbid")
		Expect(scheduleBackups("forbid")).To(HaveLen(1))
		r.clock.SetTime(tick.Add(30 * time.Minute)) // the first still runs
		r.reconcileSchedule("forbid")
		Expect(scheduleBackups("forbid")).To(HaveLen(1))
		b := scheduleBackups("forbid")[0]
		complete(&b, tick.Add(31*time.Minute))
		r.clock.SetTime(tick.Add(62 * time.Minute)) // 2 minutes late: past the 60 s deadline
		r.reconcileSchedule("forbid")
		Expect(scheduleBackups("forbid")).To(HaveLen(1))
		r.clock.SetTime(tick.Add(90 * time.Minute))
		r.reconcileSchedule("forbid")
		Expect(names(scheduleBackups("forbid"))).To(Equal([]string{
			"forbid-" + tick.Format("200601021504"), "forbid-" + tick.Add(90*time.Minute).Format("200601021504"),
		}))
	})

	It("makes nothing while suspended", func() {
		s := newSchedule("suspended", "* * * * *", 100, s3Target())
		s.Spec.Suspend = true
		Expect(k8s.Create(ctx, s)).To(Succeed())
		r := newReconcilers(s.CreationTimestamp.Add(10 * time.Minute))
		r.reconcileSchedule("suspended")
		Expect(scheduleBackups("suspended")).To(BeEmpty())
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		Expect(meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionScheduleReady).Reason).To(Equal("Suspended"))
	})

	It("reports a schedule it cannot parse, and a time zone that does not exist", func() {
		s := newSchedule("badcron", "61 * * * *", 1, s3Target())
		Expect(k8s.Create(ctx, s)).To(Succeed())
		r := newReconcilers(s.CreationTimestamp.Add(time.Hour))
		Expect(r.reconcileSchedule("badcron").RequeueAfter).To(BeZero())
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionScheduleReady)
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Reason).To(Equal("InvalidSchedule"))
		Expect(c.Message).To(ContainSubstring(`schedule "61 * * * *"`))

		z := newSchedule("badzone", "0 2 * * *", 1, s3Target())
		z.Spec.TimeZone = ptr.To("Mars/Olympus_Mons")
		Expect(k8s.Create(ctx, z)).To(Succeed())
		r.reconcileSchedule("badzone")
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(z), z)).To(Succeed())
		c = meta.FindStatusCondition(z.Status.Conditions, v1alpha1.ConditionScheduleReady)
		Expect(c.Message).To(HavePrefix(`timeZone "Mars/Olympus_Mons" is not an IANA time zone name`))
		Expect(scheduleBackups("badcron")).To(BeEmpty())
		Expect(scheduleBackups("badzone")).To(BeEmpty())
	})

	It("deletes the oldest completed backups beyond keepCompleted, never a running one", func() {
		s := newSchedule("retain", "0 0 1 1 *", 3, s3Target())
		Expect(k8s.Create(ctx, s)).To(Succeed())
		base := s.CreationTimestamp.UTC()
		for i := range 5 {
			b := ownedBackup(s, fmt.Sprintf("retain-old-%d", i), s3Target())
			complete(b, base.Add(time.Duration(i)*time.Hour))
		}
		ownedBackup(s, "retain-running", s3Target())
		r := newReconcilers(base.Add(6 * time.Hour))
		r.reconcileSchedule("retain")
		Expect(names(scheduleBackups("retain"))).To(Equal([]string{"retain-old-2", "retain-old-3", "retain-old-4", "retain-running"}))
	})

	It("deletes a volume backup's folder with a Job before deleting the backup", func() {
		vol := v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups", Path: "graph"}}
		s := newSchedule("retainvol", "0 0 1 1 *", 1, vol)
		Expect(k8s.Create(ctx, s)).To(Succeed())
		base := s.CreationTimestamp.UTC()
		complete(ownedBackup(s, "retainvol-a", vol), base)
		complete(ownedBackup(s, "retainvol-b", vol), base.Add(time.Hour))
		r := newReconcilers(base.Add(2 * time.Hour))
		res := r.reconcileSchedule("retainvol")
		Expect(res.RequeueAfter).To(Equal(5 * time.Second))
		job := &batchv1.Job{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "retainvol-a-rm"}, job)).To(Succeed())
		Expect(job.Spec.Template.Spec.Containers[0].Command).To(Equal([]string{"rm", "-rf", "--", "/backups/retainvol-a"}))
		Expect(job.Spec.Template.Spec.Containers[0].VolumeMounts[0].SubPath).To(Equal("graph"))
		Expect(names(scheduleBackups("retainvol"))).To(Equal([]string{"retainvol-a", "retainvol-b"}))

		r.reconcileSchedule("retainvol") // the Job runs: nothing deleted yet
		Expect(names(scheduleBackups("retainvol"))).To(Equal([]string{"retainvol-a", "retainvol-b"}))
		finishJob(job, batchv1.JobComplete, r.clock.Now())
		r.reconcileSchedule("retainvol")
		Expect(names(scheduleBackups("retainvol"))).To(Equal([]string{"retainvol-b"}))
	})
})

// ownedBackup creates a Backup as the schedule would.
func ownedBackup(s *v1alpha1.Neo4jBackupSchedule, name string, target v1alpha1.BackupTarget) *v1alpha1.Neo4jBackup {
	GinkgoHelper()
	b := &v1alpha1.Neo4jBackup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{backup.LabelSchedule: s.Name}},
		Spec:       v1alpha1.Neo4jBackupSpec{Cluster: "graph", Target: target},
	}
	Expect(controllerutil.SetControllerReference(s, b, testenv.Scheme)).To(Succeed())
	Expect(k8s.Create(ctx, b)).To(Succeed())
	return b
}

// finishJob sets a Job's status as the Job controller does when it ends.
func finishJob(job *batchv1.Job, t batchv1.JobConditionType, at time.Time) {
	GinkgoHelper()
	now := metav1.NewTime(at)
	job.Status.StartTime = &now
	if t == batchv1.JobComplete {
		job.Status.Succeeded = 1
		job.Status.CompletionTime = &now
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
	} else {
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
		}
	}
	err := k8s.Status().Update(ctx, job)
	if apierrors.IsInvalid(err) {
		Fail(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
}

package backup_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// A backup waits, without failing, while its cluster is rolled or scaled
// or has no server to read from (Operations Manual,
// backup-restore/online-backup.adoc: a server in --from that does not
// respond makes neo4j-admin exit non-zero), and starts once that ends.
// The cluster's status is written by hand, as the cluster controller
// would.

const deferredRoll = "a roll of the servers is in progress (status.rollout): a server named in --from could restart under the backup and fail it; the backup starts once the roll ends"

// clusterStatus creates the cluster and writes its status.
func clusterStatus(name string, set func(*v1alpha1.Neo4jEnterpriseClusterStatus)) *v1alpha1.Neo4jEnterpriseCluster {
	GinkgoHelper()
	c := newCluster(name, true)
	Expect(k8s.Create(ctx, c)).To(Succeed())
	updateClusterStatus(name, set)
	return c
}

func updateClusterStatus(name string, set func(*v1alpha1.Neo4jEnterpriseClusterStatus)) {
	GinkgoHelper()
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, c)).To(Succeed())
	set(&c.Status)
	Expect(k8s.Status().Update(ctx, c)).To(Succeed())
}

func rolling(cluster string) *v1alpha1.RolloutStatus {
	at := metav1.NewTime(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
	return &v1alpha1.RolloutStatus{
		Revisions: []v1alpha1.RolloutRevision{{StatefulSet: cluster + "-primary", From: cluster + "-primary-7d9f", To: cluster + "-primary-5c6b"}},
		Pod:       cluster + "-primary-1", Step: v1alpha1.RolloutWaitHealthy, StartedAt: at, LastTransitionTime: at,
	}
}

func scalingIn(cluster string) *v1alpha1.ScalingStatus {
	at := metav1.NewTime(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
	return &v1alpha1.ScalingStatus{Direction: v1alpha1.ScaleIn, Role: "secondary", Servers: []string{cluster + "-secondary-0"},
		Replicas: 0, Step: v1alpha1.StepDeallocate, StartedAt: at, LastTransitionTime: at}
}

// observedServer is a status.servers row as the observer writes it.
func observedServer(pod, state, health string) v1alpha1.ServerStatus {
	return v1alpha1.ServerStatus{Name: "id-" + pod, Address: pod + "-internals.backups.svc.cluster.local:7687", Pod: pod, State: state, Health: health}
}

func readyCondition(b *v1alpha1.Neo4jBackup) *metav1.Condition {
	return meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionBackupReady)
}

func expectNoJob(name string) {
	GinkgoHelper()
	err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &batchv1.Job{})
	Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Job %s: %v", name, err)
}

func backupJob(name string) *batchv1.Job {
	GinkgoHelper()
	job := &batchv1.Job{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, job)).To(Succeed())
	return job
}

// expectDeferred: Pending, Ready=False/Deferred with the message, for this
// generation, looked at again in 30 s, and no Job.
func expectDeferred(name string, res time.Duration, message string) {
	GinkgoHelper()
	Expect(res).To(Equal(30 * time.Second))
	b := readBackup(name)
	Expect(b.Status.Phase).To(Equal(v1alpha1.BackupPending))
	Expect(b.Status.StartTime).To(BeNil())
	cond := readyCondition(b)
	Expect(cond).NotTo(BeNil())
	Expect(*cond).To(And(HaveField("Status", metav1.ConditionFalse), HaveField("Reason", "Deferred"),
		HaveField("Message", message), HaveField("ObservedGeneration", b.Generation)))
	expectNoJob(name)
}

var _ = Describe("Neo4jBackup deferred by its cluster", func() {
	var (
		r        *reconcilers
		recorder *events.FakeRecorder
	)
	BeforeEach(func() {
		r = newReconcilers(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
		recorder = events.NewFakeRecorder(10)
		r.backup.Recorder = recorder
	})

	It("waits while the servers are rolled, says so once, and starts when the roll ends", func() {
		clusterStatus("rolled", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Rollout = rolling("rolled") })
		Expect(k8s.Create(ctx, newBackup("rolled-1", "rolled", s3Target()))).To(Succeed())

		res := r.reconcileBackup("rolled-1")
		expectDeferred("rolled-1", res.RequeueAfter, deferredRoll)
		Expect(recorder.Events).To(Receive(Equal("Normal Deferred " + deferredRoll)))

		// Still rolling: nothing is written, and no second Event.
		before := readBackup("rolled-1").ResourceVersion
		Expect(r.reconcileBackup("rolled-1").RequeueAfter).To(Equal(30 * time.Second))
		Expect(readBackup("rolled-1").ResourceVersion).To(Equal(before))
		Expect(recorder.Events).NotTo(Receive())
		expectNoJob("rolled-1")

		updateClusterStatus("rolled", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Rollout = nil })
		Expect(r.reconcileBackup("rolled-1").RequeueAfter).To(BeZero())
		b := readBackup("rolled-1")
		Expect(b.Status.Phase).To(Equal(v1alpha1.BackupRunning))
		Expect(readyCondition(b).Reason).To(Equal("Running"))
		Expect(metav1.IsControlledBy(backupJob("rolled-1"), b)).To(BeTrue())
		Expect(recorder.Events).To(Receive(Equal("Normal Running neo4j-admin database backup is running in Job rolled-1")))
	})

	It("waits while a scaling step is under way, and starts when it ends", func() {
		clusterStatus("scaled", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Scaling = scalingIn("scaled") })
		Expect(k8s.Create(ctx, newBackup("scaled-1", "scaled", s3Target()))).To(Succeed())

		res := r.reconcileBackup("scaled-1")
		msg := "a scaling operation is in progress (status.scaling: In, secondary servers): a server named in --from could leave under the backup and fail it; the backup starts once it ends"
		expectDeferred("scaled-1", res.RequeueAfter, msg)
		Expect(recorder.Events).To(Receive(Equal("Normal Deferred " + msg)))

		updateClusterStatus("scaled", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Scaling = nil })
		r.reconcileBackup("scaled-1")
		Expect(readBackup("scaled-1").Status.Phase).To(Equal(v1alpha1.BackupRunning))
		backupJob("scaled-1")
	})

	It("waits while no server can serve it, then reads from the reachable ones, secondaries first", func() {
		clusterStatus("dark", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) {
			s.Servers = []v1alpha1.ServerStatus{
				observedServer("dark-primary-0", "Enabled", "Unavailable"),
				observedServer("dark-primary-1", "Enabled", "Unavailable"),
				observedServer("dark-primary-2", "Cordoned", "Available"),
				observedServer("dark-secondary-0", "Enabled", "Unavailable"),
			}
		})
		Expect(k8s.Create(ctx, newBackup("dark-1", "dark", s3Target()))).To(Succeed())

		res := r.reconcileBackup("dark-1")
		msg := "no reachable server to back up from: Neo4j reports none of the cluster's servers Enabled and Available " +
			"(dark-primary-0=Enabled/Unavailable, dark-primary-1=Enabled/Unavailable, dark-primary-2=Cordoned/Available, dark-secondary-0=Enabled/Unavailable); " +
			"the backup starts once one is"
		expectDeferred("dark-1", res.RequeueAfter, msg)
		Expect(recorder.Events).To(Receive(Equal("Normal Deferred " + msg)))

		updateClusterStatus("dark", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) {
			s.Servers[1].Health = "Available"
			s.Servers[3].Health = "Available"
		})
		r.reconcileBackup("dark-1")
		Expect(readBackup("dark-1").Status.Phase).To(Equal(v1alpha1.BackupRunning))
		Expect(backupJob("dark-1").Spec.Template.Spec.Containers[0].Args).To(ContainElement(
			"--from=dark-secondary-0-internals.backups.svc.cluster.local:6362,dark-primary-1-internals.backups.svc.cluster.local:6362"))
	})

	It("leaves a backup whose Job started alone when a roll begins", func() {
		clusterStatus("busy", func(*v1alpha1.Neo4jEnterpriseClusterStatus) {})
		Expect(k8s.Create(ctx, newBackup("busy-1", "busy", s3Target()))).To(Succeed())
		r.reconcileBackup("busy-1")
		job := backupJob("busy-1")
		running := readBackup("busy-1")
		Expect(running.Status.Phase).To(Equal(v1alpha1.BackupRunning))

		updateClusterStatus("busy", func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Rollout = rolling("busy") })
		r.reconcileBackup("busy-1")
		Expect(readBackup("busy-1").ResourceVersion).To(Equal(running.ResourceVersion))
		Expect(backupJob("busy-1").UID).To(Equal(job.UID))

		finishJob(job, batchv1.JobComplete, r.clock.Now().Add(3*time.Minute))
		r.reconcileBackup("busy-1")
		Expect(readBackup("busy-1").Status.Phase).To(Equal(v1alpha1.BackupCompleted))
	})
})

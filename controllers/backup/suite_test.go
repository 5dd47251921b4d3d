package backup_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	backupctl "github.com/graphops-dev/neo4j-operator/controllers/backup"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

// The backup controllers are driven by hand here: Reconcile is called
// with a fake clock, so a schedule's 48 hours take seconds and no test
// sleeps. The client reads the API server directly (no cache), so each
// call sees the last write; the selectable field spec.cluster of
// Neo4jBackup serves the same index the manager's cache builds.

const ns = "backups"

var (
	env *testenv.Env
	ctx context.Context
	k8s client.Client
)

func TestBackupControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Backup controllers suite (envtest: real etcd and kube-apiserver)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx = context.Background()
	var err error
	env, err = testenv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8s = env.Client
	Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// reconcilers share one fake clock.
type reconcilers struct {
	clock    *clocktesting.FakePassiveClock
	backup   *backupctl.BackupReconciler
	schedule *backupctl.ScheduleReconciler
}

func newReconcilers(at time.Time) *reconcilers {
	c := clocktesting.NewFakePassiveClock(at)
	return &reconcilers{
		clock:    c,
		backup:   &backupctl.BackupReconciler{Client: apply.Counted(k8s, false), APIReader: k8s, Scheme: testenv.Scheme, Clock: c},
		schedule: &backupctl.ScheduleReconciler{Client: apply.Counted(k8s, false), APIReader: k8s, Scheme: testenv.Scheme, Clock: c},
	}
}

func (r *reconcilers) reconcileSchedule(name string) ctrl.Result {
	GinkgoHelper()
	res, err := r.schedule.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}})
	Expect(err).NotTo(HaveOccurred())
	return res
}

func (r *reconcilers) reconcileBackup(name string) ctrl.Result {
	GinkgoHelper()
	res, err := r.backup.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}})
	Expect(err).NotTo(HaveOccurred())
	return res
}

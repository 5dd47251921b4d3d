package access_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	accessctl "github.com/graphops-dev/neo4j-operator/controllers/access"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

// The users and roles controller on envtest (a real etcd and
// kube-apiserver), in process, against a FAKE Neo4j cluster
// (internal/testing/fake/cluster: users, roles and privileges as the
// Operations Manual describes them, security.go). No cluster controller
// runs: each spec's cluster status (Ready, a roll) is written by hand,
// which is all the users and roles controller reads of it.

const (
	ns       = "access"
	password = "admin-password"
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
	// recheck is the suite's --access-recheck: short, so that the calm
	// spec sees many rechecks.
	recheck = time.Second
)

var (
	ctx    context.Context
	cancel context.CancelFunc
	env    *testenv.Env
	k      client.Client
	fake   *fakecluster.Cluster
)

func TestAccess(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Users and roles suite (envtest and a fake Neo4j cluster)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	env, err = testenv.Start()
	Expect(err).NotTo(HaveOccurred())
	k = env.Client
	Expect(k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())

	fake = fakecluster.New(fakecluster.Options{Password: password, AutoEnable: true, DefaultPrimaries: 3, InitialPrimaries: 3})
	DeferCleanup(fake.Close)
	for _, n := range []string{"graph-primary-0", "graph-primary-1", "graph-primary-2"} {
		Expect(fake.SetPod(n, n+":7687", false, true)).To(Succeed())
	}

	skip := true
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 testenv.Scheme,
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	Expect(err).NotTo(HaveOccurred())
	r := &accessctl.Reconciler{Client: apply.Counted(mgr.GetClient(), false), APIReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("neo4j-operator"), Recheck: recheck,
		Admin: func(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (accessctl.Conn, error) {
			// The system leader is the fake's first primary.
			return neo4j.Dialer{Timeout: 2 * time.Second, Resolve: fake.Resolve}.Dial("graph-primary-0:7687", neo4j.Credentials{User: "neo4j", Password: password}, true)
		}}
	Expect(r.SetupWithManager(ctx, mgr, true, 2)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

var _ = AfterEach(func() {
	Expect(fakecluster.TakeViolations()).To(BeEmpty(), "the fake Neo4j cluster saw a rule of the Operations Manual broken")
})

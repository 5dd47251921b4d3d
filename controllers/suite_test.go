package controllers_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

// Namespaces: the manager watches managedNS; directNS is outside its cache,
// for specs that drive Reconcile by hand (with an intercepting client).
const (
	managedNS = "calm"
	directNS  = "direct"
)

var (
	env    *testenv.Env
	ctx    context.Context
	cancel context.CancelFunc
	mgr    ctrl.Manager
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers suite (envtest: real etcd and kube-apiserver)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	env, err = testenv.Start(testenv.TestCRDs()) // cert-manager's Certificate: no cert-manager runs
	Expect(err).NotTo(HaveOccurred())
	kinds, err := controllers.DiscoverKinds(env.Config)
	Expect(err).NotTo(HaveOccurred())
	for _, ns := range []string{managedNS, directNS} {
		Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}

	skip := true
	mgr, err = ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 testenv.Scheme,
		Cache:                  controllers.CacheOptions([]string{managedNS}, kinds),
		Client:                 client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect((&controllers.Neo4jEnterpriseClusterReconciler{
		Client:                  apply.Counted(mgr.GetClient(), true),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("neo4j-operator"),
		MaxConcurrentReconciles: 2,
		WatchSecrets:            true, // confined to managedNS, as with --watch-namespaces
		Kinds:                   kinds,
		TLSReloadDelay:          2 * time.Second,
	}).SetupWithManager(ctx, mgr)).To(Succeed())
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

// Every spec ends with the fake Neo4j clusters' referee: no rule of the
// Operations Manual that Neo4j would not refuse outright was broken
// (internal/testing/fake/cluster/referee.go).
var _ = AfterEach(func() {
	Expect(fakecluster.TakeViolations()).To(BeEmpty(), "the fake Neo4j cluster saw a rule of the Operations Manual broken")
})

// Package olm_test installs the operator's bundle with OLM's own operators
// (olm and catalog, operator-lifecycle-manager v0.31.0, built from source
// by make olm-tools) on a local control plane with kwok, in every install
// mode the CSV declares, upgrades it, and uninstalls it. Run with
// `make test-olm`.
//
// What runs where: OLM's olm and catalog operators run out of process as
// the admin (localcluster.Options.OLM); the catalog is the bundle/ folder
// rendered by opm and served by `opm serve` on a local port (a CatalogSource
// with spec.address); OLM creates the Deployment, ServiceAccount and RBAC
// from the CSV, kube-controller-manager's deployment and replicaset
// controllers make the Deployment's pods and kwok makes them Ready. kwok
// runs no container, so the operator itself runs as a local process with
// the Deployment's arguments and environment, under the ServiceAccount OLM
// created (a client certificate for that identity): it has exactly the
// permissions OLM granted. No Neo4j runs behind the pods
// (--neo4j-observe=false): Ready means Kubernetes Ready.
package olm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

var (
	ctx     context.Context
	cancel  context.CancelFunc
	cluster *localcluster.Cluster
	admin   client.Client
	catalog *localcluster.Catalog
	bundles *catalogFiles
	failed  bool
)

const (
	timeout = 3 * time.Minute
	poll    = 250 * time.Millisecond
)

func TestOLM(t *testing.T) {
	if os.Getenv("OLM") == "" {
		t.Skip("OLM suite: run with make test-olm (OLM=1)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "OLM install suite (OLM's operators on a local control plane + kwok)")
}

var _ = BeforeSuite(func() {
	failed = true // until the suite is up: a failed start keeps the logs
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	cluster, err = localcluster.Start(ctx, localcluster.Options{Nodes: 3, PersistentVolumes: 20, OLM: true,
		Log: GinkgoWriter, StartTimeout: 3 * time.Minute})
	Expect(err).NotTo(HaveOccurred())
	admin, err = client.New(cluster.Config, client.Options{Scheme: testenv.Scheme})
	Expect(err).NotTo(HaveOccurred())
	// The bundle ships a ServiceMonitor and a PrometheusRule: OLM installs
	// it only where those kinds are served (docs/install.md).
	for _, f := range []string{"monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"} {
		data, err := os.ReadFile(filepath.Join(testenv.TestCRDs(), f))
		Expect(err).NotTo(HaveOccurred())
		_, err = operatorproc.ApplyFile(ctx, admin, data, "")
		Expect(err).NotTo(HaveOccurred())
	}
	bundles, err = renderBundles(ctx, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	Expect(bundles.publish(previous)).To(Succeed())
	catalog, err = cluster.ServeCatalog(ctx, bundles.dir)
	Expect(err).NotTo(HaveOccurred())
	Expect(createCatalogSource(catalog.Addr)).To(Succeed())
	failed = false
})

var _ = AfterSuite(func() {
	stopOperators()
	if cluster != nil {
		if failed {
			cluster.MarkFailed() // keep the logs and the audit log
		}
		Expect(cluster.Stop()).To(Succeed())
	}
	if cancel != nil {
		cancel()
	}
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		failed = true
	}
})

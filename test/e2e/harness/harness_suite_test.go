// Package harness_test proves the local cluster launcher
// (test/support/localcluster) is fit for the operator's end-to-end tests: a
// StatefulSet gets pods, bound claims and ControllerRevisions, rolls each pod
// exactly once on a template change, and the audit log attributes writes to
// their authors.
//
// It starts real control-plane processes, so it runs only with E2E=1
// (`make test-e2e`); a plain `go test ./...` skips it.
package harness_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

func TestHarness(t *testing.T) {
	if os.Getenv("E2E") != "1" {
		t.Skip("end-to-end suite: set E2E=1 (make test-e2e) to run it")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "local cluster harness")
}

var cluster *localcluster.Cluster

var _ = BeforeSuite(func(ctx SpecContext) {
	t0 := time.Now()
	var err error
	cluster, err = localcluster.Start(ctx, localcluster.Options{Nodes: 3, Log: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry("cluster start-up", time.Since(t0).Round(10*time.Millisecond).String())
	GinkgoWriter.Printf("cluster up in %s at %s (folder %s)\n", time.Since(t0), cluster.Host, cluster.Dir)
}, NodeTimeout(3*time.Minute))

// A failed spec keeps the cluster's folder (logs, audit log) for a look
// afterwards; Stop prints its path.
var _ = AfterEach(func() {
	if cluster != nil && CurrentSpecReport().Failed() {
		cluster.MarkFailed()
	}
})

var _ = AfterSuite(func() {
	if cluster == nil {
		return
	}
	t0 := time.Now()
	Expect(cluster.Stop()).To(Succeed())
	GinkgoWriter.Printf("cluster stopped in %s\n", time.Since(t0))
})

// Package operator_test runs the operator binary, out of process and under
// its own ServiceAccount identity and RBAC, against a local control plane
// with a real StatefulSet controller (kube-controller-manager) and a fake
// kubelet (kwok). This is where revisions and pod replacements, which
// envtest cannot show, are counted. Run with `make test-e2e`.
package operator_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

var (
	ctx     context.Context
	cancel  context.CancelFunc
	cluster *localcluster.Cluster
	admin   client.Client
	op      *operatorproc.Operator
	report  = &sideBySide{}
)

func TestOperatorE2E(t *testing.T) {
	if os.Getenv("E2E") == "" {
		t.Skip("end-to-end suite: run with make test-e2e (E2E=1)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Operator e2e suite (local control plane + kwok)")
}

var _ = BeforeSuite(func() {
	failed = true // until the suite is up: a failed start keeps the cluster's logs
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter)))
	ctx, cancel = context.WithCancel(context.Background())
	manager := filepath.Join(testenv.BinDir(), "manager")
	if _, err := os.Stat(manager); err != nil {
		build := exec.Command("go", "build", "-trimpath", "-o", manager, ".")
		build.Dir, build.Env = testenv.RepoRoot(), append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	}

	var err error
	cluster, err = localcluster.Start(ctx, localcluster.Options{Nodes: 3, PersistentVolumes: 60, Log: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	admin, err = client.New(cluster.Config, client.Options{Scheme: testenv.Scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(operatorproc.Install(ctx, admin, filepath.Join(testenv.BinDir(), "kustomize"), filepath.Join(testenv.RepoRoot(), "config", "default"))).To(Succeed())

	// The operator is confined to the seed namespace (below), so, as
	// docs/install.md asks, the namespace gets the Secret-watching Role.
	Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "seed"}})).To(Succeed())
	Expect(operatorproc.GrantNamespace(ctx, admin, "seed")).To(Succeed())

	kubeconfig, err := cluster.UserKubeconfig(operatorproc.User, operatorproc.Groups)
	Expect(err).NotTo(HaveOccurred())
	op = &operatorproc.Operator{Binary: manager, Kubeconfig: kubeconfig, LogPath: filepath.Join(cluster.Dir, "logs", "operator.log"),
		// Only the seed namespace: the naive replay's cluster is the naive
		// reconciler's alone.
		// The Kubernetes-side suites run with no Neo4j behind the pods
		// (kwok): Ready means Kubernetes Ready.
		Args: []string{"--zap-log-level=info", "--watch-namespaces=seed", "--neo4j-observe=false"}}
	Expect(op.Start(ctx)).To(Succeed())
	failed = false
})

// doctorReports are kubectl neo4j doctor's reports on the replay's two
// sides, printed after it.
var doctorReports []string

var _ = AfterSuite(func() {
	report.print(os.Stdout)
	for _, r := range doctorReports {
		fmt.Fprintln(os.Stdout, "\n"+r)
	}
	if op != nil {
		op.Stop()
	}
	if cluster != nil {
		if failed {
			cluster.MarkFailed() // keep the logs and the audit log
		}
		Expect(cluster.Stop()).To(Succeed())
	}
	cancel()
})

// failed records whether any spec failed, to keep the cluster's folder.
var failed bool

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		failed = true
	}
})

// Every spec ends with the fake Neo4j clusters' referee: no rule of the
// Operations Manual that Neo4j would not refuse outright was broken
// (internal/testing/fake/cluster/referee.go).
var _ = AfterEach(func() {
	Expect(fakecluster.TakeViolations()).To(BeEmpty(), "the fake Neo4j cluster saw a rule of the Operations Manual broken")
})

// Package rbac_test applies the RBAC of the rendered install manifest
// (dist/install.yaml, written by `make dist`) to a real kube-apiserver
// (envtest) and checks what the operator's ServiceAccount may and may not
// do, and that the manager's Deployment passes the restricted Pod Security
// Standard.
package rbac_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

var (
	env *testenv.Env
	ctx context.Context
)

func TestRBAC(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Install manifest suite (envtest: RBAC and Pod Security admission)")
}

var _ = BeforeSuite(func() {
	ctx = context.Background()
	var err error
	env, err = testenv.Start()
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

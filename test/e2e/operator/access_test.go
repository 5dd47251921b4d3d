package operator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Users and roles, out of process, against a FAKE Neo4j cluster
// (internal/testing/fake/cluster, security.go): 5 Neo4jRoles and 20
// Neo4jUsers reach Neo4j and every user logs in with its Secret's
// password; then the fake loses its system database (ResetSecurity: what
// a restore of the databases alone leaves) and the operator brings every
// declared user and role back within one --access-recheck.
var _ = Describe("Users and roles, out of process", Ordered, func() {
	const ns, password = "access", "e2e-access-password"
	const users, roles, recheck = 20, 5, 5 * time.Second
	var (
		fake *fakecluster.Cluster
		c    *v1alpha1.Neo4jEnterpriseCluster
	)
	login := func(user, pw string) error {
		conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: fake.Resolve}.Dial(
			"graph-primary-0-internals."+ns+".svc.cluster.local:7687", neo4j.Credentials{User: user, Password: pw}, true)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(ctx) }()
		_, err = conn.ShowRoles(ctx)
		return err
	}
	everyoneLogsIn := func(g Gomega) {
		for i := range users {
			g.Expect(login(fmt.Sprintf("user%02d", i), fmt.Sprintf("password-of-user%02d", i))).To(Succeed(), "user%02d", i)
		}
	}

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		fake = fakecluster.New(fakecluster.Options{Password: password, CatchUp: time.Second, AutoEnable: true,
			DefaultPrimaries: 3, InitialPrimaries: 3})
		DeferCleanup(fake.Close)
		resolve := filepath.Join(cluster0Dir(), "neo4j-resolve-access")
		Expect(os.WriteFile(resolve, nil, 0o600)).To(Succeed())
		wctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go fake.FollowPods(wctx, admin, ns, "cluster.local", resolve)
		operator := &operatorproc.Operator{Binary: op.Binary, Kubeconfig: op.Kubeconfig,
			LogPath: filepath.Join(cluster0Dir(), "logs", "operator-access.log"),
			Args: []string{"--zap-log-level=info", "--watch-namespaces=" + ns, "--leader-election-id=neo4j-operator-access",
				"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=5s", "--neo4j-busy-poll-interval=1s", "--neo4j-timeout=2s",
				"--access-recheck=" + recheck.String()}}
		Expect(operator.Start(ctx)).To(Succeed())
		DeferCleanup(operator.Stop)

		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph-auth"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + password}})).To(Succeed())
		c = &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "graph"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3}
		Expect(admin.Create(ctx, c)).To(Succeed())
	})

	It("creates 5 roles and 20 users, every user logs in, then calm: 0 API writes and 0 Cypher writes", func() {
		waitReady(c)
		for i := range roles {
			r := &v1alpha1.Neo4jRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("role%d", i)}}
			r.Spec.ClusterRef.Name, r.Spec.Name, r.Spec.CopyOf = c.Name, fmt.Sprintf("role%d", i), "reader"
			r.Spec.Privileges = []v1alpha1.Privilege{{Action: "ACCESS", Database: fmt.Sprintf("db%d", i)}}
			Expect(admin.Create(ctx, r)).To(Succeed())
		}
		for i := range users {
			name := fmt.Sprintf("user%02d", i)
			Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				StringData: map[string]string{"password": "password-of-" + name}})).To(Succeed())
			u := &v1alpha1.Neo4jUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			u.Spec.ClusterRef.Name, u.Spec.Username = c.Name, name
			u.Spec.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: name, Key: "password"}
			u.Spec.Roles = []string{fmt.Sprintf("role%d", i%roles)}
			Expect(admin.Create(ctx, u)).To(Succeed())
		}
		start := time.Now()
		Eventually(func(g Gomega) {
			list := &v1alpha1.Neo4jUserList{}
			g.Expect(admin.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			g.Expect(list.Items).To(HaveLen(users))
			for _, u := range list.Items {
				g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1alpha1.ConditionSynced)).To(BeTrue(), u.Name)
			}
		}, readyTimeout, poll).Should(Succeed())
		GinkgoWriter.Printf("5 roles and 20 users in Neo4j %v after their objects\n", time.Since(start).Round(100*time.Millisecond))
		Eventually(everyoneLogsIn, 10*time.Second, poll).Should(Succeed())

		By("calm over two rechecks: nothing written, to Kubernetes or to Neo4j")
		time.Sleep(2 * time.Second)
		since, n := time.Now(), len(fake.Commands())
		time.Sleep(2*recheck + time.Second)
		w := auditWrites(operatorproc.User, since)
		Expect(w.Spec+w.Status+w.Events).To(BeZero(), "operator writes while calm: %v", w.Details)
		Expect(fake.Commands()[n:]).To(BeEmpty(), "Cypher writes while calm")
	})

	It("brings every declared user and role back after the system database was lost, within one recheck", func() {
		fake.ResetSecurity()
		Expect(login("user00", "password-of-user00")).NotTo(Succeed(), "the users are gone")
		start := time.Now()
		Eventually(everyoneLogsIn, 3*recheck, poll).Should(Succeed())
		GinkgoWriter.Printf("20 users and 5 roles back %v after the loss (recheck %v)\n", time.Since(start).Round(100*time.Millisecond), recheck)
		Expect(fake.Lockouts()).To(BeZero())
	})
})

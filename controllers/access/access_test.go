package access_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

var clusters int

// newCluster creates a cluster and marks it Ready, as the cluster
// controller would once Neo4j answered.
func newCluster() *v1alpha1.Neo4jEnterpriseCluster {
	clusters++
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("graph%d", clusters)}}
	c.Spec.AcceptLicenseAgreement = "eval"
	c.Spec.Topology = v1alpha1.Topology{Primaries: 3}
	Expect(k.Create(ctx, c)).To(Succeed())
	setStatus(c, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) {
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "ready"})
	})
	return c
}

func setStatus(c *v1alpha1.Neo4jEnterpriseCluster, edit func(*v1alpha1.Neo4jEnterpriseClusterStatus)) {
	Eventually(func() error {
		fresh := &v1alpha1.Neo4jEnterpriseCluster{}
		if err := k.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
			return err
		}
		edit(&fresh.Status)
		return k.Status().Update(ctx, fresh)
	}, timeout, interval).Should(Succeed())
}

func secret(name, value string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{"password": value}}
	Expect(k.Create(ctx, s)).To(Succeed())
	return s
}

func newUser(c *v1alpha1.Neo4jEnterpriseCluster, name, username string, edit ...func(*v1alpha1.Neo4jUser)) *v1alpha1.Neo4jUser {
	u := &v1alpha1.Neo4jUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	u.Spec.ClusterRef.Name = c.Name
	u.Spec.Username = username
	u.Spec.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: name, Key: "password"}
	for _, e := range edit {
		e(u)
	}
	return u
}

func getUser(u *v1alpha1.Neo4jUser) *v1alpha1.Neo4jUser {
	fresh := &v1alpha1.Neo4jUser{}
	ExpectWithOffset(1, k.Get(ctx, client.ObjectKeyFromObject(u), fresh)).To(Succeed())
	return fresh
}

func getRole(r *v1alpha1.Neo4jRole) *v1alpha1.Neo4jRole {
	fresh := &v1alpha1.Neo4jRole{}
	ExpectWithOffset(1, k.Get(ctx, client.ObjectKeyFromObject(r), fresh)).To(Succeed())
	return fresh
}

func synced(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1alpha1.ConditionSynced); c != nil {
		return c.Reason
	}
	return ""
}

// neo4jUser is the user as Neo4j lists it (SHOW USERS), nil if absent.
func neo4jUser(name string) *neo4j.User {
	conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: fake.Resolve}.Dial("graph-primary-0:7687", neo4j.Credentials{User: "neo4j", Password: password}, true)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(ctx) }()
	users, err := conn.ShowUsers(ctx)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	for _, u := range users {
		if u.Name == name {
			return &u
		}
	}
	return nil
}

func admin(cypher string) {
	conn, err := neo4j.Dialer{Timeout: 2 * time.Second, Resolve: fake.Resolve}.Dial("graph-primary-0:7687", neo4j.Credentials{User: "neo4j", Password: password}, true)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(ctx) }()
	ExpectWithOffset(1, conn.Administer(ctx, cypher, nil)).To(Succeed())
}

// commandsSince are the commands the fake received after the n-th.
func commandsSince(n int) []string {
	var out []string
	for _, c := range fake.Commands()[n:] {
		out = append(out, c.Text)
	}
	return out
}

// showUsers counts the SHOW USERS the operator sent.
func showUsers() float64 { return testutil.ToFloat64(neo4j.Calls.WithLabelValues("show-users", "ok")) }

func sumWrites() float64 {
	var total float64
	for _, verb := range []string{"create", "update", "patch", "delete", "status"} {
		for _, kind := range []string{"Neo4jUser", "Neo4jRole"} {
			total += testutil.ToFloat64(apply.Writes.WithLabelValues(kind, verb))
		}
	}
	return total
}

var _ = Describe("Neo4jUser and Neo4jRole", func() {
	It("create a role and a user, rotate the password, suspend, and stay calm: 0 writes and 0 Cypher writes between changes", func() {
		c := newCluster()
		role := &v1alpha1.Neo4jRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auditor"}}
		role.Spec.ClusterRef.Name, role.Spec.Name, role.Spec.CopyOf = c.Name, "auditor", "reader"
		role.Spec.Privileges = []v1alpha1.Privilege{{Action: "ACCESS", Database: "movies"}, {Access: v1alpha1.Deny, Action: "READ", Graph: "movies", Nodes: []string{"Salary"}, Properties: []string{"*"}}}
		s := secret("alice", "alice-password-1")
		u := newUser(c, "alice", "alice", func(u *v1alpha1.Neo4jUser) { u.Spec.Roles, u.Spec.HomeDatabase = []string{"auditor"}, "movies" })
		Expect(k.Create(ctx, role)).To(Succeed())
		Expect(k.Create(ctx, u)).To(Succeed())

		By("Neo4j has them, the statuses say so")
		Eventually(func(g Gomega) {
			g.Expect(synced(getUser(u).Status.Conditions)).To(Equal("Synced"))
			g.Expect(synced(getRole(role).Status.Conditions)).To(Equal("Synced"))
		}, timeout, interval).Should(Succeed())
		Expect(*neo4jUser("alice")).To(Equal(neo4j.User{Name: "alice", Roles: []string{"PUBLIC", "auditor"}, Home: "movies", Auth: map[string]string{"native": ""}}))
		Expect(fake.Password("alice")).To(Equal("alice-password-1"))
		st := getRole(role).Status
		Expect(st.Privileges).To(ContainElements("GRANT ACCESS ON DATABASE `movies` TO `auditor`", "DENY READ {*} ON GRAPH `movies` NODE Salary TO `auditor`",
			"GRANT MATCH {*} ON GRAPH * NODE * TO `auditor`"))
		Expect(st.Privileges).To(HaveLen(7), "reader's 5 rows, copied, and the 2 declared")
		Expect(st.Drift).To(BeEmpty())
		version := getUser(u).Status.ObservedPasswordVersion
		Expect(version).To(HaveLen(16))
		for _, cmd := range fake.Commands() {
			Expect(cmd.Text).NotTo(ContainSubstring("alice-password"), "a password in a command's text")
		}

		By("calm: rechecks every second read Neo4j and write nothing, to Kubernetes or to Neo4j")
		// 5 s by default; `make test-calm` runs 5 minutes.
		calm := 5 * recheck
		if d, err := time.ParseDuration(os.Getenv("ACCESS_CALM_DURATION")); err == nil {
			calm = d
		}
		time.Sleep(2 * recheck)
		w, n, reads := sumWrites(), len(fake.Commands()), showUsers()
		time.Sleep(calm)
		Expect(sumWrites() - w).To(BeZero())
		Expect(commandsSince(n)).To(BeEmpty())
		rechecks := showUsers() - reads
		GinkgoWriter.Printf("calm for %v: %.0f rechecks, %.0f writes, %d Cypher writes\n", calm, rechecks, sumWrites()-w, len(commandsSince(n)))
		Expect(rechecks).To(BeNumerically(">=", 0.8*float64(calm/recheck)), "the rechecks read Neo4j")

		By("the Secret rotated: one ALTER USER, the new version recorded")
		n = len(fake.Commands())
		s.StringData = map[string]string{"password": "alice-password-2"}
		Expect(k.Update(ctx, s)).To(Succeed())
		Eventually(func() string { return fake.Password("alice") }, timeout, interval).Should(Equal("alice-password-2"))
		Eventually(func() string { return getUser(u).Status.ObservedPasswordVersion }, timeout, interval).ShouldNot(Equal(version))
		Expect(commandsSince(n)).To(Equal([]string{"ALTER USER `alice` SET PASSWORD $password CHANGE NOT REQUIRED"}))

		By("suspended: one ALTER USER")
		n = len(fake.Commands())
		fresh := getUser(u)
		fresh.Spec.Suspended = true
		Expect(k.Update(ctx, fresh)).To(Succeed())
		Eventually(func() bool { return neo4jUser("alice").Suspended }, timeout, interval).Should(BeTrue())
		Eventually(func() int64 { return getUser(u).Status.ObservedGeneration }, timeout, interval).Should(Equal(fresh.Generation))
		Expect(commandsSince(n)).To(Equal([]string{"ALTER USER `alice` SET STATUS SUSPENDED"}))

		By("the username cannot change")
		fresh = getUser(u)
		fresh.Spec.Username = "alicia"
		err := k.Update(ctx, fresh)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("username is immutable"))
	})

	It("refuses what Neo4j would not take, half-applies nothing, and tells who owns a name", func() {
		c := newCluster()
		n := len(fake.Commands())

		By("a role nobody has: UnknownRole, nothing sent")
		secret("bob", "bob-password-1")
		bob := newUser(c, "bob", "bob", func(u *v1alpha1.Neo4jUser) { u.Spec.Roles = []string{"reader", "ghost"} })
		Expect(k.Create(ctx, bob)).To(Succeed())
		Eventually(func() string { return synced(getUser(bob).Status.Conditions) }, timeout, interval).Should(Equal("UnknownRole"))
		Expect(meta.FindStatusCondition(getUser(bob).Status.Conditions, v1alpha1.ConditionSynced).Message).To(ContainSubstring("Neo4j has no role ghost"))
		Expect(neo4jUser("bob")).To(BeNil())

		By("a missing Secret: not created with an empty password")
		carol := newUser(c, "carol", "carol")
		Expect(k.Create(ctx, carol)).To(Succeed())
		Eventually(func() string { return synced(getUser(carol).Status.Conditions) }, timeout, interval).Should(Equal("PasswordSecretProblem"))
		Expect(neo4jUser("carol")).To(BeNil())
		Expect(commandsSince(n)).To(BeEmpty())

		By("the Secret appears: created")
		secret("carol", "carol-password-1")
		Eventually(func() *neo4j.User { return neo4jUser("carol") }, timeout, interval).ShouldNot(BeNil())

		By("two objects for one username: the older owns it, the other reports Conflict")
		secret("carol-again", "carol-password-2")
		again := newUser(c, "carol-again", "carol")
		Expect(k.Create(ctx, again)).To(Succeed())
		Eventually(func() string { return synced(getUser(again).Status.Conditions) }, timeout, interval).Should(Equal("Conflict"))
		Expect(fake.Password("carol")).To(Equal("carol-password-1"))

		By("admission: the built-in admin and built-in roles cannot be declared")
		err := k.Create(ctx, newUser(c, "root", "neo4j"))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("neo4j is the cluster's built-in admin user"))
		admin := &v1alpha1.Neo4jRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "admin"}}
		admin.Spec.ClusterRef.Name, admin.Spec.Name = c.Name, "admin"
		err = k.Create(ctx, admin)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("a built-in role"))
	})

	It("reports a privilege added by hand as drift, and revokes it once enforced", func() {
		c := newCluster()
		role := &v1alpha1.Neo4jRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "writer"}}
		role.Spec.ClusterRef.Name, role.Spec.Name = c.Name, "writer"
		role.Spec.Privileges = []v1alpha1.Privilege{{Action: "WRITE", Graph: "*"}}
		Expect(k.Create(ctx, role)).To(Succeed())
		Eventually(func() string { return synced(getRole(role).Status.Conditions) }, timeout, interval).Should(Equal("Synced"))

		admin("GRANT STOP ON DATABASE * TO `writer`")
		Eventually(func() []string { return getRole(role).Status.Drift }, timeout, interval).Should(Equal([]string{"GRANT STOP ON DATABASE * TO `writer`"}))
		Expect(synced(getRole(role).Status.Conditions)).To(Equal("Drift"))
		Expect(meta.IsStatusConditionTrue(getRole(role).Status.Conditions, v1alpha1.ConditionDegraded)).To(BeFalse())

		fresh := getRole(role)
		fresh.Spec.Enforce = true
		Expect(k.Update(ctx, fresh)).To(Succeed())
		Eventually(func(g Gomega) {
			st := getRole(role).Status
			g.Expect(st.Drift).To(BeEmpty())
			g.Expect(st.Privileges).To(Equal([]string{"GRANT WRITE ON GRAPH * TO `writer`"}))
			g.Expect(synced(st.Conditions)).To(Equal("Synced"))
		}, timeout, interval).Should(Succeed())
	})

	It("waits during a roll, then applies; deletes by policy", func() {
		c := newCluster()
		setStatus(c, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) {
			s.Rollout = &v1alpha1.RolloutStatus{Step: v1alpha1.RolloutEvict, Pod: "graph-primary-0", Revisions: []v1alpha1.RolloutRevision{},
				StartedAt: metav1.Now(), LastTransitionTime: metav1.Now()}
		})
		n := len(fake.Commands())
		secret("dave", "dave-password-1")
		secret("erin", "erin-password-1")
		dave := newUser(c, "dave", "dave", func(u *v1alpha1.Neo4jUser) { u.Spec.DeletionPolicy = v1alpha1.DeletionDelete })
		erin := newUser(c, "erin", "erin")
		Expect(k.Create(ctx, dave)).To(Succeed())
		Expect(k.Create(ctx, erin)).To(Succeed())
		Eventually(func() string { return synced(getUser(dave).Status.Conditions) }, timeout, interval).Should(Equal("WaitingForRoll"))
		Consistently(func() []string { return commandsSince(n) }, 2*time.Second, interval).Should(BeEmpty())

		setStatus(c, func(s *v1alpha1.Neo4jEnterpriseClusterStatus) { s.Rollout = nil })
		Eventually(func() bool { return neo4jUser("dave") != nil && neo4jUser("erin") != nil }, timeout, interval).Should(BeTrue())
		Expect(getUser(dave).Finalizers).To(ContainElement("neo4j.graphops.dev/drop"))
		Expect(getUser(erin).Finalizers).To(BeEmpty())

		Expect(k.Delete(ctx, dave)).To(Succeed())
		Expect(k.Delete(ctx, erin)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k.Get(ctx, client.ObjectKeyFromObject(dave), &v1alpha1.Neo4jUser{}))
		}, timeout, interval).Should(BeTrue())
		Expect(neo4jUser("dave")).To(BeNil(), "policy Delete drops the user")
		Expect(neo4jUser("erin")).NotTo(BeNil(), "policy Retain keeps the user")
		Expect(strings.Join(commandsSince(n), "\n")).To(ContainSubstring("DROP USER `dave` IF EXISTS"))
	})

	It("lets a deleted user go when its cluster is gone: there is nothing to drop it from", func() {
		c := newCluster()
		secret("frank", "frank-password-1")
		frank := newUser(c, "frank", "frank", func(u *v1alpha1.Neo4jUser) { u.Spec.DeletionPolicy = v1alpha1.DeletionDelete })
		Expect(k.Create(ctx, frank)).To(Succeed())
		Eventually(func() []string { return getUser(frank).Finalizers }, timeout, interval).Should(ContainElement("neo4j.graphops.dev/drop"))
		Expect(k.Delete(ctx, c)).To(Succeed())
		Expect(k.Delete(ctx, frank)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k.Get(ctx, client.ObjectKeyFromObject(frank), &v1alpha1.Neo4jUser{}))
		}, timeout, interval).Should(BeTrue())
	})

	It("keeps an SSO user's auth providers as declared: added, changed and removed, then nothing more", func() {
		c := newCluster()
		g := newUser(c, "grace", "grace", func(u *v1alpha1.Neo4jUser) {
			u.Spec.PasswordSecretRef = nil
			u.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "grace@corp"}, {Provider: "ldap", ID: "cn=grace"}}
		})
		Expect(k.Create(ctx, g)).To(Succeed())
		Eventually(func() map[string]string {
			if u := neo4jUser("grace"); u != nil {
				return u.Auth
			}
			return nil
		}, timeout, interval).Should(Equal(map[string]string{"oidc-corp": "grace@corp", "ldap": "cn=grace"}))

		n := len(fake.Commands())
		fresh := getUser(g)
		fresh.Spec.Auth = []v1alpha1.UserAuthProvider{{Provider: "oidc-corp", ID: "grace@corp.example"}}
		Expect(k.Update(ctx, fresh)).To(Succeed())
		Eventually(func() map[string]string { return neo4jUser("grace").Auth }, timeout, interval).
			Should(Equal(map[string]string{"oidc-corp": "grace@corp.example"}))
		Expect(commandsSince(n)).To(Equal([]string{"ALTER USER `grace` REMOVE AUTH 'ldap' SET AUTH 'oidc-corp' {SET ID $authId0}"}))
		Consistently(func() []string { return commandsSince(n + 1) }, 3*recheck, interval).Should(BeEmpty())
	})
})

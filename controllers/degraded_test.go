package controllers_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

func expectDegraded(c *v1alpha1.Neo4jEnterpriseCluster, reason, mentions string) {
	EventuallyWithOffset(1, func(g Gomega) {
		cond := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
		g.Expect(cond).NotTo(BeNil())
		g.Expect(cond.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(cond.Reason).To(Equal(reason))
		g.Expect(cond.Message).To(ContainSubstring(mentions))
		g.Expect(events(c)).To(ContainElement(And(HavePrefix("Warning/"+reason), ContainSubstring(mentions))))
	}, timeout, interval).Should(Succeed())
}

var _ = Describe("Problems the user must fix", func() {
	It("an env variable of a setting Neo4j does not know: Degraded with the nearest name, nothing created", func() {
		c := newCluster(managedNS, "badkey", 3, 0)
		c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_server_cluster_catchup_pull__interval", Value: "5s"}}
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		expectDegraded(c, "InvalidSpec", `env variable NEO4J_server_cluster_catchup_pull__interval sets a setting: config key "server.cluster.catchup.pull_interval" is not a setting of Neo4j 2025.10 (Neo4j refuses unknown settings at startup); did you mean "db.cluster.catchup.pull_interval"?`)
		Expect(owned(c)).To(BeEmpty())
	})

	It("a bad setting on a running cluster: Degraded, and nothing rolled", func() {
		c := newCluster(managedNS, "badkey-running", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
		before := sts(c, "primary")
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_db_transaction_timout", Value: "5s"}}
		})
		expectDegraded(c, "InvalidSpec", `did you mean "db.transaction.timeout"?`)
		after := sts(c, "primary")
		Expect(after.Generation).To(Equal(before.Generation))
		Expect(after.ResourceVersion).To(Equal(before.ResourceVersion))
	})

	It("an object of the same name that the cluster does not control: left alone and named", func() {
		foreign := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: managedNS, Name: "squatted-server",
			Labels: map[string]string{"mine": "yes"}}}
		Expect(env.Client.Create(ctx, foreign)).To(Succeed())
		c := newCluster(managedNS, "squatted", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		expectDegraded(c, "ObjectNotOwned", "calm/squatted-server")
		got := &corev1.ServiceAccount{}
		Expect(env.Client.Get(ctx, key(foreign), got)).To(Succeed())
		Expect(got.Labels).To(Equal(map[string]string{"mine": "yes"}))
		Expect(got.OwnerReferences).To(BeEmpty())
		Expect(owned(c)).To(HaveKey("StatefulSet/squatted-primary")) // the rest is applied
	})

	It("a storage size change: reported, the StatefulSet kept, the rest still applied", func() {
		c := newCluster(managedNS, "resized", 1, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
		uid := sts(c, "primary").UID
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			q := resource.MustParse("50Gi")
			f.Spec.Storage.Data.Size = &q
			f.Spec.Image.Tag = "2025.11.0-enterprise"
		})
		expectDegraded(c, "ImmutableFieldChanged", "volume claim templates are immutable")
		s := sts(c, "primary")
		Expect(s.UID).To(Equal(uid))
		Expect(s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String()).To(Equal("10Gi"))
		Expect(s.Spec.Template.Spec.Containers[0].Image).To(Equal("neo4j:2025.11.0-enterprise"))
	})
})

var _ = Describe("Watching all namespaces, without list on Secrets", func() {
	It("rechecks a cluster waiting for its auth Secret with backoff, and converges", func() {
		c := newCluster(directNS, "unwatched", 1, 0)
		c.Spec.Auth.SecretName = "unwatched-credentials"
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		r := directReconciler(env.Client) // WatchSecrets false
		res, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: key(c)})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		Expect(owned(c)).To(BeEmpty())

		Expect(env.Client.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: directNS, Name: "unwatched-credentials"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/a-long-password"},
		})).To(Succeed())
		res, err = r.Reconcile(ctx, reconcile.Request{NamespacedName: key(c)})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.RequeueAfter).To(BeZero())
		Expect(owned(c)).To(HaveKey("StatefulSet/unwatched-primary"))
	})
})

var _ = Describe("An even number of primaries", func() {
	It("earns one warning Event per spec change", func() {
		c := newCluster(managedNS, "even", 4, 0)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
		Eventually(func() []string { return events(c) }, timeout, interval).Should(ContainElement(HavePrefix("Warning/EvenPrimaries")))
		count := func() int {
			n := 0
			for _, e := range events(c) {
				if strings.HasPrefix(e, "Warning/EvenPrimaries") {
					n++
				}
			}
			return n
		}
		Consistently(count, "1s", interval).Should(Equal(1))
	})
})

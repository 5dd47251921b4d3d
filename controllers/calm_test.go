package controllers_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
)

var _ = Describe("A Neo4jEnterpriseCluster reconciled by the manager", Ordered, func() {
	var c *v1alpha1.Neo4jEnterpriseCluster

	BeforeAll(func() {
		c = newCluster(managedNS, "seed", 3, 3)
		Expect(env.Client.Create(ctx, c)).To(Succeed())
		waitSettled(c)
	})

	It("creates every object with a controller owner reference, and populates status", func() {
		want := desiredNames(c)
		Eventually(func() []string {
			var got []string
			for k := range owned(c) {
				got = append(got, k)
			}
			return got
		}, timeout, interval).Should(ConsistOf(want))
		// 2 StatefulSets, 2 headless + 6 internals + 1 client + 1 metrics
		// Service, a ConfigMap per role, ServiceAccount, Role, RoleBinding,
		// 2 PDBs.
		Expect(want).To(HaveLen(19))
		for name, o := range owned(c) {
			ref := metav1.GetControllerOf(o)
			Expect(ref).NotTo(BeNil(), name)
			Expect(ref.Kind).To(Equal("Neo4jEnterpriseCluster"), name)
			Expect(*ref.BlockOwnerDeletion).To(BeTrue(), name)
		}
		st := getCluster(c).Status
		Expect(st.ObservedGeneration).To(Equal(getCluster(c).Generation))
		Expect(st.Phase).To(Equal(v1alpha1.PhaseProgressing)) // envtest runs no StatefulSet controller
		Expect(st.ReadyServers).To(Equal("0/6"))
		Expect(st.Endpoints.Bolt).To(Equal("neo4j://seed.calm.svc.cluster.local:7687"))
		Expect(st.Image).To(Equal("neo4j:2025.10.1-enterprise"))
		for _, t := range []string{v1alpha1.ConditionReady, v1alpha1.ConditionProgressing, v1alpha1.ConditionDegraded} {
			cond := meta.FindStatusCondition(st.Conditions, t)
			Expect(cond).NotTo(BeNil(), t)
			Expect(cond.ObservedGeneration).To(Equal(getCluster(c).Generation), t)
		}
		Expect(meta.IsStatusConditionFalse(st.Conditions, v1alpha1.ConditionDegraded)).To(BeTrue())
		// The generated password Secret exists; its value is nowhere else.
		secret := &corev1.Secret{}
		Expect(env.Client.Get(ctx, types.NamespacedName{Namespace: managedNS, Name: "seed-auth"}, secret)).To(Succeed())
		password := string(secret.Data["NEO4J_AUTH"])
		Expect(password).To(HavePrefix("neo4j/"))
		for name, o := range owned(c) {
			Expect(strings.Contains(toJSON(o), strings.TrimPrefix(password, "neo4j/"))).To(BeFalse(), name)
		}
	})

	It("writes nothing in 20 reconciles with nothing to do, and foreign edits trigger none", func() {
		before := resourceVersions(owned(c))
		clusterRV := getCluster(c).ResourceVersion
		writes, reconciles := clusterWrites(c), reconcileCount(c)

		// Foreign annotations and labels on the cluster: no reconcile at all.
		for i := range 10 {
			updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
				metav1.SetMetaDataAnnotation(&f.ObjectMeta, "example.com/touched", strings.Repeat("x", i+1))
				metav1.SetMetaDataLabel(&f.ObjectMeta, "example.com/team", strings.Repeat("y", i+1))
			})
		}
		Consistently(func() float64 { return reconcileCount(c) }, "1s", interval).Should(Equal(reconciles))

		// 20 reconciles run by hand through the manager's own cached client.
		r := directReconciler(mgr.GetClient())
		r.APIReader = mgr.GetAPIReader()
		for range 20 {
			reconcileNow(r, c)
		}
		Expect(reconcileCount(c) - reconciles).To(Equal(20.0)) // the count above can see a reconcile
		Expect(clusterWrites(c) - writes).To(BeZero())
		Expect(resourceVersions(owned(c))).To(Equal(before))
		Expect(getCluster(c).ResourceVersion).NotTo(Equal(clusterRV)) // only the test's own edits
	})

	It("keeps another writer's labels, annotations and restartedAt, writing nothing itself", func() {
		writes := specWrites()
		s := sts(c, "primary")
		metav1.SetMetaDataLabel(&s.ObjectMeta, "example.com/owner", "sre")
		metav1.SetMetaDataAnnotation(&s.ObjectMeta, "example.com/note", "hands off")
		s.Spec.Template.Annotations[apply.RestartedAtAnnotation] = "2026-11-26T00:00:00Z"
		s.Spec.Template.Annotations["reloader.stakater.com/last-reloaded-from"] = "cm-v2" // another controller
		s.Spec.Template.Labels["example.com/cost-center"] = "42"
		Expect(env.Client.Update(ctx, s)).To(Succeed()) // the other writer
		gen := s.Generation

		r := directReconciler(mgr.GetClient())
		r.APIReader = mgr.GetAPIReader()
		for range 5 {
			reconcileNow(r, c)
		}
		Consistently(func(g Gomega) {
			got := sts(c, "primary")
			g.Expect(got.Labels).To(HaveKeyWithValue("example.com/owner", "sre"))
			g.Expect(got.Annotations).To(HaveKeyWithValue("example.com/note", "hands off"))
			g.Expect(got.Spec.Template.Annotations).To(HaveKeyWithValue(apply.RestartedAtAnnotation, "2026-11-26T00:00:00Z"))
			g.Expect(got.Spec.Template.Annotations).To(HaveKeyWithValue("reloader.stakater.com/last-reloaded-from", "cm-v2"))
			g.Expect(got.Spec.Template.Labels).To(HaveKeyWithValue("example.com/cost-center", "42"))
			g.Expect(got.Generation).To(Equal(gen))
		}, "1s", interval).Should(Succeed())
		Expect(specWrites() - writes).To(BeZero())
	})

	It("removes a pod annotation the user removed, and only that", func() {
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.PodAnnotations = map[string]string{"example.com/a": "1", "example.com/b": "2"}
		})
		Eventually(func() map[string]string { return sts(c, "primary").Spec.Template.Annotations }, timeout, interval).
			Should(And(HaveKey("example.com/a"), HaveKey("example.com/b")))
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.PodAnnotations = map[string]string{"example.com/a": "1"}
		})
		Eventually(func() map[string]string { return sts(c, "primary").Spec.Template.Annotations }, timeout, interval).
			ShouldNot(HaveKey("example.com/b"))
		got := sts(c, "primary").Spec.Template.Annotations
		Expect(got).To(HaveKey("example.com/a"))
		Expect(got).To(HaveKey("reloader.stakater.com/last-reloaded-from")) // the other writer's stays
		Expect(got).To(HaveKey(apply.RestartedAtAnnotation))
	})

	It("reverts drift of owned fields in exactly one write", func() {
		// The previous spec's correction may still be under way: count from
		// a quiet moment, or its write is counted here.
		Eventually(func(g Gomega) {
			before := writesOf("StatefulSet", "update")
			g.Consistently(func() float64 { return writesOf("StatefulSet", "update") - before }, "500ms", interval).Should(BeZero())
		}, timeout, interval).Should(Succeed())
		writes := writesOf("StatefulSet", "update")
		s := sts(c, "secondary")
		gen := s.Generation
		replicas := int32(7)
		s.Spec.Replicas = &replicas
		s.Spec.Template.Spec.Containers[0].Image = "neo4j:evil"
		Expect(env.Client.Update(ctx, s)).To(Succeed())

		Eventually(func(g Gomega) {
			got := sts(c, "secondary")
			g.Expect(*got.Spec.Replicas).To(Equal(int32(3)))
			g.Expect(got.Spec.Template.Spec.Containers[0].Image).To(Equal("neo4j:2025.10.1-enterprise"))
		}, timeout, interval).Should(Succeed())
		Consistently(func() float64 { return writesOf("StatefulSet", "update") - writes }, "1s", interval).Should(Equal(1.0))
		Expect(sts(c, "secondary").Generation).To(Equal(gen + 2)) // the drift, and its one revert
	})

	DescribeTable("a spec change raises the affected StatefulSet's generation by exactly 1",
		func(edit func(*v1alpha1.Neo4jEnterpriseCluster), primaryChanges, secondaryChanges bool) {
			p, s := sts(c, "primary"), sts(c, "secondary")
			updateCluster(c, edit)
			waitSettled(c)
			wantGen := func(before int64, changes bool) int64 {
				if changes {
					return before + 1
				}
				return before
			}
			Eventually(func() int64 { return sts(c, "primary").Generation }, timeout, interval).Should(Equal(wantGen(p.Generation, primaryChanges)))
			Eventually(func() int64 { return sts(c, "secondary").Generation }, timeout, interval).Should(Equal(wantGen(s.Generation, secondaryChanges)))
			Consistently(func(g Gomega) {
				gotP, gotS := sts(c, "primary"), sts(c, "secondary")
				g.Expect(gotP.Generation).To(Equal(wantGen(p.Generation, primaryChanges)))
				g.Expect(gotS.Generation).To(Equal(wantGen(s.Generation, secondaryChanges)))
				if !primaryChanges {
					g.Expect(gotP.ResourceVersion).To(Equal(p.ResourceVersion), "the primary StatefulSet was written")
				}
				if !secondaryChanges {
					g.Expect(gotS.ResourceVersion).To(Equal(s.ResourceVersion), "the secondary StatefulSet was written")
				}
			}, "1s", interval).Should(Succeed())
		},
		Entry("resources of every server", func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
		}, true, true),
		Entry("resources of secondaries only", func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Secondary.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}
		}, false, true),
		Entry("the image", func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Image.Tag = "2025.11.0-enterprise" }, true, true),
		Entry("config of every server", func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "30s"}
		}, true, true),
		Entry("config of primaries only", func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Primary.Config = v1alpha1.Neo4jConfig{"db.checkpoint.interval.time": "10m"}
		}, true, false),
		Entry("the number of secondaries", func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Topology.Secondaries = 4 }, false, true),
		Entry("a foreign annotation (no spec change)", func(f *v1alpha1.Neo4jEnterpriseCluster) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, "example.com/x", "y")
		}, false, false),
	)

	It("reports StatefulSet status changes without writing any spec", func() {
		writes := specWrites()
		s := sts(c, "primary")
		s.Status.ObservedGeneration = s.Generation
		s.Status.Replicas, s.Status.ReadyReplicas, s.Status.CurrentReplicas, s.Status.UpdatedReplicas, s.Status.AvailableReplicas = 3, 3, 3, 3, 3
		s.Status.CurrentRevision, s.Status.UpdateRevision = "seed-primary-abc", "seed-primary-abc"
		Expect(env.Client.Status().Update(ctx, s)).To(Succeed())

		Eventually(func(g Gomega) {
			st := getCluster(c).Status
			g.Expect(st.Primaries.ReadyReplicas).To(Equal(int32(3)))
			g.Expect(st.Primaries.CurrentRevision).To(Equal("seed-primary-abc"))
			g.Expect(st.ReadyServers).To(Equal("3/7"))
		}, timeout, interval).Should(Succeed())
		Consistently(func() float64 { return specWrites() - writes }, "1s", interval).Should(BeZero())
	})

	It("recreates an owned Service that was deleted", func() {
		svc := &corev1.Service{}
		Expect(env.Client.Get(ctx, types.NamespacedName{Namespace: managedNS, Name: "seed-primary-1-internals"}, svc)).To(Succeed())
		Expect(env.Client.Delete(ctx, svc)).To(Succeed())
		Eventually(func(g Gomega) {
			got := &corev1.Service{}
			g.Expect(env.Client.Get(ctx, key(svc), got)).To(Succeed())
			g.Expect(got.UID).NotTo(Equal(svc.UID))
		}, timeout, interval).Should(Succeed())
	})

	It("removes the per-server Services of removed servers, and never a PVC", func() {
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Topology.Secondaries = 2 })
		Eventually(func() bool {
			err := env.Client.Get(ctx, types.NamespacedName{Namespace: managedNS, Name: "seed-secondary-3-internals"}, &corev1.Service{})
			return apierrors.IsNotFound(err)
		}, timeout, interval).Should(BeTrue())
		Expect(env.Client.Get(ctx, types.NamespacedName{Namespace: managedNS, Name: "seed-secondary-1-internals"}, &corev1.Service{})).To(Succeed())
		Expect(*sts(c, "secondary").Spec.Replicas).To(Equal(int32(2)))
	})
})

var _ = Describe("A cluster whose auth Secret is missing", func() {
	It("is Degraded with an Event naming the Secret, creates nothing, and converges once it exists", func() {
		c := newCluster(managedNS, "nosecret", 3, 0)
		c.Spec.Auth.SecretName = "nosecret-credentials"
		Expect(env.Client.Create(ctx, c)).To(Succeed())

		Eventually(func(g Gomega) {
			cond := meta.FindStatusCondition(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(cond.Reason).To(Equal("AuthSecretMissing"))
			g.Expect(cond.Message).To(ContainSubstring("calm/nosecret-credentials"))
			g.Expect(events(c)).To(ContainElement(And(HavePrefix("Warning/AuthSecretMissing"), ContainSubstring("nosecret-credentials"))))
		}, timeout, interval).Should(Succeed())
		Expect(getCluster(c).Status.Phase).To(Equal(v1alpha1.PhaseDegraded))
		Expect(owned(c)).To(BeEmpty())

		Expect(env.Client.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: managedNS, Name: "nosecret-credentials"},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/a-long-password"},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(owned(c)).To(HaveKey("StatefulSet/nosecret-primary"))
			g.Expect(meta.IsStatusConditionFalse(getCluster(c).Status.Conditions, v1alpha1.ConditionDegraded)).To(BeTrue())
			g.Expect(events(c)).To(ContainElement(HavePrefix("Normal/Recovered")))
		}, timeout, interval).Should(Succeed())
	})
})

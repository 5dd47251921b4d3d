package operator_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/helmchart"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// The migration from the Helm chart, as docs/migrate-from-helm.md runs it:
// two releases of the chart (a primary and an analytics secondary), written
// here by the FAKE chart (internal/testing/fake/helmchart: the chart's names and
// labels, not Helm), on static volumes that carry a marker (kwok runs no
// containers, so no file can show the data). kubectl neo4j
// migrate-from-helm, built and run as a user of its own, prints the plan,
// then applies it; the operator and the FAKE Neo4j cluster start after it,
// and the cluster goes Ready with the password the chart's Secret held.
var _ = Describe("Migration from the Helm chart", Ordered, func() {
	const ns, password, marker = "helm", "e2e-helm-password", "e2e.neo4j.graphops.dev/marker"
	releases := []helmchart.Release{
		{Namespace: ns, Name: "server-1", Neo4jName: "legacy", Image: "neo4j:5.26.12-enterprise", Password: password,
			StorageClass: "helm-static", Size: "20Gi", FirstRelease: true,
			UserConfig: map[string]string{"dbms.cluster.discovery.version": "V2_ONLY", "db.transaction.timeout": "60s"}},
		{Namespace: ns, Name: "analytics-1", Neo4jName: "legacy", Image: "neo4j:5.26.12-enterprise",
			StorageClass: "helm-static", Size: "20Gi", Secondary: true,
			UserConfig: map[string]string{"dbms.cluster.discovery.version": "V2_ONLY", "db.transaction.timeout": "60s"}},
	}
	var plugin, kubeconfig string
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, plugin, append([]string{"--kubeconfig", kubeconfig, "-n", ns, "migrate-from-helm"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	migratorWrites := func(verb string) []string {
		events, err := cluster.AuditEvents(localcluster.AuditFilter{User: "helm-migrator", Verb: verb,
			Match: func(e localcluster.AuditEvent) bool { return !strings.Contains(e.URI, "dryRun=") }})
		Expect(err).NotTo(HaveOccurred())
		var out []string
		for _, e := range events {
			out = append(out, fmt.Sprintf("%s %s %s/%s", e.Verb, e.Resource, e.Namespace, e.Name))
		}
		sort.Strings(out)
		return out
	}

	BeforeAll(func() {
		createNamespace(ns)
		Expect(operatorproc.GrantNamespace(ctx, admin, ns)).To(Succeed())
		plugin = filepath.Join(cluster.Dir, "kubectl-neo4j")
		build := exec.Command("go", "build", "-o", plugin, "./cmd/kubectl-neo4j")
		build.Dir = testenv.RepoRoot()
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		kubeconfig, err = cluster.UserKubeconfig("helm-migrator", []string{"system:masters"})
		Expect(err).NotTo(HaveOccurred())

		By("the chart's releases, each on a static volume pre-bound to its claim, reclaimed on Delete as a provisioned one would be")
		for _, r := range releases {
			claim := "data-" + r.Name + "-0"
			pv := &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: "helm-store-" + r.Name, Annotations: map[string]string{marker: "the store of " + r.Name}},
				Spec: corev1.PersistentVolumeSpec{
					StorageClassName: "helm-static", PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")},
					ClaimRef:    &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: claim},
					PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
						Path: filepath.Join(cluster.Dir, "volumes", "helm-store-"+r.Name)}},
				},
			}
			Expect(admin.Create(ctx, pv)).To(Succeed())
			for _, o := range helmchart.Objects(r) {
				Expect(admin.Create(ctx, o)).To(Succeed(), "%T %s", o, o.GetName())
			}
		}
		for _, r := range releases {
			Eventually(func(g Gomega) {
				pod := &corev1.Pod{}
				g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: r.Name + "-0"}, pod)).To(Succeed())
				g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning))
				pvc := &corev1.PersistentVolumeClaim{}
				g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "data-" + r.Name + "-0"}, pvc)).To(Succeed())
				g.Expect(pvc.Status.Phase).To(Equal(corev1.ClaimBound))
				g.Expect(pvc.Spec.VolumeName).To(Equal("helm-store-" + r.Name))
			}, readyTimeout, poll).Should(Succeed())
		}
	})

	It("prints the cluster and the steps, and changes nothing without --apply", func() {
		out, err := run()
		Expect(err).NotTo(HaveOccurred(), out)
		GinkgoWriter.Println(out)
		for _, want := range []string{
			"# Migration of 2 Helm release(s) in namespace helm to Neo4jEnterpriseCluster legacy.",
			"bind volume helm-store-analytics-1 to the new claim data-legacy-secondary-0 (pod legacy-secondary-0)",
			"bind volume helm-store-server-1 to the new claim data-legacy-primary-0 (pod legacy-primary-0)",
			"subPath: data", "primaries: 1", "secondaries: 1", "db.transaction.timeout: 60s", "storageClassName: helm-static",
		} {
			Expect(out).To(ContainSubstring(want))
		}
		Expect(out).NotTo(ContainSubstring(password))
		Expect(migratorWrites("")).To(BeEmpty())
		_, err = run("--apply", "--dry-run")
		Expect(err).To(HaveOccurred())
	})

	It("moves every volume to the cluster's StatefulSets, deletes nothing, and the cluster runs on them", func() {
		out, err := run("--apply", "--timeout", "2m")
		Expect(err).NotTo(HaveOccurred(), out)
		GinkgoWriter.Println(out)

		By("nothing was deleted; the writes are exactly the plan's")
		Expect(migratorWrites("delete")).To(BeEmpty())
		Expect(migratorWrites("deletecollection")).To(BeEmpty())
		Expect(migratorWrites("")).To(Equal([]string{
			"create neo4jenterpriseclusters helm/legacy",
			"create persistentvolumeclaims helm/data-legacy-primary-0",
			"create persistentvolumeclaims helm/data-legacy-secondary-0",
			"create secrets helm/legacy-auth-from-helm",
			"update persistentvolumes /helm-store-analytics-1", // Retain
			"update persistentvolumes /helm-store-analytics-1", // claimRef
			"update persistentvolumes /helm-store-server-1",
			"update persistentvolumes /helm-store-server-1",
			"update statefulsets helm/analytics-1",
			"update statefulsets helm/server-1",
		}))

		By("the operator and the FAKE Neo4j start; the cluster goes Ready with the chart's password")
		startFakeNeo4j(ns, password, "")
		c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"}}
		waitReady(c)

		By("each new pod mounts its release's volume, at the folder the chart kept the store in")
		for pod, pv := range map[string]string{"legacy-primary-0": "helm-store-server-1", "legacy-secondary-0": "helm-store-analytics-1"} {
			p := &corev1.Pod{}
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: pod}, p)).To(Succeed())
			claim := ""
			for _, v := range p.Spec.Volumes {
				if v.Name == "data" {
					claim = v.PersistentVolumeClaim.ClaimName
				}
			}
			Expect(claim).To(Equal("data-" + pod))
			pvc := &corev1.PersistentVolumeClaim{}
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: claim}, pvc)).To(Succeed())
			Expect(pvc.Status.Phase).To(Equal(corev1.ClaimBound))
			Expect(pvc.Spec.VolumeName).To(Equal(pv))
			vol := &corev1.PersistentVolume{}
			Expect(admin.Get(ctx, client.ObjectKey{Name: pv}, vol)).To(Succeed())
			Expect(vol.Annotations[marker]).To(Equal("the store of " + strings.TrimPrefix(pv, "helm-store-")))
			Expect(vol.Spec.PersistentVolumeReclaimPolicy).To(Equal(corev1.PersistentVolumeReclaimRetain))
			var mount corev1.VolumeMount
			for _, m := range p.Spec.Containers[0].VolumeMounts {
				if m.MountPath == "/data" {
					mount = m
				}
			}
			Expect(mount.Name).To(Equal("data"))
			Expect(mount.SubPath).To(Equal("data"))
		}

		By("the chart's objects are all still there, its claims Lost, its StatefulSets at 0")
		for _, r := range releases {
			sts := &appsv1.StatefulSet{}
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: r.Name}, sts)).To(Succeed())
			Expect(*sts.Spec.Replicas).To(BeZero())
			for _, o := range helmchart.Objects(r) {
				Expect(admin.Get(ctx, client.ObjectKeyFromObject(o), o)).To(Succeed(), "%T %s", o, o.GetName())
			}
			old := &corev1.PersistentVolumeClaim{}
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "data-" + r.Name + "-0"}, old)).To(Succeed())
			Eventually(func() corev1.PersistentVolumeClaimPhase {
				_ = admin.Get(ctx, client.ObjectKeyFromObject(old), old)
				return old.Status.Phase
			}, readyTimeout, poll).Should(Equal(corev1.ClaimLost))
		}

		By("a second run finds every step done and writes nothing")
		before := len(migratorWrites(""))
		out, err = run("--apply", "--timeout", "30s")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(migratorWrites("")).To(HaveLen(before))
	})
})

package olm_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// The CSV's Deployment and ServiceAccount (config/manager, config/rbac).
const (
	deploymentName = "neo4j-operator-controller-manager"
	serviceAccount = "neo4j-operator-controller-manager"
)

// running are the operator processes started by the specs.
var running []*operatorproc.Operator

func stopOperators() {
	for _, op := range running {
		op.Stop()
	}
	running = nil
}

// noDenials asserts that the API server refused none of the operator's
// requests: the permissions OLM granted were enough.
func noDenials(op *operatorproc.Operator) {
	log, err := os.ReadFile(op.LogPath)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, string(log)).NotTo(ContainSubstring("forbidden"), "operator log %s", op.LogPath)
}

// install is one OperatorGroup + Subscription: the namespace OLM installs
// into and the namespaces the operator watches (none: all).
type install struct {
	namespace string
	targets   []string
	allNS     bool
}

func (in install) create(startingCSV string) {
	if !in.allNS { // the global OperatorGroup's namespace exists
		ExpectWithOffset(1, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: in.namespace}})).To(Succeed())
	}
	for _, t := range in.targets {
		if t != in.namespace {
			ExpectWithOffset(1, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t}})).To(Succeed())
		}
	}
	if !in.allNS {
		og := obj("operators.coreos.com/v1", "OperatorGroup", in.namespace, "neo4j-operator")
		og.Object["spec"] = map[string]any{"targetNamespaces": toAny(in.targets)}
		ExpectWithOffset(1, admin.Create(ctx, og)).To(Succeed())
	}
	sub := obj("operators.coreos.com/v1alpha1", "Subscription", in.namespace, packageName)
	spec := map[string]any{"name": packageName, "channel": channel, "source": sourceName,
		"sourceNamespace": localcluster.OLMNamespace, "installPlanApproval": "Manual"}
	if startingCSV != "" {
		spec["startingCSV"] = startingCSV
	}
	sub.Object["spec"] = spec
	ExpectWithOffset(1, admin.Create(ctx, sub)).To(Succeed())
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// csvPhase is the CSV's status.phase, "" while it cannot be read.
func csvPhase(ns, name string) string {
	c := csv(ns, name)
	if err := admin.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil {
		return ""
	}
	phase, _, _ := unstructured.NestedString(c.Object, "status", "phase")
	return phase
}

// gone is whether an object no longer exists (not: could not be read).
func gone(o client.Object) bool {
	return apierrors.IsNotFound(admin.Get(ctx, client.ObjectKeyFromObject(o), o))
}

func csv(ns, name string) *unstructured.Unstructured {
	return obj("operators.coreos.com/v1alpha1", "ClusterServiceVersion", ns, name)
}

// waitGranted waits until the ServiceAccount OLM created may list and
// watch Secrets in each namespace ("" for all): OLM creates a Role and
// then its binding, and the operator must not start in between.
func waitGranted(ns string, targets ...string) {
	user := "system:serviceaccount:" + ns + ":" + serviceAccount
	for _, t := range targets {
		for _, verb := range []string{"list", "watch"} {
			EventuallyWithOffset(1, func() (bool, error) {
				sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
					ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: t, Verb: verb, Resource: "secrets"}}}
				err := admin.Create(ctx, sar)
				return sar.Status.Allowed, err
			}, timeout, poll).Should(BeTrue(), "%s may %s Secrets in %q", user, verb, t)
		}
	}
}

// waitSucceeded approves the InstallPlan the Subscription names
// (status.installPlanRef) when it installs the CSV, until the CSV
// Succeeds. Manual approval, as docs/install.md recommends: OLM v0.31.0
// here made two or three InstallPlans for one Subscription (its status
// updates conflicting on a busy machine), and with Automatic approval a
// superseded one, retrying, re-created the previous CSV after an upgrade
// had replaced it, so the uninstall left that CSV and the Deployment
// behind. An unapproved plan never runs.
func waitSucceeded(ns, name string) {
	EventuallyWithOffset(1, func(g Gomega) {
		sub := obj("operators.coreos.com/v1alpha1", "Subscription", ns, packageName)
		g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(sub), sub)).To(Succeed())
		if ref, _, _ := unstructured.NestedString(sub.Object, "status", "installPlanRef", "name"); ref != "" {
			plan := obj("operators.coreos.com/v1alpha1", "InstallPlan", ns, ref)
			g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(plan), plan)).To(Succeed())
			names, _, _ := unstructured.NestedStringSlice(plan.Object, "spec", "clusterServiceVersionNames")
			if approved, _, _ := unstructured.NestedBool(plan.Object, "spec", "approved"); !approved && slices.Contains(names, name) {
				patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"approved":true}}`))
				g.Expect(admin.Patch(ctx, plan, patch)).To(Succeed())
			}
		}
		g.Expect(csvPhase(ns, name)).To(Equal("Succeeded"))
	}, timeout, poll).Should(Succeed(), "CSV %s/%s; OLM's logs are in %s", ns, name, filepath.Join(cluster.Dir, "logs"))
}

// installPlans lists a namespace's InstallPlans.
func installPlans(ns string) (*unstructured.UnstructuredList, error) {
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("operators.coreos.com/v1alpha1")
	list.SetKind("InstallPlanList")
	return list, admin.List(ctx, list, client.InNamespace(ns))
}

// waitPlansSettled waits until every approved InstallPlan in the
// namespace has finished (Complete or Failed): none is still retrying its
// steps when the next change comes.
func waitPlansSettled(ns string) {
	EventuallyWithOffset(1, func(g Gomega) {
		list, err := installPlans(ns)
		g.Expect(err).NotTo(HaveOccurred())
		for _, ip := range list.Items {
			approved, _, _ := unstructured.NestedBool(ip.Object, "spec", "approved")
			phase, _, _ := unstructured.NestedString(ip.Object, "status", "phase")
			if approved {
				g.Expect(phase).To(BeElementOf("Complete", "Failed"), "InstallPlan %s", ip.GetName())
			}
		}
	}, timeout, poll).Should(Succeed())
}

// deployment is the Deployment OLM created from the CSV.
func deployment(ns string) *appsv1.Deployment {
	d := &appsv1.Deployment{}
	ExpectWithOffset(1, admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: deploymentName}, d)).To(Succeed())
	return d
}

// startOperator runs the manager as the Deployment OLM created would: its
// arguments (but local addresses), WATCH_NAMESPACES from the pod template's
// olm.targetNamespaces annotation (the CSV's fieldRef), and the identity of
// the ServiceAccount OLM created.
func startOperator(ns string) *operatorproc.Operator {
	d := deployment(ns)
	c := d.Spec.Template.Spec.Containers[0]
	ExpectWithOffset(1, d.Spec.Template.Spec.ServiceAccountName).To(Equal(serviceAccount))
	ExpectWithOffset(1, c.Env).To(ContainElement(HaveField("Name", "WATCH_NAMESPACES")))
	targets, ok := d.Spec.Template.Annotations["olm.targetNamespaces"]
	ExpectWithOffset(1, ok).To(BeTrue(), "OLM sets olm.targetNamespaces on the pod template")
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--metrics-bind-address"), strings.HasPrefix(a, "--health-probe-bind-address"), a == "--leader-elect":
			// operatorproc sets these: free local ports, leader election on.
		default:
			args = append(args, strings.ReplaceAll(a, "$(WATCH_NAMESPACES)", targets))
		}
	}
	user := "system:serviceaccount:" + ns + ":" + serviceAccount
	kubeconfig, err := cluster.UserKubeconfig(user, []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	op := &operatorproc.Operator{Binary: filepath.Join(testenv.BinDir(), "manager"), Kubeconfig: kubeconfig,
		LogPath:        filepath.Join(cluster.Dir, "logs", "operator-"+ns+".log"),
		LeaseNamespace: ns, Env: []string{"WATCH_NAMESPACES=" + targets},
		Args: append(args, "--zap-log-level=info", "--neo4j-observe=false")}
	ExpectWithOffset(1, op.Start(ctx)).To(Succeed())
	running = append(running, op)
	return op
}

// sampleCluster creates config/samples' minimal cluster (3 primaries).
func sampleCluster(ns, name string) *v1alpha1.Neo4jEnterpriseCluster {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "neo4j_v1alpha1_neo4jenterprisecluster_minimal.yaml"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	ExpectWithOffset(1, yaml.UnmarshalStrict(data, c)).To(Succeed())
	c.Namespace, c.Name = ns, name
	ExpectWithOffset(1, admin.Create(ctx, c)).To(Succeed())
	return c
}

func waitReady(c *v1alpha1.Neo4jEnterpriseCluster) {
	EventuallyWithOffset(1, func(g Gomega) {
		got := &v1alpha1.Neo4jEnterpriseCluster{}
		g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(c), got)).To(Succeed())
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseReady), "readyServers %s", got.Status.ReadyServers)
	}, timeout, poll).Should(Succeed())
}

// uninstallWithKubectl is docs/install.md's OLM uninstall that keeps the
// CRDs and the clusters: delete the Subscription (or OLM installs the
// operator again), then its InstallPlans (retirePlans), then the CSV it
// installed (its status.installedCSV),
// while OLM runs (a finalizer of the CSV removes the cluster-scoped RBAC).
// kubectl delete does the same two deletes.
func uninstallWithKubectl(ns, want string) {
	sub := obj("operators.coreos.com/v1alpha1", "Subscription", ns, packageName)
	ExpectWithOffset(1, admin.Get(ctx, client.ObjectKeyFromObject(sub), sub)).To(Succeed())
	installed, _, _ := unstructured.NestedString(sub.Object, "status", "installedCSV")
	ExpectWithOffset(1, installed).To(Equal(want))
	ExpectWithOffset(1, admin.Delete(ctx, sub)).To(Succeed())
	retirePlans(ns)
	ExpectWithOffset(1, admin.Delete(ctx, csv(ns, installed))).To(Succeed())
	waitUninstalled(ns, installed)
}

// retirePlans deletes the namespace's InstallPlans and waits until they
// are gone, then 5 s more: in two runs, OLM v0.31.0's catalog operator
// re-created a CSV deleted right after its Subscription, from a plan still
// installing (OLM had made two plans for one Subscription) whose last
// sync ran after the deletes. A plan made again meanwhile by a Manual
// Subscription waits for an approval that never comes.
func retirePlans(ns string) {
	list, err := installPlans(ns)
	ExpectWithOffset(2, err).NotTo(HaveOccurred())
	for _, ip := range list.Items {
		ExpectWithOffset(2, client.IgnoreNotFound(admin.Delete(ctx, &ip))).To(Succeed())
		EventuallyWithOffset(2, func() bool { return gone(&ip) }, timeout, poll).Should(BeTrue(), "InstallPlan %s/%s is deleted", ns, ip.GetName())
	}
	time.Sleep(5 * time.Second)
}

// uninstallWithOperatorSDK is the same with operator-sdk cleanup
// --delete-all=false, for installs made by operator-sdk run bundle. It
// also deletes the Subscription's CatalogSource, wherever it is: the
// spec re-creates it.
func uninstallWithOperatorSDK(ns, installed string) {
	retirePlans(ns)
	out, err := exec.CommandContext(ctx, filepath.Join(testenv.BinDir(), "operator-sdk"), "cleanup", packageName, "--namespace", ns,
		"--delete-all=false", "--kubeconfig", cluster.Kubeconfig, "--timeout", "2m").CombinedOutput()
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), string(out))
	ExpectWithOffset(1, string(out)).To(ContainSubstring(`catalogsource \"` + sourceName + `\" deleted`))
	ExpectWithOffset(1, string(out)).To(ContainSubstring("Skipping CRD deletion"))
	waitUninstalled(ns, installed)
	ExpectWithOffset(1, createCatalogSource(catalog.Addr)).To(Succeed())
}

// waitUninstalled waits until the CSV is gone (once OLM's finalizer has
// run) and, through owner references, its Deployment and ServiceAccount.
func waitUninstalled(ns, installed string) {
	for _, o := range []client.Object{csv(ns, installed),
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: deploymentName}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: serviceAccount}}} {
		EventuallyWithOffset(2, func() bool { return gone(o) }, timeout, poll).Should(BeTrue(), "%T %s/%s is deleted", o, ns, o.GetName())
	}
}

// kept asserts that a cluster, its StatefulSet, its claims and the CRD
// outlived the operator.
func kept(c *v1alpha1.Neo4jEnterpriseCluster, claims int) {
	ExpectWithOffset(1, admin.Get(ctx, client.ObjectKeyFromObject(c), &v1alpha1.Neo4jEnterpriseCluster{})).To(Succeed())
	ExpectWithOffset(1, admin.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Name + "-primary"}, &appsv1.StatefulSet{})).To(Succeed())
	pvcs := &corev1.PersistentVolumeClaimList{}
	ExpectWithOffset(1, admin.List(ctx, pvcs, client.InNamespace(c.Namespace))).To(Succeed())
	ExpectWithOffset(1, pvcs.Items).To(HaveLen(claims))
	for _, crd := range []string{"neo4jenterpriseclusters", "neo4jbackups", "neo4jbackupschedules"} {
		u := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", crd+".neo4j.graphops.dev")
		ExpectWithOffset(1, admin.Get(ctx, client.ObjectKeyFromObject(u), u)).To(Succeed())
	}
}

// ownedRoles are the Roles OLM created for the CSV in a namespace.
func ownedRoles(ns string) []rbacv1.Role {
	list := &rbacv1.RoleList{}
	ExpectWithOffset(1, admin.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	return slices.DeleteFunc(list.Items, func(r rbacv1.Role) bool { return r.Labels["olm.owner"] == "" })
}

// grantsSecretWatch is whether rules allow list and watch on Secrets.
func grantsSecretWatch(rules []rbacv1.PolicyRule) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, "") && slices.Contains(r.Resources, "secrets") &&
			slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch")
	})
}

// podState is what must not change across an operator upgrade. (Restart
// counts would always be 0: kwok restarts nothing; replaced pods show as
// new UIDs.)
type podState struct {
	UIDs      map[string]types.UID
	Revisions int
	Update    string
}

func state(ns, sts string) podState {
	s := &appsv1.StatefulSet{}
	ExpectWithOffset(1, admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: sts}, s)).To(Succeed())
	out := podState{UIDs: map[string]types.UID{}, Update: s.Status.UpdateRevision}
	pods := &corev1.PodList{}
	ExpectWithOffset(1, admin.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels(s.Spec.Selector.MatchLabels))).To(Succeed())
	for _, p := range pods.Items {
		out.UIDs[p.Name] = p.UID
	}
	revs := &appsv1.ControllerRevisionList{}
	ExpectWithOffset(1, admin.List(ctx, revs, client.InNamespace(ns))).To(Succeed())
	for _, r := range revs.Items {
		if metav1.IsControlledBy(&r, s) {
			out.Revisions++
		}
	}
	return out
}

var _ = Describe("Installed by OLM", Ordered, func() {
	var all *v1alpha1.Neo4jEnterpriseCluster
	var allOp *operatorproc.Operator
	allNS := install{namespace: localcluster.OperatorsNamespace, allNS: true}

	It("AllNamespaces (the global OperatorGroup): OLM installs the previous version and its operator makes a cluster Ready", func() {
		allNS.create(previous)
		waitSucceeded(allNS.namespace, previous)
		d := deployment(allNS.namespace)
		Expect(d.Spec.Template.Annotations).To(HaveKeyWithValue("olm.targetNamespaces", ""))
		Expect(admin.Get(ctx, types.NamespacedName{Namespace: allNS.namespace, Name: serviceAccount}, &corev1.ServiceAccount{})).To(Succeed())
		// AllNamespaces: OLM grants the CSV's namespaced permissions as a
		// ClusterRole too, so the Secret watch works in every namespace.
		crs := &rbacv1.ClusterRoleList{}
		Expect(admin.List(ctx, crs, client.MatchingLabels{"olm.owner": previous})).To(Succeed())
		Expect(slices.ContainsFunc(crs.Items, func(r rbacv1.ClusterRole) bool { return grantsSecretWatch(r.Rules) })).To(BeTrue())

		waitGranted(allNS.namespace, "")
		allOp = startOperator(allNS.namespace)
		Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-all"}})).To(Succeed())
		all = sampleCluster("team-all", "graph")
		waitReady(all)
		noDenials(allOp)
	})

	// Both versions run bin/manager (the previous one is bundle/ under
	// another name): this proves OLM's replacement and an operator
	// restart on identical rendering, not a change of operator code.
	It("upgrades to the current version: the CSV is replaced, the Deployment updated in place, and the cluster keeps its pods, revisions and object", func() {
		before := state(all.Namespace, all.Name+"-primary")
		cr := &v1alpha1.Neo4jEnterpriseCluster{}
		Expect(admin.Get(ctx, client.ObjectKeyFromObject(all), cr)).To(Succeed())
		oldDeployment := deployment(allNS.namespace).UID
		waitPlansSettled(allNS.namespace)

		Expect(bundles.publish(previous, current)).To(Succeed())
		Expect(catalog.Reload(ctx)).To(Succeed())
		waitSucceeded(allNS.namespace, current)
		Eventually(func() bool { return gone(csv(allNS.namespace, previous)) }, timeout, poll).Should(BeTrue(), "the replaced CSV is deleted")
		Expect(deployment(allNS.namespace).UID).To(Equal(oldDeployment))

		// The new version's Deployment replaces the old one's pod: here,
		// the old process stops and the new one starts from the updated
		// Deployment.
		allOp.Stop()
		start := time.Now()
		newOp := startOperator(allNS.namespace)
		Eventually(func() (float64, error) {
			m, err := newOp.Metrics()
			return m["controller_runtime_reconcile_total"], err
		}, timeout, poll).Should(BeNumerically(">=", 1), "the new operator reconciled the cluster")
		time.Sleep(5 * time.Second) // writes a reconcile might still send
		Expect(state(all.Namespace, all.Name+"-primary")).To(Equal(before))
		after := &v1alpha1.Neo4jEnterpriseCluster{}
		Expect(admin.Get(ctx, client.ObjectKeyFromObject(all), after)).To(Succeed())
		Expect(after.ResourceVersion).To(Equal(cr.ResourceVersion), "the cluster object is untouched")
		Expect(gone(csv(allNS.namespace, previous))).To(BeTrue(), "the replaced CSV stays deleted")
		writes, err := cluster.AuditEvents(localcluster.AuditFilter{User: "system:serviceaccount:" + allNS.namespace + ":" + serviceAccount, Since: start})
		Expect(err).NotTo(HaveOccurred())
		Expect(writesOutside(writes, "leases", "events")).To(BeEmpty())
		noDenials(newOp)
	})

	It("uninstalls as docs/install.md says, keeping the CRDs, the cluster, its StatefulSets and its claims", func() {
		uninstallWithKubectl(allNS.namespace, current)
		stopOperators()
		kept(all, 3)
	})

	DescribeTable("each namespaced install mode: OLM installs, grants the Secret watch where the operator watches, and the operator makes a cluster Ready",
		func(in install, uninstall func(ns, csv string)) {
			in.create("")
			waitSucceeded(in.namespace, current)
			d := deployment(in.namespace)
			Expect(d.Spec.Template.Annotations).To(HaveKeyWithValue("olm.targetNamespaces", strings.Join(in.targets, ",")))
			for _, t := range in.targets {
				Expect(slices.ContainsFunc(ownedRoles(t), func(r rbacv1.Role) bool { return grantsSecretWatch(r.Rules) })).To(BeTrue(),
					"a Role granting list/watch on Secrets in target namespace %s", t)
			}
			waitGranted(in.namespace, in.targets...)
			op := startOperator(in.namespace)
			c := sampleCluster(in.targets[len(in.targets)-1], "graph")
			waitReady(c)
			noDenials(op)
			uninstall(in.namespace, current)
			stopOperators()
			kept(c, 3)
		},
		Entry("OwnNamespace", install{namespace: "own", targets: []string{"own"}}, uninstallWithKubectl),
		Entry("SingleNamespace", install{namespace: "single", targets: []string{"single-team"}}, uninstallWithKubectl),
		Entry("MultiNamespace, uninstalled with operator-sdk cleanup", install{namespace: "multi", targets: []string{"multi-a", "multi-b"}}, uninstallWithOperatorSDK),
	)
})

// writesOutside lists the audited writes to resources other than the named
// ones, for a failure message.
func writesOutside(events []localcluster.AuditEvent, resources ...string) []string {
	var out []string
	for _, e := range events {
		if !slices.Contains(resources, e.Resource) {
			out = append(out, fmt.Sprintf("%s %s %s/%s", e.Verb, e.Resource, e.Namespace, e.Name))
		}
	}
	return out
}

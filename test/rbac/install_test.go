package rbac_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

const (
	operatorNamespace = "neo4j-operator-system"
	serviceAccount    = "neo4j-operator-controller-manager"
	managerRole       = "neo4j-operator-manager-role"
	// userNamespace is where a user creates Neo4j clusters.
	userNamespace = "team-a"
)

var (
	saUser   = fmt.Sprintf("system:serviceaccount:%s:%s", operatorNamespace, serviceAccount)
	saGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + operatorNamespace, "system:authenticated"}
)

// access is one request the operator's ServiceAccount might make. An empty
// namespace asks about every namespace at once (cluster-wide).
type access struct {
	namespace, group, resource, subresource, verb string
}

func (a access) String() string {
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.group != "" {
		r += "." + a.group
	}
	ns := a.namespace
	if ns == "" {
		ns = "<all namespaces>"
	}
	return fmt.Sprintf("%s %s in %s", a.verb, r, ns)
}

// each expands verbs over one resource.
func each(namespace, group, resource, subresource string, verbs ...string) []access {
	out := make([]access, 0, len(verbs))
	for _, v := range verbs {
		out = append(out, access{namespace, group, resource, subresource, v})
	}
	return out
}

func join(lists ...[]access) []access {
	var out []access
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var crud = []string{"get", "list", "watch", "create", "update", "delete"}

// needed is what the controllers do: read and write the objects a cluster
// owns (create, update and delete through internal/apply and the object
// phase; get, list and watch through the cache, which watches every
// namespace unless --watch-namespaces is set), create the auth Secret, read
// clusters and write their status and finalizers, patch a cluster's
// annotation before restoring neo4j (the bootstrap marker), evict pods
// one at a time in a roll and delete them all at once in a full restart
// the user allowed (docs/tls.md), run backups
// (Neo4jBackups, their schedules, their Jobs), record events, elect a
// leader, and authenticate metrics scrapers.
var needed = join(
	each("", "neo4j.graphops.dev", "neo4jenterpriseclusters", "", "get", "list", "watch", "patch"),
	each("", "neo4j.graphops.dev", "neo4jbackups", "", "get", "list", "watch", "create", "delete"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jbackups", "status", "get", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jbackups", "finalizers", "update"),
	each("", "neo4j.graphops.dev", "neo4jbackupschedules", "", "get", "list", "watch"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jbackupschedules", "status", "get", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jbackupschedules", "finalizers", "update"),
	each("", "batch", "jobs", "", "get", "list", "watch", "create", "delete"),
	// Users and roles: read, a finalizer (update) for deletionPolicy
	// Delete, and their status.
	each("", "neo4j.graphops.dev", "neo4jusers", "", "get", "list", "watch", "update"),
	each("", "neo4j.graphops.dev", "neo4jroles", "", "get", "list", "watch", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jusers", "status", "get", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jroles", "status", "get", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jusers", "finalizers", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jroles", "finalizers", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jenterpriseclusters", "status", "get", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jenterpriseclusters", "finalizers", "update"),
	each("", "apps", "statefulsets", "", crud...),
	each("", "", "services", "", crud...),
	each("", "", "configmaps", "", crud...),
	each("", "", "serviceaccounts", "", crud...),
	each("", "rbac.authorization.k8s.io", "roles", "", crud...),
	each("", "rbac.authorization.k8s.io", "rolebindings", "", crud...),
	each("", "policy", "poddisruptionbudgets", "", crud...),
	each(userNamespace, "", "pods", "eviction", "create"),
	each(userNamespace, "", "pods", "", "delete"),
	// Auth Secrets are read by name and generated once; listing and
	// watching them (metadata only) is a namespaced Role, bound in the
	// operator's namespace and, with --watch-namespaces, in those.
	each(userNamespace, "", "secrets", "", "get", "create"),
	each(operatorNamespace, "", "secrets", "", "list", "watch"),
	each(userNamespace, "events.k8s.io", "events", "", "create", "patch"),
	each(operatorNamespace, "coordination.k8s.io", "leases", "", "get", "create", "update"),
	each("", "authentication.k8s.io", "tokenreviews", "", "create"),
	each("", "authorization.k8s.io", "subjectaccessreviews", "", "create"),
)

// forbidden is what the operator must never be able to do.
var forbidden = join(
	// PVCs hold the data: the operator never deletes (or writes) them.
	each("", "", "persistentvolumeclaims", "", "create", "update", "patch", "delete", "deletecollection"),
	each(userNamespace, "", "persistentvolumeclaims", "", "create", "update", "patch", "delete", "deletecollection"),
	// No privilege escalation: no escalate or bind, no cluster-wide roles.
	each("", "rbac.authorization.k8s.io", "roles", "", "escalate", "bind"),
	each(userNamespace, "rbac.authorization.k8s.io", "roles", "", "escalate", "bind"),
	each("", "rbac.authorization.k8s.io", "clusterroles", "", "create", "update", "escalate", "bind"),
	each("", "rbac.authorization.k8s.io", "clusterrolebindings", "", "create", "update"),
	each("", "", "serviceaccounts", "token", "create"),
	each("", "", "users", "", "impersonate"),
	each("", "", "serviceaccounts", "", "impersonate"),
	// Secrets: created once, never changed or removed, and never listed
	// across the cluster (nor in a namespace the Role is not bound in).
	each(userNamespace, "", "secrets", "", "update", "patch", "delete", "deletecollection"),
	each("", "", "secrets", "", "list", "watch"),
	each(userNamespace, "", "secrets", "", "list", "watch"),
	// Nothing that reaches into the servers or the nodes.
	each(userNamespace, "", "pods", "exec", "create"),
	each(userNamespace, "", "pods", "", "create"),
	each("", "", "nodes", "", "get", "list"),
	// The CRD is installed by the user or OLM, not by the operator.
	each("", "apiextensions.k8s.io", "customresourcedefinitions", "", "create", "update", "delete"),
	// Users create and delete clusters; the operator does not.
	each(userNamespace, "neo4j.graphops.dev", "neo4jenterpriseclusters", "", "create", "delete"),
	// Leader election stays in the operator's namespace.
	each(userNamespace, "coordination.k8s.io", "leases", "", "create", "update"),
	// No wildcard.
	each("", "*", "*", "", "*"),
)

// finding is a grant that is neither needed nor forbidden, recorded with
// what role.yaml grants today. If the grant changes, the test fails so that
// the entry (and the install documentation) is revisited.
type finding struct {
	access  access
	granted bool
	why     string
}

var findings = []finding{}

// informational are requests whose answer is reported, not asserted.
var informational = join(
	each(userNamespace, "", "pods", "", "get", "list", "watch"),
	each(userNamespace, "", "persistentvolumeclaims", "", "get", "list", "watch"),
	each(userNamespace, "", "events", "", "create", "patch"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jenterpriseclusters", "", "update"),
	each(userNamespace, "neo4j.graphops.dev", "neo4jenterpriseclusters", "status", "patch"),
)

func allowed(a access) bool {
	GinkgoHelper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   saUser,
		Groups: saGroups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: a.namespace, Group: a.group, Resource: a.resource, Subresource: a.subresource, Verb: a.verb,
		},
	}}
	Expect(env.Client.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

// installObjects decodes dist/install.yaml.
func installObjects() []*unstructured.Unstructured {
	GinkgoHelper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "dist", "install.yaml"))
	Expect(err).NotTo(HaveOccurred(), "dist/install.yaml: run make dist")
	objs, err := localcluster.Decode(raw)
	Expect(err).NotTo(HaveOccurred())
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	GinkgoHelper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	Fail(fmt.Sprintf("dist/install.yaml has no %s %s", kind, name))
	return nil
}

func convert(u *unstructured.Unstructured, into any) {
	GinkgoHelper()
	Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)).To(Succeed())
}

func ensureNamespace(name string, labels map[string]string) {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := env.Client.Create(ctx, ns); !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

// warnings collects the API server's warning headers.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.list...)
}

var _ = Describe("The install manifest", Ordered, func() {
	var objs []*unstructured.Unstructured

	BeforeAll(func() {
		objs = installObjects()
		// The CRD is installed by testenv; the workloads come later.
		for _, o := range objs {
			switch o.GetKind() {
			case "Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
				Expect(env.Client.Create(ctx, o.DeepCopy())).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
			}
		}
		ensureNamespace(userNamespace, nil)
	})

	It("carries the manager ClusterRole that controller-gen wrote to config/rbac/role.yaml", func() {
		raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		var generated rbacv1.ClusterRole
		Expect(yaml.Unmarshal(raw, &generated)).To(Succeed())
		var rendered rbacv1.ClusterRole
		convert(find(objs, "ClusterRole", managerRole), &rendered)
		Expect(rendered.Rules).To(Equal(generated.Rules), "dist/install.yaml is older than config/rbac/role.yaml: run make dist")
	})

	It("lets the operator's ServiceAccount do what the controllers need", func() {
		var denied []string
		for _, a := range needed {
			if !allowed(a) {
				denied = append(denied, a.String())
			}
		}
		Expect(denied).To(BeEmpty(), "denied to %s", saUser)
	})

	It("denies the operator's ServiceAccount what it must never do", func() {
		var granted []string
		for _, a := range forbidden {
			if allowed(a) {
				granted = append(granted, a.String())
			}
		}
		Expect(granted).To(BeEmpty(), "granted to %s", saUser)
	})

	It("grants exactly the recorded findings", func() {
		for _, f := range findings {
			Expect(allowed(f.access)).To(Equal(f.granted),
				"%s: recorded granted=%v (%s); update the finding", f.access, f.granted, f.why)
			AddReportEntry("finding: "+f.access.String(), fmt.Sprintf("granted=%v: %s", f.granted, f.why))
		}
		var report []string
		for _, a := range informational {
			report = append(report, fmt.Sprintf("%s: %v", a, allowed(a)))
		}
		AddReportEntry("informational", strings.Join(report, "\n"))
		GinkgoWriter.Println(strings.Join(report, "\n"))
	})

	It("lets the operator create a cluster's objects as the controllers render them, with no escalate or bind", func() {
		// A user creates the cluster.
		cluster := &v1alpha1.Neo4jEnterpriseCluster{}
		raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "neo4j_v1alpha1_neo4jenterprisecluster_minimal.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(raw, cluster)).To(Succeed())
		cluster.Namespace = userNamespace
		Expect(env.Client.Create(ctx, cluster)).To(Succeed())

		// The operator, as its ServiceAccount, creates what the renderer
		// returns, owned by the cluster. The discovery Role and RoleBinding
		// are only allowed because the operator itself holds every
		// permission the Role grants.
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: saUser, Groups: saGroups}
		operator, err := client.New(cfg, client.Options{Scheme: testenv.Scheme})
		Expect(err).NotTo(HaveOccurred())

		Expect(operator.Get(ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
		rendered, err := render.Render(cluster)
		Expect(err).NotTo(HaveOccurred())
		for _, obj := range rendered.All() {
			Expect(controllerutil.SetControllerReference(cluster, obj, testenv.Scheme)).To(Succeed())
			Expect(operator.Create(ctx, obj)).To(Succeed(), "%T %s", obj, obj.GetName())
		}
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: cluster.Name + "-rbac-test", Namespace: userNamespace},
			StringData: map[string]string{"NEO4J_AUTH": "neo4j/not-a-real-password"},
		}
		Expect(operator.Create(ctx, secret)).To(Succeed())

		cluster.Status.Phase = v1alpha1.PhasePending
		Expect(operator.Status().Update(ctx, cluster)).To(Succeed())

		// A user's PVC is out of the operator's reach.
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: "data-" + cluster.Name + "-0", Namespace: userNamespace},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				},
			},
		}
		Expect(env.Client.Create(ctx, pvc)).To(Succeed())
		Expect(apierrors.IsForbidden(operator.Delete(ctx, pvc))).To(BeTrue(), "the operator could delete a PVC")
		Expect(apierrors.IsForbidden(operator.Delete(ctx, secret))).To(BeTrue(), "the operator could delete a Secret")
	})

	It("has a manager Deployment that the restricted Pod Security Standard admits", func() {
		ns := find(objs, "Namespace", operatorNamespace)
		Expect(ns.GetLabels()).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "restricted"))

		var dep appsv1.Deployment
		convert(find(objs, "Deployment", serviceAccount), &dep)

		// Enforcement applies to Pods: the manager's Pod, created in the
		// operator's namespace (server-side dry run: envtest runs no
		// controllers that would create it from the Deployment).
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "manager", Namespace: operatorNamespace, Labels: dep.Spec.Template.Labels},
			Spec:       *dep.Spec.Template.Spec.DeepCopy(),
		}
		Expect(env.Client.Create(ctx, pod, client.DryRunAll)).To(Succeed())

		// The same admission rejects a Pod that is not restricted, so the
		// check above means something.
		bad := pod.DeepCopy()
		bad.Spec.SecurityContext = nil
		bad.Spec.Containers[0].SecurityContext = nil
		err := env.Client.Create(ctx, bad, client.DryRunAll)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a Pod without a security context was admitted: %v", err)
		Expect(err.Error()).To(ContainSubstring("violates PodSecurity"))

		// For workloads the admission only warns: create the Deployment in
		// a namespace that warns at the restricted level and expect silence.
		ensureNamespace("psa-warn", map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		})
		w := &warnings{}
		cfg := rest.CopyConfig(env.Config)
		cfg.WarningHandler = w
		c, err := client.New(cfg, client.Options{Scheme: testenv.Scheme})
		Expect(err).NotTo(HaveOccurred())
		d := dep.DeepCopy()
		d.Namespace = "psa-warn"
		Expect(c.Create(ctx, d)).To(Succeed())
		Expect(w.get()).To(BeEmpty())
	})
})

package apply

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Kind is everything the operator knows about one kind of object it owns:
// how to make one, what it owns in it, whether its count follows the
// topology. The controller's watches, the informer cache, the write path,
// pruning and the watch predicates all read this one table, so a kind added
// here is handled everywhere and a kind missing here is handled nowhere.
type Kind struct {
	Name string
	New  func() client.Object
	List func() client.ObjectList
	// Prunable kinds have a count that follows the topology; owned ones no
	// longer desired are deleted.
	Prunable bool
	// StatusWatched kinds wake a reconcile when their status changes in a
	// way the cluster's status reports (see predicates.StatefulSetChanged);
	// the others only when their generation or Content changes.
	StatusWatched bool
	// GVK is set for kinds the operator handles as unstructured objects:
	// other projects' kinds (cert-manager's Certificate), so it never
	// depends on their Go modules.
	GVK schema.GroupVersionKind
	// Optional kinds are used only when their CRD is installed (see
	// Installed): the operator starts without them.
	Optional bool
	// Content is what the operator owns beyond labels and annotations.
	Content func(client.Object) any
	// mutate copies Content from desired onto live and returns what it
	// could not apply (an immutable field).
	mutate func(live, desired client.Object, previousTemplateKeys map[string]bool) []string
}

// Kinds are the owned kinds, in the order objects of a cluster are applied:
// identity and configuration before the workloads that use them.
var Kinds = []Kind{
	{Name: "ServiceAccount", New: func() client.Object { return &corev1.ServiceAccount{} },
		List:    func() client.ObjectList { return &corev1.ServiceAccountList{} },
		Content: func(client.Object) any { return nil }, // only metadata: its secrets may be someone else's
		mutate:  func(client.Object, client.Object, map[string]bool) []string { return nil }},
	{Name: "Role", New: func() client.Object { return &rbacv1.Role{} },
		List:    func() client.ObjectList { return &rbacv1.RoleList{} },
		Content: func(o client.Object) any { return o.(*rbacv1.Role).Rules },
		mutate: func(l, d client.Object, _ map[string]bool) []string {
			l.(*rbacv1.Role).Rules = d.(*rbacv1.Role).Rules
			return nil
		}},
	{Name: "RoleBinding", New: func() client.Object { return &rbacv1.RoleBinding{} },
		List: func() client.ObjectList { return &rbacv1.RoleBindingList{} },
		Content: func(o client.Object) any {
			b := o.(*rbacv1.RoleBinding)
			return []any{b.Subjects, b.RoleRef}
		},
		mutate: mutateRoleBinding},
	{Name: "ConfigMap", New: func() client.Object { return &corev1.ConfigMap{} },
		// Prunable: a ConfigMap is named by its config hash, and a new
		// one replaces it on a change that needs a restart. The old one is
		// deleted once no pod mounts it (controllers, prune).
		List: func() client.ObjectList { return &corev1.ConfigMapList{} }, Prunable: true,
		Content: func(o client.Object) any {
			m := o.(*corev1.ConfigMap)
			return []any{m.Data, m.BinaryData}
		},
		mutate: func(l, d client.Object, _ map[string]bool) []string {
			lc, dc := l.(*corev1.ConfigMap), d.(*corev1.ConfigMap)
			lc.Data, lc.BinaryData = dc.Data, dc.BinaryData
			return nil
		}},
	{Name: "Service", New: func() client.Object { return &corev1.Service{} },
		List: func() client.ObjectList { return &corev1.ServiceList{} }, Prunable: true,
		Content: func(o client.Object) any { return o.(*corev1.Service).Spec },
		mutate: func(l, d client.Object, _ map[string]bool) []string {
			mutateService(l.(*corev1.Service), d.(*corev1.Service))
			return nil
		}},
	{Name: "StatefulSet", New: func() client.Object { return &appsv1.StatefulSet{} },
		List: func() client.ObjectList { return &appsv1.StatefulSetList{} }, Prunable: true, StatusWatched: true,
		Content: func(o client.Object) any { return o.(*appsv1.StatefulSet).Spec },
		mutate: func(l, d client.Object, previous map[string]bool) []string {
			return mutateStatefulSet(l.(*appsv1.StatefulSet), d.(*appsv1.StatefulSet), previous)
		}},
	{Name: "PodDisruptionBudget", New: func() client.Object { return &policyv1.PodDisruptionBudget{} },
		List: func() client.ObjectList { return &policyv1.PodDisruptionBudgetList{} }, Prunable: true,
		Content: func(o client.Object) any { return o.(*policyv1.PodDisruptionBudget).Spec },
		mutate: func(l, d client.Object, _ map[string]bool) []string {
			l.(*policyv1.PodDisruptionBudget).Spec = d.(*policyv1.PodDisruptionBudget).Spec
			return nil
		}},
	unstructuredKind("Certificate", render.CertificateGVK),
	unstructuredKind("ServiceMonitor", render.ServiceMonitorGVK),
	unstructuredKind("PodMonitor", render.PodMonitorGVK),
}

// unstructuredKind is another project's kind, optional, prunable, owned
// by its spec's top-level fields.
func unstructuredKind(name string, gvk schema.GroupVersionKind) Kind {
	return Kind{Name: name, GVK: gvk, Optional: true,
		New:  func() client.Object { return newUnstructured(gvk) },
		List: func() client.ObjectList { return newUnstructuredList(gvk) }, Prunable: true,
		Content: func(o client.Object) any { return o.(*unstructured.Unstructured).Object["spec"] },
		mutate:  mutateSpecFields}
}

// KindOf is the table's entry for obj's type (for unstructured objects, its
// group, version and kind).
func KindOf(obj client.Object) (Kind, error) {
	u, isUnstructured := obj.(*unstructured.Unstructured)
	for _, k := range Kinds {
		if isUnstructured {
			if k.GVK == u.GroupVersionKind() {
				return k, nil
			}
			continue
		}
		if fmt.Sprintf("%T", k.New()) == fmt.Sprintf("%T", obj) {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("apply: %T is not an owned kind (add it to apply.Kinds)", obj)
}

// ContentChanged reports whether the content the operator owns differs
// between two versions of an object of an owned kind.
func ContentChanged(old, new client.Object) bool {
	k, err := KindOf(old)
	if err != nil {
		return false
	}
	return !equality.Semantic.DeepEqual(k.Content(old), k.Content(new))
}

func mutateRoleBinding(l, d client.Object, _ map[string]bool) []string {
	lb, db := l.(*rbacv1.RoleBinding), d.(*rbacv1.RoleBinding)
	lb.Subjects = db.Subjects
	if !equality.Semantic.DeepEqual(lb.RoleRef, db.RoleRef) {
		return []string{fmt.Sprintf("RoleBinding %s: roleRef is immutable", lb.Name)}
	}
	return nil
}

// Installed are the kinds the operator uses on an API server: every
// required kind, and the optional ones whose resource the server serves.
func Installed(serves func(schema.GroupVersionKind) (bool, error)) ([]Kind, error) {
	var out []Kind
	for _, k := range Kinds {
		if k.Optional {
			ok, err := serves(k.GVK)
			if err != nil {
				return nil, fmt.Errorf("discovering %s: %w", k.GVK, err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// Required are the kinds every API server has.
func Required() []Kind {
	out, _ := Installed(func(schema.GroupVersionKind) (bool, error) { return false, nil })
	return out
}

// Has is true when kinds include the one named.
func Has(kinds []Kind, name string) bool {
	for _, k := range kinds {
		if k.Name == name {
			return true
		}
	}
	return false
}

func newUnstructured(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

func newUnstructuredList(gvk schema.GroupVersionKind) *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	return l
}

// mutateSpecFields sets each top-level spec field the operator renders
// and leaves the others: another project's controller or webhook may
// default fields the operator never sets, and overwriting them would be a
// write per reconcile.
func mutateSpecFields(l, d client.Object, _ map[string]bool) []string {
	lu, du := l.(*unstructured.Unstructured), d.(*unstructured.Unstructured)
	spec, _ := lu.Object["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
	}
	for k, v := range du.Object["spec"].(map[string]any) {
		spec[k] = runtime.DeepCopyJSONValue(v)
	}
	lu.Object["spec"] = spec
	return nil
}

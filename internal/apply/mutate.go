package apply

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// mutateOwned copies the fields the operator owns from desired onto live.
// It returns what it could not apply (an immutable field that differs), for
// the caller to report; the rest of the object is still updated.
func mutateOwned(live, desired client.Object) ([]string, error) {
	// Read before the annotations are merged: it says what the operator
	// set last time.
	previousTemplateKeys := templateKeys(live.GetAnnotations()[render.AnnotationTemplateKeys])
	live.SetLabels(mergeStrings(live.GetLabels(), desired.GetLabels()))
	live.SetAnnotations(mergeStrings(live.GetAnnotations(), desired.GetAnnotations()))
	k, err := KindOf(live)
	if err != nil {
		return nil, err
	}
	return k.mutate(live, desired, previousTemplateKeys), nil
}

// mutateStatefulSet updates what a StatefulSet allows to change (replicas,
// template, update strategy, retention policy, history) and keeps what it
// does not: selector, serviceName, podManagementPolicy and the volume claim
// templates. A volume claim template change is reported, never forced:
// forcing it would mean deleting the StatefulSet.
func mutateStatefulSet(live, desired *appsv1.StatefulSet, previous map[string]bool) []string {
	var notes []string
	if !claimTemplatesEqual(live.Spec.VolumeClaimTemplates, desired.Spec.VolumeClaimTemplates) {
		notes = append(notes, fmt.Sprintf("StatefulSet %s: volume claim templates are immutable; the storage change was not applied (resize the PVCs instead, or recreate the cluster)", live.Name))
	}
	spec := desired.Spec.DeepCopy()
	spec.Selector = live.Spec.Selector
	spec.ServiceName = live.Spec.ServiceName
	spec.PodManagementPolicy = live.Spec.PodManagementPolicy
	spec.VolumeClaimTemplates = live.Spec.VolumeClaimTemplates
	// The template's labels and annotations are merged like the object's:
	// keys the operator set before and no longer wants are removed, other
	// writers' keys stay. Restart stamps stay once set, whoever set them, so
	// removing one never rolls the pods a second time.
	spec.Template.Labels = mergeOwned(live.Spec.Template.Labels, desired.Spec.Template.Labels, previous, "l:")
	spec.Template.Annotations = mergeOwned(live.Spec.Template.Annotations, desired.Spec.Template.Annotations, previous, "a:")
	spec.Template.Annotations = keep(spec.Template.Annotations, live.Spec.Template.Annotations, RestartedAtAnnotation, v1alpha1.AnnotationRestartedAt)
	spec.Template.Spec = mergePodSpec(spec.Template.Spec, live.Spec.Template.Spec, previous)
	tolerateDroppedMaxUnavailable(spec, live)
	live.Spec = *spec
	return notes
}

// templateKeys parses render.AnnotationTemplateKeys.
func templateKeys(v string) map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Split(v, ",") {
		if k != "" {
			out[k] = true
		}
	}
	return out
}

// mergeOwned returns live with desired's keys set and the keys the operator
// owned before (prefix+key in previous) but no longer desires removed.
func mergeOwned(live, desired map[string]string, previous map[string]bool, prefix string) map[string]string {
	out := mergeStrings(live, desired)
	for k := range live {
		if _, want := desired[k]; !want && previous[prefix+k] {
			delete(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tolerateDroppedMaxUnavailable: a server without the
// MaxUnavailableStatefulSet feature drops rollingUpdate.maxUnavailable.
// Asking for the default (1) again on every reconcile would be a write
// loop, so a dropped default counts as equal.
func tolerateDroppedMaxUnavailable(desired *appsv1.StatefulSetSpec, live *appsv1.StatefulSet) {
	d, l := desired.UpdateStrategy.RollingUpdate, live.Spec.UpdateStrategy.RollingUpdate
	if d == nil || l == nil || l.MaxUnavailable != nil || d.MaxUnavailable == nil {
		return
	}
	if d.MaxUnavailable.Type == intstr.Int && d.MaxUnavailable.IntVal == 1 {
		d.MaxUnavailable = nil
	}
}

// claimTemplatesEqual compares what a user controls in a claim template:
// names, sizes, classes and access modes (the server adds status and
// apiVersion/kind, which do not count).
func claimTemplatesEqual(live, desired []corev1.PersistentVolumeClaim) bool {
	if len(live) != len(desired) {
		return false
	}
	for i := range live {
		l, d := live[i], desired[i]
		if l.Name != d.Name ||
			!equality.Semantic.DeepEqual(l.Spec.Resources.Requests, d.Spec.Resources.Requests) ||
			!equality.Semantic.DeepEqual(l.Spec.StorageClassName, d.Spec.StorageClassName) ||
			!equality.Semantic.DeepEqual(l.Spec.AccessModes, d.Spec.AccessModes) {
			return false
		}
	}
	return true
}

// mustReplace: a Service's clusterIP cannot change once set, and moving
// between headless and allocated is such a change. Internals Services of
// clusters created by operator versions before 0.2 are headless.
func mustReplace(live, desired client.Object) bool {
	l, ok := live.(*corev1.Service)
	if !ok {
		return false
	}
	d := desired.(*corev1.Service)
	return (l.Spec.ClusterIP == corev1.ClusterIPNone) != (d.Spec.ClusterIP == corev1.ClusterIPNone)
}

// mutateService keeps what the server allocates (cluster IPs, IP families,
// node ports, the health-check port) unless the operator asks for a value.
func mutateService(live, desired *corev1.Service) {
	spec := desired.Spec.DeepCopy()
	if spec.ClusterIP == "" {
		spec.ClusterIP = live.Spec.ClusterIP
		spec.ClusterIPs = live.Spec.ClusterIPs
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = live.Spec.IPFamilies
	}
	if spec.LoadBalancerClass == nil {
		// Set once by the user or a webhook (the AWS Load Balancer
		// Controller does), then immutable: never send it back as nil.
		spec.LoadBalancerClass = live.Spec.LoadBalancerClass
	}
	if spec.HealthCheckNodePort == 0 {
		spec.HealthCheckNodePort = live.Spec.HealthCheckNodePort
	}
	livePorts := map[string]int32{}
	for _, p := range live.Spec.Ports {
		livePorts[p.Name] = p.NodePort
	}
	for i := range spec.Ports {
		if spec.Ports[i].NodePort == 0 && spec.Type != corev1.ServiceTypeClusterIP {
			spec.Ports[i].NodePort = livePorts[spec.Ports[i].Name]
		}
	}
	live.Spec = *spec
}

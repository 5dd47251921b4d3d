package apply

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/internal/render"
)

func TestServiceKeepsServerAndWebhookFields(t *testing.T) {
	class := "service.k8s.aws/nlb"
	live := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.7",
		ClusterIPs: []string{"10.0.0.7"}, IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, LoadBalancerClass: &class,
		HealthCheckNodePort: 31000, Ports: []corev1.ServicePort{{Name: "bolt", Port: 7687, NodePort: 30687}}}}
	desired := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
		Ports: []corev1.ServicePort{{Name: "bolt", Port: 7687}}}}
	if _, err := mutateOwned(live, desired); err != nil {
		t.Fatal(err)
	}
	s := live.Spec
	if s.ClusterIP != "10.0.0.7" || len(s.IPFamilies) != 1 || s.LoadBalancerClass == nil || *s.LoadBalancerClass != class ||
		s.HealthCheckNodePort != 31000 || s.Ports[0].NodePort != 30687 {
		t.Errorf("server- or webhook-set fields were not kept: %+v", s)
	}
}

func TestStatefulSetTemplateMetadataMerge(t *testing.T) {
	tmpl := func(labels, annotations map[string]string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations}}
	}
	desired := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: tmpl(
		map[string]string{"role": "primary"}, map[string]string{"hash": "2"})}}
	desired.Annotations = map[string]string{render.AnnotationTemplateKeys: render.TemplateKeys(desired.Spec.Template)}
	live := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: tmpl(
		map[string]string{"role": "primary", "old": "x", "foreign": "y"},
		map[string]string{"hash": "1", "gone": "z", "reloader": "r", RestartedAtAnnotation: "t"})}}
	live.Annotations = map[string]string{render.AnnotationTemplateKeys: "a:gone,a:hash,l:old,l:role"}
	if _, err := mutateOwned(live, desired); err != nil {
		t.Fatal(err)
	}
	gotL, gotA := live.Spec.Template.Labels, live.Spec.Template.Annotations
	if _, ok := gotL["old"]; ok {
		t.Error("a label the operator set before and no longer wants stayed")
	}
	if _, ok := gotA["gone"]; ok {
		t.Error("an annotation the operator set before and no longer wants stayed")
	}
	if gotL["foreign"] != "y" || gotA["reloader"] != "r" || gotA[RestartedAtAnnotation] != "t" || gotA["hash"] != "2" {
		t.Errorf("labels %v annotations %v", gotL, gotA)
	}
}

package predicates

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func update(o, n client.Object) event.UpdateEvent {
	return event.UpdateEvent{ObjectOld: o, ObjectNew: n}
}

func TestStatefulSetChanged(t *testing.T) {
	base := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, ReadyReplicas: 1}}
	for _, tc := range []struct {
		name string
		edit func(*appsv1.StatefulSet)
		want bool
	}{
		{"nothing", func(*appsv1.StatefulSet) {}, false},
		{"foreign label", func(s *appsv1.StatefulSet) { s.Labels = map[string]string{"a": "b"} }, false},
		{"collision count", func(s *appsv1.StatefulSet) { n := int32(1); s.Status.CollisionCount = &n }, false},
		{"status conditions", func(s *appsv1.StatefulSet) {
			s.Status.Conditions = []appsv1.StatefulSetCondition{{Type: "x", Status: corev1.ConditionTrue}}
		}, false},
		{"generation", func(s *appsv1.StatefulSet) { s.Generation = 3 }, true},
		{"ready replicas", func(s *appsv1.StatefulSet) { s.Status.ReadyReplicas = 2 }, true},
		{"updated replicas", func(s *appsv1.StatefulSet) { s.Status.UpdatedReplicas = 2 }, true},
		{"update revision", func(s *appsv1.StatefulSet) { s.Status.UpdateRevision = "r2" }, true},
		{"current revision", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = "r2" }, true},
	} {
		n := base.DeepCopy()
		tc.edit(n)
		if got := StatefulSetChanged().Update(update(base, n)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOwnedContentChanged(t *testing.T) {
	cm := &corev1.ConfigMap{Data: map[string]string{"a": "1"}}
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 1}}}}
	for _, tc := range []struct {
		name   string
		o      client.Object
		edit   func(client.Object)
		expect bool
	}{
		{"configmap annotation", cm, func(o client.Object) { o.SetAnnotations(map[string]string{"x": "y"}) }, false},
		{"configmap data", cm, func(o client.Object) { o.(*corev1.ConfigMap).Data["a"] = "2" }, true},
		{"service label", svc, func(o client.Object) { o.SetLabels(map[string]string{"x": "y"}) }, false},
		{"service port", svc, func(o client.Object) { o.(*corev1.Service).Spec.Ports[0].Port = 2 }, true},
		{"service account metadata", &corev1.ServiceAccount{}, func(o client.Object) { o.SetLabels(map[string]string{"x": "y"}) }, false},
	} {
		n := tc.o.DeepCopyObject().(client.Object)
		tc.edit(n)
		if got := OwnedContentChanged().Update(update(tc.o, n)); got != tc.expect {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.expect)
		}
	}
}

func TestAnnotationsChanged(t *testing.T) {
	p := AnnotationsChanged("op/paused")
	o := &corev1.ConfigMap{}
	for _, tc := range []struct {
		ann  map[string]string
		want bool
	}{
		{map[string]string{"foreign": "x"}, false},
		{map[string]string{"op/paused": "true"}, true},
	} {
		n := o.DeepCopy()
		n.Annotations = tc.ann
		if got := p.Update(update(o, n)); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.ann, got, tc.want)
		}
	}
	if p.Create(event.CreateEvent{Object: o}) {
		t.Error("creates are the generation predicate's business")
	}
}

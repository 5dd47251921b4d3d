package apply

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestMergePodSpec(t *testing.T) {
	q := resource.MustParse
	env := func(names ...string) []corev1.EnvVar {
		var out []corev1.EnvVar
		for _, n := range names {
			out = append(out, corev1.EnvVar{Name: n, Value: n + "-v"})
		}
		return out
	}
	neo4j := func(e []corev1.EnvVar, req corev1.ResourceList) corev1.Container {
		return corev1.Container{Name: "neo4j", Image: "neo4j:2025.10.1-enterprise", Env: e, Resources: corev1.ResourceRequirements{Requests: req}}
	}
	ours := corev1.ResourceList{"cpu": q("1"), "memory": q("2Gi")}
	withStorage := corev1.ResourceList{"cpu": q("1"), "memory": q("2Gi"), "ephemeral-storage": q("1Gi")}
	// What the operator rendered last time.
	previous := map[string]bool{"c:neo4j": true, "e:neo4j/A": true, "e:neo4j/B": true, "e:neo4j/OLD": true,
		"r:neo4j/requests/cpu": true, "r:neo4j/requests/memory": true, "v:conf": true}
	for _, tc := range []struct {
		name                string
		desired, live, want corev1.PodSpec
	}{
		{"a webhook's env var, resource, sidecar and volume stay, after ours",
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B"), ours)}, Volumes: []corev1.Volume{{Name: "conf"}}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B", "POLICY"), withStorage), {Name: "sidecar"}},
				Volumes: []corev1.Volume{{Name: "conf"}, {Name: "sidecar-certs"}}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B", "POLICY"), withStorage), {Name: "sidecar"}},
				Volumes: []corev1.Volume{{Name: "conf"}, {Name: "sidecar-certs"}}}},
		{"what the operator rendered before and no longer does goes; our values win",
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B"), corev1.ResourceList{"cpu": q("2")})}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j([]corev1.EnvVar{{Name: "A", Value: "edited"}, {Name: "OLD"}, {Name: "B", Value: "B-v"}}, withStorage)},
				Volumes: []corev1.Volume{{Name: "conf"}}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B"), corev1.ResourceList{"cpu": q("2"), "ephemeral-storage": q("1Gi")})}}},
		{"our order stands: an env var may refer to an earlier one",
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B"), ours)}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("B", "A"), ours)}},
			corev1.PodSpec{Containers: []corev1.Container{neo4j(env("A", "B"), ours)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mergePodSpec(*tc.desired.DeepCopy(), tc.live, previous)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

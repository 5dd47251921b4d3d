// Package helmchart is a FAKE of what Neo4j's Helm chart creates for one
// release: written here from the chart's names and labels, not rendered
// by Helm. It lets the migration be tested without Helm or the chart.
//
// Facts it encodes (neo4j/helm-charts, branch dev 97dc7d7, chart 5.17.0;
// the 5.26 chart's discoveryVersion value from the Operations Manual 5.x,
// kubernetes/configuration.adoc):
//   - templates/neo4j-statefulset.yaml: StatefulSet R, replicas 1,
//     serviceName R, selector app=N + helm.neo4j.com/instance=R, labels
//     helm.neo4j.com/neo4j.name=N and helm.neo4j.com/clustering; container
//     "neo4j" with envFrom R-env, the password Secret as volume neo4j-auth
//     at /config/neo4j-auth, neo4j.conf projected from R-default-config,
//     R-user-config and R-k8s-config at /config/neo4j.conf;
//   - templates/_volumeTemplate.tpl and _helpers.tpl: volume claim
//     template "data" (claim data-R-0), mounted at /data with subPathExpr
//     "data"; logs at /logs with subPathExpr "logs/$(POD_NAME)";
//   - templates/neo4j-auth.yaml: Secret N-auth, key NEO4J_AUTH, value
//     neo4j/<password>, created by the first release only;
//   - neo4j-config.yaml: R-user-config holds values.config (whose chart
//     default is server.config.strict_validation.enabled "false") and the
//     server.jvm.additional lines (Neo4j's defaults first);
//     R-default-config the chart's defaults, among them the K8S discovery
//     resolver and its label selector;
//   - neo4j-env.yaml: NEO4J_ACCEPT_LICENSE_AGREEMENT "yes", NEO4J_AUTH_PATH,
//     NEO4J_EDITION "ENTERPRISE_K8S", NEO4J_CONF "/config/", K8S_NEO4J_NAME,
//     EXTENDED_CONF "yes", then values.env.
package helmchart

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Release describes one release of the chart.
type Release struct {
	Namespace    string
	Name         string // R
	Neo4jName    string // N, shared by the cluster's releases
	Image        string // e.g. neo4j:5.26.12-enterprise
	Password     string
	StorageClass string
	Size         string            // the data claim's request
	Memory       string            // neo4j.resources.memory; default the chart's 2Gi
	UserConfig   map[string]string // values.config, beside the chart's default
	Secondary    bool              // config initial.server.mode_constraint SECONDARY
	Env          map[string]string // values.env
	FirstRelease bool              // creates the N-auth Secret
}

// Objects are the release's objects, in the order to create them.
func Objects(r Release) []client.Object {
	labels := map[string]string{"app": r.Neo4jName, "helm.neo4j.com/instance": r.Name,
		"helm.neo4j.com/neo4j.name": r.Neo4jName, "helm.neo4j.com/clustering": "true"}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: r.Namespace, Name: name, Labels: map[string]string{"app": r.Neo4jName}}
	}
	user := map[string]string{"server.config.strict_validation.enabled": "false",
		"server.jvm.additional": "-XX:+UseG1GC\n-XX:-OmitStackTraceInFastThrow\n-XX:+AlwaysPreTouch"}
	for k, v := range r.UserConfig {
		user[k] = v
	}
	if r.Secondary {
		user["initial.server.mode_constraint"] = "SECONDARY"
	}
	env := map[string]string{"NEO4J_ACCEPT_LICENSE_AGREEMENT": "yes", "NEO4J_EDITION": "ENTERPRISE_K8S", "NEO4J_CONF": "/config/",
		"NEO4J_AUTH_PATH": "/config/neo4j-auth/NEO4J_AUTH", "K8S_NEO4J_NAME": r.Neo4jName, "EXTENDED_CONF": "yes"}
	for k, v := range r.Env {
		env[k] = v
	}
	var out []client.Object
	if r.FirstRelease {
		out = append(out, &corev1.Secret{ObjectMeta: meta(r.Neo4jName + "-auth"),
			Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/" + r.Password)}})
	}
	out = append(out,
		&corev1.ConfigMap{ObjectMeta: meta(r.Name + "-env"), Data: env},
		&corev1.ConfigMap{ObjectMeta: meta(r.Name + "-default-config"), Data: map[string]string{
			"dbms.cluster.discovery.resolver_type": "K8S",
			"dbms.kubernetes.label_selector":       fmt.Sprintf("app=%s,helm.neo4j.com/service=internals,helm.neo4j.com/clustering=true", r.Neo4jName),
			"dbms.kubernetes.service_port_name":    "tcp-discovery",
			"server.bolt.connection_keep_alive":    "30s",
			"server.backup.listen_address":         "0.0.0.0:6362",
		}},
		&corev1.ConfigMap{ObjectMeta: meta(r.Name + "-user-config"), Data: user},
		&corev1.ConfigMap{ObjectMeta: meta(r.Name + "-k8s-config"), Data: map[string]string{"server.default_listen_address": "0.0.0.0"}},
		statefulSet(r, labels),
	)
	return out
}

func statefulSet(r Release, labels map[string]string) *appsv1.StatefulSet {
	one := int32(1)
	selector := map[string]string{"app": r.Neo4jName, "helm.neo4j.com/instance": r.Name}
	podLabels := map[string]string{"helm.neo4j.com/pod_category": "neo4j-instance", "helm.neo4j.com/neo4j.loadbalancer": "include"}
	for k, v := range labels {
		podLabels[k] = v
	}
	mem := resource.MustParse("2Gi")
	if r.Memory != "" {
		mem = resource.MustParse(r.Memory)
	}
	cpu := resource.MustParse("1000m")
	res := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name, Labels: labels},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: r.Name, Replicas: &one, PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name: "neo4j", Image: r.Image,
						EnvFrom:   []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: r.Name + "-env"}}}},
						Resources: corev1.ResourceRequirements{Requests: res, Limits: res},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "neo4j-conf", MountPath: "/config/neo4j.conf"},
							{Name: "neo4j-auth", MountPath: "/config/neo4j-auth"},
							{Name: "data", MountPath: "/data", SubPathExpr: "data"},
							{Name: "data", MountPath: "/logs", SubPathExpr: "logs/$(POD_NAME)"},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "neo4j-conf", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
							{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: r.Name + "-default-config"}}},
							{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: r.Name + "-user-config"}}},
							{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: r.Name + "-k8s-config"}}},
						}}}},
						{Name: "neo4j-auth", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: r.Neo4jName + "-auth"}}},
					},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: &r.StorageClass,
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(r.Size)}},
				},
			}},
		},
	}
}

// Claim is the data claim the StatefulSet controller makes for the
// release's pod, bound to volume: what a unit test needs without a
// controller.
func Claim(r Release, volume string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: "data-" + r.Name + "-0",
			Labels: map[string]string{"app": r.Neo4jName, "helm.neo4j.com/instance": r.Name}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: &r.StorageClass, VolumeName: volume,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(r.Size)}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
	}
}

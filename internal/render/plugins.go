package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

const (
	volumePlugins  = "plugins"
	volumeLicenses = "licenses"
)

func pluginVolumeName(name string) string { return "plugin-" + name }

// pluginVolumes: an empty, writable /plugins (the image's installer writes
// the jars there at every start, and checks it is writable), an image
// volume per plugin delivered that way, and the licence files.
func pluginVolumes(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.Volume {
	if len(c.Spec.Plugins) == 0 {
		return nil
	}
	out := []corev1.Volume{{Name: volumePlugins, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	var licenses []corev1.VolumeProjection
	for _, p := range c.Spec.Plugins {
		if im := p.Image; im != nil && im.Delivery == v1alpha1.PluginImageVolume {
			out = append(out, corev1.Volume{Name: pluginVolumeName(p.Name), VolumeSource: corev1.VolumeSource{
				Image: &corev1.ImageVolumeSource{Reference: im.Reference, PullPolicy: im.PullPolicy}}})
		}
		if l := p.LicenseSecret; l != nil {
			licenses = append(licenses, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: l.Name},
				Items:                []corev1.KeyToPath{{Key: l.Key, Path: p.Name + ".license"}},
			}})
		}
	}
	if len(licenses) > 0 {
		mode := keyMode(c)
		out = append(out, corev1.Volume{Name: volumeLicenses, VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: licenses, DefaultMode: &mode}}})
	}
	return out
}

// pluginMounts: /plugins, each image volume's jar at /plugins/<name>.jar
// (a subPath of the image, read-only), and /licenses.
func pluginMounts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.VolumeMount {
	if len(c.Spec.Plugins) == 0 {
		return nil
	}
	out := []corev1.VolumeMount{{Name: volumePlugins, MountPath: neo4jconf.PluginsDir}}
	licenses := false
	for _, p := range c.Spec.Plugins {
		if im := p.Image; im != nil && im.Delivery == v1alpha1.PluginImageVolume {
			out = append(out, corev1.VolumeMount{Name: pluginVolumeName(p.Name), MountPath: neo4jconf.PluginJar(p.Name),
				SubPath: strings.TrimPrefix(im.Jar, "/"), ReadOnly: true})
		}
		licenses = licenses || p.LicenseSecret != nil
	}
	if licenses {
		out = append(out, corev1.VolumeMount{Name: volumeLicenses, MountPath: neo4jconf.LicensesDir, ReadOnly: true})
	}
	return out
}

// pluginInitContainers copy the jar of each plugin delivered by an init
// container into /plugins, with the plugin image's own cp.
func pluginInitContainers(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.Container {
	var out []corev1.Container
	for _, p := range c.Spec.Plugins {
		im := p.Image
		if im == nil || im.Delivery != v1alpha1.PluginInitContainer {
			continue
		}
		small := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
		out = append(out, corev1.Container{
			Name:                     pluginVolumeName(p.Name),
			Image:                    im.Reference,
			ImagePullPolicy:          im.PullPolicy,
			Command:                  []string{"cp", im.Jar, neo4jconf.PluginJar(p.Name)},
			Resources:                corev1.ResourceRequirements{Requests: small, Limits: small},
			VolumeMounts:             []corev1.VolumeMount{{Name: volumePlugins, MountPath: neo4jconf.PluginsDir}},
			SecurityContext:          containerSecurityContext(c),
			TerminationMessagePath:   corev1.TerminationMessagePathDefault,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		})
	}
	return out
}

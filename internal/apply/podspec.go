package apply

import (
	corev1 "k8s.io/api/core/v1"
)

// Foreign additions to a pod template are kept. Mutating admission
// webhooks (policy engines, platform defaults) add labels, annotations,
// environment variables, resources, sidecars and volumes to the
// StatefulSets they admit; taking them out again on every reconcile would
// be a write per reconcile, and each write admitted again: the loop this
// operator exists to prevent. The operator owns the items it renders, by
// name; it removes an item only when it rendered it before and no longer
// does (the StatefulSet's template-keys annotation records what it
// rendered), and otherwise leaves other writers' items where they are.
// Foreign items come after the operator's, where webhooks append them.

// mergePodSpec returns desired with the foreign items of live kept.
func mergePodSpec(desired, live corev1.PodSpec, previous map[string]bool) corev1.PodSpec {
	desired.Containers = mergeContainers(desired.Containers, live.Containers, previous, "c:")
	desired.InitContainers = mergeContainers(desired.InitContainers, live.InitContainers, previous, "i:")
	desired.Volumes = mergeNamed(desired.Volumes, live.Volumes, func(v corev1.Volume) string { return v.Name }, previous, "v:")
	return desired
}

func mergeContainers(desired, live []corev1.Container, previous map[string]bool, prefix string) []corev1.Container {
	byName := map[string]corev1.Container{}
	for _, l := range live {
		byName[l.Name] = l
	}
	for i, d := range desired {
		if l, ok := byName[d.Name]; ok {
			desired[i] = mergeContainer(d, l, previous)
		}
	}
	return mergeNamed(desired, live, func(c corev1.Container) string { return c.Name }, previous, prefix)
}

// mergeContainer keeps the environment variables and resource quantities
// others added to one of the operator's containers.
func mergeContainer(desired, live corev1.Container, previous map[string]bool) corev1.Container {
	p := "e:" + desired.Name + "/"
	desired.Env = mergeNamed(desired.Env, live.Env, func(e corev1.EnvVar) string { return e.Name }, previous, p)
	desired.Resources.Requests = mergeResources(desired.Resources.Requests, live.Resources.Requests, previous, "r:"+desired.Name+"/requests/")
	desired.Resources.Limits = mergeResources(desired.Resources.Limits, live.Resources.Limits, previous, "r:"+desired.Name+"/limits/")
	return desired
}

func mergeResources(desired, live corev1.ResourceList, previous map[string]bool, prefix string) corev1.ResourceList {
	for k, v := range live {
		if _, ours := desired[k]; !ours && !previous[prefix+string(k)] {
			if desired == nil {
				desired = corev1.ResourceList{}
			}
			desired[k] = v
		}
	}
	return desired
}

// mergeNamed is desired, in its order (environment variables may refer
// to earlier ones), then the items of live that the operator neither
// renders nor rendered before, in their live order: where webhooks
// append them.
func mergeNamed[T any](desired, live []T, name func(T) string, previous map[string]bool, prefix string) []T {
	want := map[string]bool{}
	for _, d := range desired {
		want[name(d)] = true
	}
	out := desired
	for _, l := range live {
		if n := name(l); !want[n] && !previous[prefix+n] {
			out = append(out, l)
		}
	}
	return out
}

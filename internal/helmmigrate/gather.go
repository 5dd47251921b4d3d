package helmmigrate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Gather reads the named releases of the namespace; with no names, every
// StatefulSet there that the chart labelled.
func Gather(ctx context.Context, c client.Reader, ns string, names []string) ([]Release, error) {
	var sets appsv1.StatefulSetList
	if err := c.List(ctx, &sets, client.InNamespace(ns), client.HasLabels{LabelInstance, LabelNeo4jName}); err != nil {
		return nil, err
	}
	byName := map[string]*appsv1.StatefulSet{}
	for i := range sets.Items {
		byName[sets.Items[i].Name] = &sets.Items[i]
	}
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(byName))
	}
	var out []Release
	for _, name := range names {
		sts, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("release %s: no StatefulSet %s/%s labelled %s", name, ns, name, LabelInstance)
		}
		r, err := gatherRelease(ctx, c, sts)
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", name, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func gatherRelease(ctx context.Context, c client.Reader, sts *appsv1.StatefulSet) (Release, error) {
	w := workload(sts)
	r := Release{Name: sts.Name, StatefulSet: w}
	ns := sts.Namespace
	var err error
	if r.Claim, err = getOrNil(ctx, c, ns, w.ClaimName, &corev1.PersistentVolumeClaim{}); err != nil {
		return r, err
	}
	if r.Claim != nil && r.Claim.Spec.VolumeName != "" {
		if r.Volume, err = getOrNil(ctx, c, "", r.Claim.Spec.VolumeName, &corev1.PersistentVolume{}); err != nil {
			return r, err
		}
	}
	if r.AuthSecret, err = getOrNil(ctx, c, ns, w.AuthSecret, &corev1.Secret{}); err != nil {
		return r, err
	}
	for _, cm := range w.ConfigMaps {
		m, err := getOrNil(ctx, c, ns, cm, &corev1.ConfigMap{})
		if err != nil {
			return r, err
		}
		if m == nil {
			continue // Build refuses a release without its config
		}
		switch cm {
		case sts.Name + "-user-config":
			r.UserConfig = m.Data
		case sts.Name + "-default-config":
			r.DefaultConfig = m.Data
		case sts.Name + "-env":
			r.StatefulSet.LicenseInEnv = m.Data["NEO4J_ACCEPT_LICENSE_AGREEMENT"]
			for _, k := range slices.Sorted(maps.Keys(m.Data)) {
				if !chartEnv[k] {
					r.StatefulSet.UserEnv = append(r.StatefulSet.UserEnv, k)
				}
			}
		}
	}
	return r, nil
}

// chartEnv are the variables the chart itself puts in R-env
// (templates/neo4j-env.yaml); the others are the user's values.env.
var chartEnv = map[string]bool{"NEO4J_ACCEPT_LICENSE_AGREEMENT": true, "NEO4J_AUTH_PATH": true, "NEO4J_EDITION": true,
	"NEO4J_CONF": true, "K8S_NEO4J_NAME": true, "EXTENDED_CONF": true}

// workload reads the chart's StatefulSet: its neo4j container, the data
// claim, the password Secret and the ConfigMaps it projects.
func workload(sts *appsv1.StatefulSet) Workload {
	w := Workload{Neo4jName: sts.Labels[LabelNeo4jName], PodSelector: sts.Spec.Selector.MatchLabels, Replicas: 1}
	if sts.Spec.Replicas != nil {
		w.Replicas = *sts.Spec.Replicas
	}
	spec := sts.Spec.Template.Spec
	for _, ctr := range spec.Containers {
		if ctr.Name != "neo4j" {
			continue
		}
		w.Image, w.Resources = ctr.Image, ctr.Resources
		for _, m := range ctr.VolumeMounts {
			if m.MountPath == "/data" {
				w.DataSubPath = m.SubPath + m.SubPathExpr
			}
		}
		for _, e := range ctr.EnvFrom {
			if e.ConfigMapRef != nil {
				w.ConfigMaps = append(w.ConfigMaps, e.ConfigMapRef.Name)
			}
		}
	}
	for _, t := range sts.Spec.VolumeClaimTemplates {
		if t.Name == "data" {
			w.ClaimName = fmt.Sprintf("data-%s-0", sts.Name)
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.Name == "data" && v.PersistentVolumeClaim != nil:
			w.ClaimName = v.PersistentVolumeClaim.ClaimName
		case v.Name == "neo4j-auth" && v.Secret != nil:
			w.AuthSecret = v.Secret.SecretName
		case v.Name == "neo4j-conf" && v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					w.ConfigMaps = append(w.ConfigMaps, src.ConfigMap.Name)
				}
			}
		}
	}
	return w
}

// getOrNil gets an object, or nil when it does not exist.
func getOrNil[T client.Object](ctx context.Context, c client.Reader, ns, name string, obj T) (T, error) {
	var zero T
	if name == "" {
		return zero, nil
	}
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return zero, nil
	}
	if err != nil {
		return zero, err
	}
	return obj, nil
}

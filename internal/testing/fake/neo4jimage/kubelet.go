package neo4jimage

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Pod is one server pod as the kubelet would start it: the rendered
// template plus what the StatefulSet controller and the scheduler add.
type Pod struct {
	Name, Namespace string
	Labels          map[string]string
	Spec            corev1.PodSpec
	HostIP, PodIP   string
	ConfigMaps      map[string]*corev1.ConfigMap
	Secrets         map[string]*corev1.Secret
}

// files is the container's view of mounted files and folders.
type files struct {
	dirs  map[string]bool   // mount points and the image's own folders
	files map[string]string // absolute path → content
}

// mounts resolves the container's volume mounts. ConfigMap and Secret
// volumes become files (their items, or every key); other volumes are
// empty folders.
func (p Pod) mounts(c corev1.Container) (files, error) {
	fs := files{dirs: map[string]bool{"/data": true, "/logs": true}, files: map[string]string{}}
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			return fs, fmt.Errorf("volume mount %q names no volume", m.Name)
		}
		fs.dirs[m.MountPath] = true
		vol := p.Spec.Volumes[i]
		if vol.Projected != nil {
			if m.SubPath != "" {
				return fs, fmt.Errorf("subPath mounts of projected volumes are not modelled")
			}
			if err := p.project(fs, m.MountPath, vol.Projected); err != nil {
				return fs, err
			}
			continue
		}
		data, items, err := p.volumeData(vol)
		if err != nil {
			return fs, err
		}
		if data == nil {
			continue
		}
		if m.SubPath != "" {
			return fs, fmt.Errorf("subPath mounts of configMap or secret volumes are not modelled")
		}
		fs.add(m.MountPath, data, items)
	}
	return fs, nil
}

// add writes the picked keys under dir, and the folders of their paths.
func (fs files) add(dir string, data map[string]string, items []corev1.KeyToPath) {
	for key, dst := range pick(data, items) {
		f := path.Join(dir, dst)
		fs.files[f] = data[key]
		for d := path.Dir(f); d != dir && d != "/"; d = path.Dir(d) {
			fs.dirs[d] = true
		}
	}
}

// project resolves a projected volume: each Secret or ConfigMap source's
// items, in one folder. A missing Secret or key fails the mount, as the
// kubelet's would (the sources are not optional), so the pod never starts.
func (p Pod) project(fs files, dir string, v *corev1.ProjectedVolumeSource) error {
	for _, src := range v.Sources {
		switch {
		case src.Secret != nil:
			s, ok := p.Secrets[src.Secret.Name]
			if !ok {
				return fmt.Errorf("Secret %q is not there", src.Secret.Name)
			}
			data := secretData(s)
			for _, it := range src.Secret.Items {
				if _, ok := data[it.Key]; !ok {
					return fmt.Errorf("Secret %q has no key %q", src.Secret.Name, it.Key)
				}
			}
			fs.add(dir, data, src.Secret.Items)
		case src.ConfigMap != nil:
			cm, ok := p.ConfigMaps[src.ConfigMap.Name]
			if !ok {
				return fmt.Errorf("ConfigMap %q is not there", src.ConfigMap.Name)
			}
			fs.add(dir, cm.Data, src.ConfigMap.Items)
		default:
			return fmt.Errorf("projected sources other than Secrets and ConfigMaps are not modelled")
		}
	}
	return nil
}

func (p Pod) volumeData(v corev1.Volume) (map[string]string, []corev1.KeyToPath, error) {
	switch {
	case v.ConfigMap != nil:
		cm, ok := p.ConfigMaps[v.ConfigMap.Name]
		if !ok {
			return nil, nil, fmt.Errorf("ConfigMap %q is not there", v.ConfigMap.Name)
		}
		return cm.Data, v.ConfigMap.Items, nil
	case v.Secret != nil:
		s, ok := p.Secrets[v.Secret.SecretName]
		if !ok {
			return nil, nil, fmt.Errorf("Secret %q is not there", v.Secret.SecretName)
		}
		return secretData(s), v.Secret.Items, nil
	}
	return nil, nil, nil
}

func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// pick maps keys to file paths: the listed items, or every key as its name.
func pick(data map[string]string, items []corev1.KeyToPath) map[string]string {
	out := map[string]string{}
	if len(items) == 0 {
		for k := range data {
			out[k] = k
		}
		return out
	}
	for _, it := range items {
		out[it.Key] = it.Path
	}
	return out
}

// environment resolves the container's env as the kubelet does, over the
// image's ENV. It keeps the order of definition (image first).
func (p Pod) environment(c corev1.Container, image []envVar) ([]envVar, error) {
	env := append([]envVar(nil), image...)
	set := func(name, value string) {
		if i := slices.IndexFunc(env, func(e envVar) bool { return e.name == name }); i >= 0 {
			env = slices.Delete(env, i, i+1)
		}
		env = append(env, envVar{name, value})
	}
	declared := map[string]string{} // only the container's own, for $(VAR)
	for _, e := range c.Env {
		value := e.Value
		if e.Value == "" && e.ValueFrom != nil {
			v, found, err := p.valueFrom(e.ValueFrom)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
			if !found {
				continue // an optional key that is not there: no variable
			}
			value = v
		} else {
			value = expand(value, declared)
		}
		declared[e.Name] = value
		set(e.Name, value)
	}
	if len(c.EnvFrom) > 0 {
		return nil, fmt.Errorf("envFrom is not modelled")
	}
	return env, nil
}

// valueFrom resolves an env source. found is false for an optional
// ConfigMap or Secret, or key, that is not there: the kubelet then leaves
// the variable out.
func (p Pod) valueFrom(src *corev1.EnvVarSource) (value string, found bool, err error) {
	switch {
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "metadata.name":
			return p.Name, true, nil
		case "metadata.namespace":
			return p.Namespace, true, nil
		case "status.hostIP":
			return p.HostIP, true, nil
		case "status.podIP":
			return p.PodIP, true, nil
		}
		return "", false, fmt.Errorf("fieldRef %s is not modelled", src.FieldRef.FieldPath)
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		s, ok := p.Secrets[ref.Name]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("Secret %q is not there", ref.Name)
		}
		v, ok := secretData(s)[ref.Key]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("Secret %q has no key %q", ref.Name, ref.Key)
		}
		return v, true, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		cm, ok := p.ConfigMaps[ref.Name]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("ConfigMap %q is not there", ref.Name)
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("ConfigMap %q has no key %q", ref.Name, ref.Key)
		}
		return v, true, nil
	}
	return "", false, fmt.Errorf("env source is not modelled")
}

// expand is the kubelet's $(VAR) syntax: a reference to a variable
// declared earlier in the container is replaced, $$ is a literal $, and
// anything else is left as written.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// An unclosed reference is written as is and the scan
				// goes on after the "(" (a later $$ still becomes $).
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

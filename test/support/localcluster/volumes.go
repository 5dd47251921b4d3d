package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Nothing provisions volumes in this cluster, yet a StatefulSet with
// volumeClaimTemplates gets no pods until its claims are bound. So the
// cluster pre-creates static hostPath volumes that the
// persistentvolume-binder controller binds claims to. The paths are folders
// under the cluster's own folder; no pod ever mounts them (kwok runs no
// containers).

// classLabel marks pre-created volumes with their class ("none" for "").
const classLabel = "localcluster.graphops.dev/class"

// AddPersistentVolumes creates n more Available volumes of class (""
// serves claims that name no class). Volumes are Retain: a volume whose
// claim was deleted stays Released and is not reused, as on a real cluster
// with static volumes.
func (c *Cluster) AddPersistentVolumes(ctx context.Context, class string, n int) error {
	size, err := resource.ParseQuantity(c.opts.PersistentVolumeSize)
	if err != nil {
		return fmt.Errorf("PersistentVolumeSize: %w", err)
	}
	label := class
	if label == "" {
		label = "none"
	}
	for range n {
		name := fmt.Sprintf("pv-%s-%03d", fileSafe(label), c.pvSeq.Add(1))
		path := filepath.Join(c.Dir, "volumes", name)
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{classLabel: label}},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				StorageClassName:              class,
				PersistentVolumeSource: corev1.PersistentVolumeSource{
					HostPath: &corev1.HostPathVolumeSource{Path: path, Type: ptrTo(corev1.HostPathDirectoryOrCreate)},
				},
			},
		}
		if _, err := c.Clientset.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create volume %s: %w", name, err)
		}
	}
	return nil
}

// createStorage creates a StorageClass object for each named class (claims
// and operators may look the class up) and the initial volumes. None of the
// classes is the default: a default class would make the apiserver fill in
// storageClassName on claims that leave it out, and those claims should bind
// to class "" volumes as they do on clusters without a default class.
func (c *Cluster) createStorage(ctx context.Context) error {
	for _, class := range c.opts.StorageClasses {
		if class != "" {
			sc := &storagev1.StorageClass{
				ObjectMeta:        metav1.ObjectMeta{Name: class},
				Provisioner:       "kubernetes.io/no-provisioner",
				ReclaimPolicy:     ptrTo(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: ptrTo(storagev1.VolumeBindingImmediate),
				// Lets tests patch a claim's request the way a resize
				// would; nothing actually grows the volume.
				AllowVolumeExpansion: ptrTo(true),
			}
			if _, err := c.Clientset.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("create storage class %s: %w", class, err)
			}
		}
		if err := c.AddPersistentVolumes(ctx, class, c.opts.PersistentVolumes); err != nil {
			return err
		}
	}
	return nil
}

// ptrTo spares a dependency on k8s.io/utils for one helper.
func ptrTo[T any](v T) *T { return &v }

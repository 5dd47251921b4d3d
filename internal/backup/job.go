// Package backup holds the pure logic of backups: the Job that runs
// neo4j-admin, where its artefacts go, the cron ticks of a schedule and
// the retention of old backups. Facts about neo4j-admin come from the
// Operations Manual (backup-restore/online-backup.adoc, branches 5.x and
// dev); see /docs/backup.md.
package backup

import (
	"fmt"
	"path"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Labels of backup Jobs and their pods. The pods do not carry the
// cluster's label: the client Service selects every pod that does.
const (
	LabelBackup   = "neo4j.graphops.dev/backup"
	LabelBackupOf = "neo4j.graphops.dev/backup-of"
	LabelSchedule = "neo4j.graphops.dev/schedule"
	Component     = "backup"
)

// Folders in the Job's container.
const (
	MountTemp        = "/backup-temp"
	MountTarget      = "/backups"
	MountCredentials = "/credentials"
	// Home is HOME: the AWS SDK reads ~/.aws/credentials and ~/.aws/config
	// (the manual's documented way for S3), mounted here.
	Home = "/backup-home"
	// MountClientConf holds neo4j-admin.conf with the backup scope's SSL
	// policy, when the backup port speaks TLS (spec.tls.backup).
	MountClientConf = "/backup-conf"
	// Admin is neo4j-admin in the image (its Dockerfiles put
	// $NEO4J_HOME/bin on PATH; the full path does not depend on it).
	Admin = "/var/lib/neo4j/bin/neo4j-admin"
)

// DefaultBackoffLimit is how many times a backup's pod is retried unless
// spec.backoffLimit says otherwise. The Job controller spaces the retries
// exponentially (10 s, 20 s, 40 s, capped at 6 minutes), so a failure
// that passes (a server restarting for reasons the operator does not see,
// an object store's hiccup) costs a minute, not the backup.
// activeDeadlineSeconds still bounds the whole Job. The CRD's default for
// spec.backoffLimit must be the same (api/v1alpha1/neo4jbackup_types.go).
const DefaultBackoffLimit int32 = 3

// Defaulted fills what the CRD defaults, for specs that did not pass the
// API server (tests, objects stored before a default existed).
func Defaulted(s v1alpha1.Neo4jBackupSpec) v1alpha1.Neo4jBackupSpec {
	s = *s.DeepCopy()
	if len(s.Databases) == 0 {
		s.Databases = []string{"*"}
	}
	if s.Type == "" {
		s.Type = v1alpha1.BackupAuto
	}
	if s.Target.Folder == "" {
		s.Target.Folder = v1alpha1.FolderPerBackup
	}
	if s.Compress == nil {
		s.Compress = ptr.To(true)
	}
	if s.IncludeMetadata == "" {
		s.IncludeMetadata = "all"
	}
	if s.TempVolume.Size == nil {
		s.TempVolume.Size = ptr.To(resource.MustParse("10Gi"))
	}
	if s.BackoffLimit == nil {
		s.BackoffLimit = ptr.To(DefaultBackoffLimit)
	}
	if s.ActiveDeadlineSeconds == nil {
		s.ActiveDeadlineSeconds = ptr.To[int64](86400)
	}
	return s
}

// folder is the part of the path a Backup adds: its own name, or nothing
// when backups share the target's folder.
func folder(name string, s v1alpha1.Neo4jBackupSpec) string {
	if s.Target.Folder == v1alpha1.FolderShared {
		return ""
	}
	return name
}

// ToPath is neo4j-admin's --to-path: the mounted claim, or a cloud URI
// ending in a slash (a folder).
func ToPath(name string, s v1alpha1.Neo4jBackupSpec) string {
	t := s.Target
	switch {
	case t.S3 != nil:
		return "s3://" + join(t.S3.Bucket, t.S3.Prefix, folder(name, s)) + "/"
	case t.GCS != nil:
		return "gs://" + join(t.GCS.Bucket, t.GCS.Prefix, folder(name, s)) + "/"
	case t.Azure != nil:
		return "azb://" + join(t.Azure.StorageAccount, t.Azure.Container, t.Azure.Prefix, folder(name, s)) + "/"
	}
	return MountTarget
}

// Location is where the artefacts are, for status: the claim's folder as
// pvc://<claim>/<path>, or the cloud URI.
func Location(name string, s v1alpha1.Neo4jBackupSpec) string {
	if v := s.Target.Volume; v != nil {
		return "pvc://" + join(v.ClaimName, v.Path, folder(name, s)) + "/"
	}
	return ToPath(name, s)
}

// join joins the non-empty parts with slashes.
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// size is a quantity as neo4j-admin reads sizes (a number and a unit,
// "512m"), in whole mebibytes, at least 1.
func size(q *resource.Quantity) string {
	return fmt.Sprintf("%dm", max(1, q.Value()>>20))
}

// BackupArgs are the arguments of `neo4j-admin`: the backup command with
// every option explicit, and the databases last. Nothing secret is here:
// credentials are files or variables. --from is Sources(c), fixed when
// the Job is made; callers start no Job while Deferred(c) says to wait.
func BackupArgs(name string, s v1alpha1.Neo4jBackupSpec, c *v1alpha1.Neo4jEnterpriseCluster) []string {
	args := []string{
		"database", "backup",
		"--from=" + strings.Join(Sources(c), ","),
		"--to-path=" + ToPath(name, s),
		"--type=" + string(s.Type),
		fmt.Sprintf("--compress=%t", *s.Compress),
		"--include-metadata=" + s.IncludeMetadata,
		"--temp-path=" + MountTemp,
	}
	if s.PageCache != nil {
		args = append(args, "--pagecache="+size(s.PageCache))
	}
	if s.ParallelDownload {
		args = append(args, "--parallel-download=true")
	}
	if vols, _ := render.BackupClientTLS(c, MountClientConf); len(vols) > 0 {
		// Read over neo4j.conf and neo4j-admin.conf (the manual's order of
		// precedence): the backup scope's client policy.
		args = append(args, "--additional-config="+path.Join(MountClientConf, render.FileAdminConf))
	}
	return append(args, s.Databases...)
}

// CheckArgs are the arguments of `neo4j-admin` checking one database's
// artefact in the Backup's folder. The manual: check --from-path=<folder>
// checks the newest chain there; a PerBackup folder holds one.
func CheckArgs(name string, s v1alpha1.Neo4jBackupSpec, database string) []string {
	from := ToPath(name, s)
	if s.Target.Volume != nil {
		from = MountTarget
	}
	return []string{"database", "check", "--from-path=" + from, "--temp-path=" + MountTemp, "--report-path=" + MountTemp, database}
}

// Job is the Job that runs one backup: neo4j-admin database backup, then,
// when asked, one consistency check per database. The backup runs as an
// init container so the checks start only after it succeeded; each step
// is an exact argv, no shell. The kubelet keeps the last lines of a
// failed step's output as its termination message, which the status
// reports.
func Job(b *v1alpha1.Neo4jBackup, c *v1alpha1.Neo4jEnterpriseCluster) *batchv1.Job {
	s := Defaulted(b.Spec)
	steps := []corev1.Container{container(c, "backup", BackupArgs(b.Name, s, c), s, b)}
	if s.ConsistencyCheck {
		for i, db := range s.Databases {
			steps = append(steps, container(c, fmt.Sprintf("check-%d", i), CheckArgs(b.Name, s, db), s, b))
		}
	}
	pod := podSpec(c, s, b)
	if vols, mounts := render.BackupClientTLS(c, MountClientConf); len(vols) > 0 {
		// The backup step presents the cluster's backup certificate.
		steps[0].VolumeMounts = append(steps[0].VolumeMounts, mounts...)
		pod.Volumes = append(pod.Volumes, vols...)
	}
	pod.Containers = []corev1.Container{steps[len(steps)-1]}
	if len(steps) > 1 {
		pod.InitContainers = append([]corev1.Container(nil), steps[:len(steps)-1]...)
	}
	labels := Labels(b)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: b.Name, Namespace: b.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:          s.BackoffLimit,
			ActiveDeadlineSeconds: s.ActiveDeadlineSeconds,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels(labels, s), Annotations: copyMap(s.PodAnnotations)},
				Spec:       pod,
			},
		},
	}
}

// Labels are the Job's labels.
func Labels(b *v1alpha1.Neo4jBackup) map[string]string {
	return map[string]string{
		render.LabelName:      "neo4j",
		render.LabelManagedBy: render.ManagedBy,
		render.LabelComponent: Component,
		LabelBackup:           b.Name,
		LabelBackupOf:         b.Spec.Cluster,
	}
}

// podLabels are the user's labels and the Job's. The user's may not use
// the operator's prefix (admission refuses it; dropped here too): a pod
// labelled neo4j.graphops.dev/cluster would join the client Service.
func podLabels(job map[string]string, s v1alpha1.Neo4jBackupSpec) map[string]string {
	out := map[string]string{}
	for k, v := range s.PodLabels {
		if !strings.HasPrefix(k, "neo4j.graphops.dev/") {
			out[k] = v
		}
	}
	for k, v := range job {
		out[k] = v
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func container(c *v1alpha1.Neo4jEnterpriseCluster, name string, args []string, s v1alpha1.Neo4jBackupSpec, b *v1alpha1.Neo4jBackup) corev1.Container {
	return corev1.Container{
		Name:    name,
		Image:   render.Image(c),
		Command: []string{Admin},
		Args:    args,
		// The entrypoint is bypassed on purpose: it would rewrite
		// neo4j.conf from the environment (and need it writable) for a
		// command that reads no server settings.
		Env:                      env(s),
		EnvFrom:                  envFrom(s),
		Resources:                *s.Resources.DeepCopy(),
		VolumeMounts:             mounts(s, b.Name),
		ImagePullPolicy:          c.WithDefaults().Spec.Image.PullPolicy,
		SecurityContext:          render.ContainerSecurityContext(c),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// scheduling is the backup's, or the cluster's without the servers'
// affinity and spread constraints, which are about servers.
func scheduling(c *v1alpha1.Neo4jEnterpriseCluster, s v1alpha1.Neo4jBackupSpec) v1alpha1.SchedulingSpec {
	sched := c.Spec.Scheduling
	if s.Scheduling != nil {
		sched = *s.Scheduling
	} else {
		sched.Affinity, sched.TopologySpreadConstraints = nil, nil
	}
	return *sched.DeepCopy()
}

func podSpec(c *v1alpha1.Neo4jEnterpriseCluster, s v1alpha1.Neo4jBackupSpec, b *v1alpha1.Neo4jBackup) corev1.PodSpec {
	sched := scheduling(c, s)
	return corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyNever,
		ServiceAccountName:            s.ServiceAccountName,
		AutomountServiceAccountToken:  ptr.To(s.ServiceAccountName != ""),
		SecurityContext:               render.PodSecurityContext(c),
		ImagePullSecrets:              append([]corev1.LocalObjectReference(nil), c.Spec.Image.PullSecrets...),
		NodeSelector:                  sched.NodeSelector,
		Tolerations:                   sched.Tolerations,
		Affinity:                      sched.Affinity,
		TopologySpreadConstraints:     sched.TopologySpreadConstraints,
		PriorityClassName:             sched.PriorityClassName,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		Volumes:                       volumes(s, b),
	}
}

func env(s v1alpha1.Neo4jBackupSpec) []corev1.EnvVar {
	out := []corev1.EnvVar{{Name: "HOME", Value: Home}}
	if s.Heap != nil {
		// neo4j-admin reads HEAP_SIZE: "a number and a unit, for example,
		// 512m" (Operations Manual, neo4j-admin environment variables).
		out = append(out, corev1.EnvVar{Name: "HEAP_SIZE", Value: size(s.Heap)})
	}
	if g := s.Target.GCS; g != nil && g.Credentials != nil && g.Credentials.Key != "" {
		out = append(out, corev1.EnvVar{Name: "GOOGLE_APPLICATION_CREDENTIALS", Value: path.Join(MountCredentials, g.Credentials.Key)})
	}
	return out
}

// Credentials is the Secret a spec reads cloud credentials from, if any.
func Credentials(s v1alpha1.Neo4jBackupSpec) *v1alpha1.CloudCredentials {
	switch t := s.Target; {
	case t.S3 != nil:
		return t.S3.Credentials
	case t.GCS != nil:
		return t.GCS.Credentials
	case t.Azure != nil:
		return t.Azure.Credentials
	}
	return nil
}

func envFrom(s v1alpha1.Neo4jBackupSpec) []corev1.EnvFromSource {
	cr := Credentials(s)
	if cr == nil || cr.Key != "" {
		return nil
	}
	return []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: cr.SecretName}}}}
}

func mounts(s v1alpha1.Neo4jBackupSpec, name string) []corev1.VolumeMount {
	out := []corev1.VolumeMount{
		{Name: "home", MountPath: Home},
		{Name: "temp", MountPath: MountTemp},
	}
	if v := s.Target.Volume; v != nil {
		// The kubelet creates a missing subPath folder.
		out = append(out, corev1.VolumeMount{Name: "target", MountPath: MountTarget, SubPath: join(v.Path, folder(name, s))})
	}
	if cr := Credentials(s); cr != nil && cr.Key != "" {
		at := MountCredentials
		if s.Target.S3 != nil {
			at = path.Join(Home, ".aws")
		}
		out = append(out, corev1.VolumeMount{Name: "credentials", MountPath: at, ReadOnly: true})
	}
	return out
}

func volumes(s v1alpha1.Neo4jBackupSpec, b *v1alpha1.Neo4jBackup) []corev1.Volume {
	out := []corev1.Volume{
		{Name: "home", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("64Mi"))}}},
		{Name: "temp", VolumeSource: tempVolume(s, b)},
	}
	if v := s.Target.Volume; v != nil {
		out = append(out, corev1.Volume{Name: "target", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.ClaimName},
		}})
	}
	if cr := Credentials(s); cr != nil && cr.Key != "" {
		items := []corev1.KeyToPath{{Key: cr.Key, Path: cr.Key}}
		if s.Target.S3 != nil {
			// ~/.aws/credentials, and ~/.aws/config when the Secret has it.
			items = []corev1.KeyToPath{{Key: cr.Key, Path: "credentials"}, {Key: "config", Path: "config"}}
		}
		out = append(out, corev1.Volume{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: cr.SecretName, Items: items, DefaultMode: ptr.To[int32](0o440), Optional: optionalConfig(s),
		}}})
	}
	return out
}

// optionalConfig: the S3 config key is optional, but a Secret volume with
// items fails on a missing key unless the whole volume is optional; the
// operator checks the credentials key itself before creating the Job.
func optionalConfig(s v1alpha1.Neo4jBackupSpec) *bool {
	if s.Target.S3 != nil {
		return ptr.To(true)
	}
	return nil
}

func tempVolume(s v1alpha1.Neo4jBackupSpec, b *v1alpha1.Neo4jBackup) corev1.VolumeSource {
	t := s.TempVolume
	if t.StorageClassName == nil {
		return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(t.Size.DeepCopy())}}
	}
	return corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{LabelBackup: b.Name}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: t.StorageClassName,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: t.Size.DeepCopy()}},
		},
	}}}
}

// Version checks what the cluster's Neo4j version must support: nil, or
// why the backup cannot run against it.
func Version(s v1alpha1.Neo4jBackupSpec, c *v1alpha1.Neo4jEnterpriseCluster) error {
	v, err := neo4jconf.ParseTag(c.WithDefaults().Spec.Image.Tag)
	if err != nil {
		return err
	}
	if s.ParallelDownload && v.Before(neo4jconf.Version{Major: 2025, Minor: 11}) {
		return fmt.Errorf("parallelDownload needs Neo4j 2025.11 or later; the cluster runs %d.%d", v.Major, v.Minor)
	}
	return nil
}

// CleanupJob deletes one PerBackup folder from a volume target: the
// retention of a schedule, which the user configured, is the only caller.
// It mounts the parent folder and removes exactly the backup's own folder.
func CleanupJob(b *v1alpha1.Neo4jBackup, c *v1alpha1.Neo4jEnterpriseCluster, name string) *batchv1.Job {
	s := Defaulted(b.Spec)
	v := s.Target.Volume
	sched := scheduling(c, s)
	labels := Labels(b)
	labels[render.LabelComponent] = "backup-cleanup"
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: b.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To[int32](2),
			ActiveDeadlineSeconds:   ptr.To[int64](3600),
			TTLSecondsAfterFinished: ptr.To[int32](86400),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyMap(labels)},
				Spec: corev1.PodSpec{
					NodeSelector:                 sched.NodeSelector,
					Tolerations:                  sched.Tolerations,
					Affinity:                     sched.Affinity,
					PriorityClassName:            sched.PriorityClassName,
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext:              render.PodSecurityContext(c),
					ImagePullSecrets:             append([]corev1.LocalObjectReference(nil), c.Spec.Image.PullSecrets...),
					Containers: []corev1.Container{{
						Name:                     "delete",
						Image:                    render.Image(c),
						Command:                  []string{"rm", "-rf", "--", path.Join(MountTarget, b.Name)},
						ImagePullPolicy:          c.WithDefaults().Spec.Image.PullPolicy,
						SecurityContext:          render.ContainerSecurityContext(c),
						VolumeMounts:             []corev1.VolumeMount{{Name: "target", MountPath: MountTarget, SubPath: join(v.Path)}},
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
					Volumes: []corev1.Volume{{Name: "target", VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.ClaimName},
					}}},
				},
			},
		},
	}
}

// Deletable reports whether retention can delete a backup's artefacts: a
// PerBackup folder on a volume. Object storage is left to lifecycle rules.
func Deletable(s v1alpha1.Neo4jBackupSpec) bool {
	s = Defaulted(s)
	return s.Target.Volume != nil && s.Target.Folder == v1alpha1.FolderPerBackup
}

package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
)

func statusEqual(a, b v1alpha1.Neo4jBackupStatus) bool { return equality.Semantic.DeepEqual(a, b) }

// failure explains a failed Job from its pods' termination messages: the
// kubelet keeps the last lines a failed container wrote
// (FallbackToLogsOnError), so no log access is needed. Credentials are
// redacted: the values of the Secret the backup reads, and anything shaped
// like a key. The reason is CheckFailed when a consistency check failed.
func (r *BackupReconciler) failure(ctx context.Context, b *v1alpha1.Neo4jBackup, job *batchv1.Job) (string, string) {
	reason, msg := "BackupFailed", "the backup Job failed"
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Message != "" {
			msg = fmt.Sprintf("the backup Job failed: %s", c.Message)
		}
	}
	pods := &corev1.PodList{}
	if err := r.APIReader.List(ctx, pods, client.InNamespace(b.Namespace), client.MatchingLabels{batchv1.JobNameLabel: job.Name}); err != nil {
		return reason, msg + " (its pods could not be read: " + err.Error() + ")"
	}
	name, exit, text := lastFailure(pods.Items)
	if name == "" {
		return reason, msg
	}
	if strings.HasPrefix(name, "check-") {
		reason = "CheckFailed"
	}
	msg = fmt.Sprintf("container %s exited with code %d", name, exit)
	if text != "" {
		msg += ":\n" + backup.Redact(text, r.secretValues(ctx, b))
	}
	return reason, msg
}

// lastFailure is the newest pod's failed container (init containers
// first: they run first), its exit code and termination message.
func lastFailure(pods []corev1.Pod) (string, int32, string) {
	sort.Slice(pods, func(i, j int) bool {
		return pods[j].CreationTimestamp.Before(&pods[i].CreationTimestamp) ||
			(pods[i].CreationTimestamp.Equal(&pods[j].CreationTimestamp) && pods[i].Name > pods[j].Name)
	})
	for _, p := range pods {
		for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				return cs.Name, t.ExitCode, t.Message
			}
		}
	}
	return "", 0, ""
}

// secretValues are the values of the credentials Secret, to redact.
func (r *BackupReconciler) secretValues(ctx context.Context, b *v1alpha1.Neo4jBackup) []string {
	cr := backup.Credentials(b.Spec)
	if cr == nil {
		return nil
	}
	s := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: cr.SecretName}, s); err != nil {
		return nil
	}
	var out []string
	for _, v := range s.Data {
		out = append(out, string(v))
	}
	sort.Strings(out)
	return out
}

// Package backup holds the controllers of Neo4jBackup and
// Neo4jBackupSchedule. A backup is a Job running neo4j-admin (rendered by
// internal/backup); this package creates it once, follows it to its end
// and reports. A finished backup is never looked at again.
package backup

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jbackups,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jbackups/status,verbs=get;update
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jbackupschedules,verbs=get;list;watch
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jbackupschedules/status,verbs=get;update
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jbackups/finalizers;neo4jbackupschedules/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get

// recheck is how soon a Backup that cannot start yet is looked at again:
// what it waits for (the cluster, a Secret, another backup, the end of a
// roll or scaling step, a server to read from) sends it no event.
const recheck = 30 * time.Second

// conflictRetry is how soon a reconcile whose status write conflicted runs
// again: long enough for the cache to catch up with the write that won.
const conflictRetry = 200 * time.Millisecond

// BackupReconciler runs each Neo4jBackup once.
type BackupReconciler struct {
	client.Client
	// APIReader reads Secrets and claims by name, and a failed Job's
	// pods: none is cached.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock

	// starting serialises the start of backups of one cluster: "one at a
	// time" is checked and the Job created under it, so two Backups
	// reconciled at once cannot both start.
	starting keyedMutex
}

// keyedMutex is a mutex per key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*sync.Mutex{}
	}
	l := k.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		k.locks[key] = l
	}
	k.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Reconcile moves a Backup along Pending → Running → Completed or Failed.
func (r *BackupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	b := &v1alpha1.Neo4jBackup{}
	if err := r.Get(ctx, req.NamespacedName, b); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if b.Status.Phase.Finished() || !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	next, res := r.step(ctx, b)
	if err := r.writeStatus(ctx, b, next); apierrors.IsConflict(err) {
		// Decided from a stale copy (the cache lags the last write): decide
		// again from a fresh one, without logging an error.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return res.Outcome()
}

// step is the status the Backup should have now, and when to look again.
func (r *BackupReconciler) step(ctx context.Context, b *v1alpha1.Neo4jBackup) (v1alpha1.Neo4jBackupStatus, step.Result) {
	st := *b.Status.DeepCopy()
	st.ObservedGeneration = b.Generation
	job := &batchv1.Job{}
	err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Name}, job)
	switch {
	case err == nil && metav1.IsControlledBy(job, b):
		return r.follow(ctx, b, job, st), step.Result{}
	case err == nil:
		return pending(st, b, "JobNameTaken", fmt.Sprintf("a Job named %s exists and is not this backup's: delete or rename it", b.Name)), step.After(recheck, "foreign Job")
	case !apierrors.IsNotFound(err):
		return st, step.Failed(err)
	case st.Phase == v1alpha1.BackupRunning:
		// The cache may lag a Job just created: ask the API server.
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Name}, job); err == nil {
			return r.follow(ctx, b, job, st), step.Result{}
		} else if !apierrors.IsNotFound(err) {
			return st, step.Failed(err)
		}
		return finished(st, b, v1alpha1.BackupFailed, "JobDeleted", "the backup's Job was deleted before it finished", r.Clock.Now()), step.Result{}
	}
	defer r.starting.lock(b.Namespace + "/" + b.Spec.Cluster)()
	c, reason, msg, err := r.ready(ctx, b)
	if err != nil {
		return st, step.Failed(err)
	}
	if reason != "" {
		return pending(st, b, reason, msg), step.After(recheck, reason)
	}
	return r.start(ctx, b, c, st)
}

// ready checks what a backup needs before its Job can run: the cluster
// listening for backups, on a version that has the options asked for, the
// credentials and the claim, no other backup of the cluster running, and
// the cluster neither rolled nor scaled, with a server to read from
// (backup.Deferred). It returns a reason and message when the backup must
// wait.
func (r *BackupReconciler) ready(ctx context.Context, b *v1alpha1.Neo4jBackup) (*v1alpha1.Neo4jEnterpriseCluster, string, string, error) {
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.Cluster}, c); apierrors.IsNotFound(err) {
		return nil, "ClusterNotFound", fmt.Sprintf("no Neo4jEnterpriseCluster %s in namespace %s", b.Spec.Cluster, b.Namespace), nil
	} else if err != nil {
		return nil, "", "", err
	}
	if !c.Spec.Backup.Enabled {
		return nil, "BackupNotEnabled", fmt.Sprintf("cluster %s does not listen for backups: set spec.backup.enabled (its servers restart one by one)", c.Name), nil
	}
	if err := backup.Version(backup.Defaulted(b.Spec), c); err != nil {
		return nil, "UnsupportedVersion", err.Error(), nil
	}
	if msg, err := r.missingInputs(ctx, b, c); err != nil || msg != "" {
		return nil, "InputMissing", msg, err
	}
	other, err := r.running(ctx, b)
	if err != nil || other != "" {
		return nil, "Waiting", fmt.Sprintf("backup %s of the same cluster is running; backups of a cluster run one at a time", other), err
	}
	if why := backup.Deferred(c); why != "" {
		return nil, backup.ReasonDeferred, why, nil
	}
	return c, "", "", nil
}

// missingInputs names a credentials Secret, key or claim that does not
// exist: without them the Job's pod would wait forever for its volumes.
func (r *BackupReconciler) missingInputs(ctx context.Context, b *v1alpha1.Neo4jBackup, c *v1alpha1.Neo4jEnterpriseCluster) (string, error) {
	if c.Spec.TLS.Backup != nil {
		// The client policy and the certificate the Job mounts.
		cm := &corev1.ConfigMap{}
		if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: render.BackupClientConfigMapName(c)}, cm); apierrors.IsNotFound(err) {
			return fmt.Sprintf("the ConfigMap %s (the backup client's TLS policy) does not exist yet", render.BackupClientConfigMapName(c)), nil
		} else if err != nil {
			return "", err
		}
		for _, ch := range c.TLSChannels() {
			if ch.Name != v1alpha1.ChannelBackup {
				continue
			}
			if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: c.TLSSecretName(ch)}, &corev1.Secret{}); apierrors.IsNotFound(err) {
				return fmt.Sprintf("the backup channel's TLS Secret %s does not exist", c.TLSSecretName(ch)), nil
			} else if err != nil {
				return "", err
			}
		}
	}
	if cr := backup.Credentials(b.Spec); cr != nil {
		s := &corev1.Secret{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: cr.SecretName}, s); apierrors.IsNotFound(err) {
			return fmt.Sprintf("the credentials Secret %s does not exist", cr.SecretName), nil
		} else if err != nil {
			return "", err
		}
		if _, ok := s.Data[cr.Key]; cr.Key != "" && !ok {
			return fmt.Sprintf("the credentials Secret %s has no key %s", cr.SecretName, cr.Key), nil
		}
	}
	if v := b.Spec.Target.Volume; v != nil {
		pvc := &corev1.PersistentVolumeClaim{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: v.ClaimName}, pvc); apierrors.IsNotFound(err) {
			return fmt.Sprintf("the PersistentVolumeClaim %s does not exist", v.ClaimName), nil
		} else if err != nil {
			return "", err
		}
	}
	return "", nil
}

// running is another backup of the same cluster whose Job has not
// finished, read from the API server (the cache may not show a Job just
// created); called under the cluster's start lock.
func (r *BackupReconciler) running(ctx context.Context, b *v1alpha1.Neo4jBackup) (string, error) {
	jobs := &batchv1.JobList{}
	if err := r.APIReader.List(ctx, jobs, client.InNamespace(b.Namespace),
		client.MatchingLabels{backup.LabelBackupOf: b.Spec.Cluster, render.LabelComponent: backup.Component}); err != nil {
		return "", err
	}
	for _, j := range jobs.Items {
		if j.Name != b.Name && finishedState(&j) == "" && j.DeletionTimestamp.IsZero() {
			return j.Labels[backup.LabelBackup], nil
		}
	}
	return "", nil
}

// start creates the Job and records the backup as Running.
func (r *BackupReconciler) start(ctx context.Context, b *v1alpha1.Neo4jBackup, c *v1alpha1.Neo4jEnterpriseCluster, st v1alpha1.Neo4jBackupStatus) (v1alpha1.Neo4jBackupStatus, step.Result) {
	job := backup.Job(b, c)
	if err := controllerutil.SetControllerReference(b, job, r.Scheme); err != nil {
		return st, step.Failed(err)
	}
	switch err := r.Create(ctx, job); {
	case apierrors.IsAlreadyExists(err):
		// Ours (made by a reconcile the cache does not show yet), or
		// someone else's of the same name: the API server says which.
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(job), job); err != nil {
			return st, step.Failed(err)
		}
		if !metav1.IsControlledBy(job, b) {
			return pending(st, b, "JobNameTaken", fmt.Sprintf("a Job named %s exists and is not this backup's: delete or rename it", b.Name)), step.After(recheck, "foreign Job")
		}
	case err != nil:
		return st, step.Failed(fmt.Errorf("creating the backup Job: %w", err))
	default:
	}
	now := metav1.NewTime(r.Clock.Now())
	st.StartTime = &now
	return markRunning(st, b, job), step.Result{}
}

// markRunning records the backup as running in its Job: what runs, where
// it writes, with which image.
func markRunning(st v1alpha1.Neo4jBackupStatus, b *v1alpha1.Neo4jBackup, job *batchv1.Job) v1alpha1.Neo4jBackupStatus {
	s := backup.Defaulted(b.Spec)
	st.Phase, st.Job = v1alpha1.BackupRunning, job.Name
	st.Databases, st.Location, st.Image = s.Databases, backup.Location(b.Name, s), job.Spec.Template.Spec.Containers[0].Image
	setReady(&st, b, metav1.ConditionFalse, "Running", "neo4j-admin database backup is running in Job "+job.Name)
	return st
}

// follow reads the Job's outcome.
func (r *BackupReconciler) follow(ctx context.Context, b *v1alpha1.Neo4jBackup, job *batchv1.Job, st v1alpha1.Neo4jBackupStatus) v1alpha1.Neo4jBackupStatus {
	if st.Phase != v1alpha1.BackupRunning {
		// The Job exists but the status does not say so yet (a write lost
		// to a restart): record it as running from the Job.
		st = markRunning(st, b, job)
	}
	if job.Status.StartTime != nil && st.StartTime == nil {
		st.StartTime = job.Status.StartTime.DeepCopy()
	}
	switch {
	case jobCondition(job, batchv1.JobComplete):
		at := r.Clock.Now()
		if job.Status.CompletionTime != nil {
			at = job.Status.CompletionTime.Time
		}
		return finished(st, b, v1alpha1.BackupCompleted, "Completed", "backed up to "+st.Location, at)
	case jobCondition(job, batchv1.JobFailed):
		reason, msg := r.failure(ctx, b, job)
		return finished(st, b, v1alpha1.BackupFailed, reason, msg, r.Clock.Now())
	}
	return st
}

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func pending(st v1alpha1.Neo4jBackupStatus, b *v1alpha1.Neo4jBackup, reason, msg string) v1alpha1.Neo4jBackupStatus {
	st.Phase = v1alpha1.BackupPending
	setReady(&st, b, metav1.ConditionFalse, reason, msg)
	return st
}

func finished(st v1alpha1.Neo4jBackupStatus, b *v1alpha1.Neo4jBackup, phase v1alpha1.BackupPhase, reason, msg string, at time.Time) v1alpha1.Neo4jBackupStatus {
	st.Phase = phase
	t := metav1.NewTime(at)
	st.CompletionTime = &t
	status := metav1.ConditionFalse
	if phase == v1alpha1.BackupCompleted {
		status = metav1.ConditionTrue
	} else {
		st.Message = msg
	}
	setReady(&st, b, status, reason, msg)
	return st
}

func setReady(st *v1alpha1.Neo4jBackupStatus, b *v1alpha1.Neo4jBackup, s metav1.ConditionStatus, reason, msg string) {
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionBackupReady, Status: s, Reason: reason, Message: msg, ObservedGeneration: b.Generation,
	})
}

// writeStatus writes the status when it changed, with the resourceVersion
// the decision was made from: a decision made from a stale copy gets a
// conflict and is made again. Each phase change is an Event.
func (r *BackupReconciler) writeStatus(ctx context.Context, b *v1alpha1.Neo4jBackup, next v1alpha1.Neo4jBackupStatus) error {
	if statusEqual(b.Status, next) {
		apply.WritesSkipped.WithLabelValues("Neo4jBackup/status").Inc()
		return nil
	}
	before := b.DeepCopy()
	b.Status = next
	if err := r.Status().Update(ctx, b); err != nil {
		if apierrors.IsConflict(err) {
			apply.WriteConflicts.WithLabelValues("Neo4jBackup/status").Inc()
			log.FromContext(ctx).V(1).Info("backup status write conflict; deciding again from a fresh read")
		}
		return err
	}
	r.announce(before, b)
	return nil
}

// announce sends an Event when the phase or the waiting reason changed.
func (r *BackupReconciler) announce(before, after *v1alpha1.Neo4jBackup) {
	old := meta.FindStatusCondition(before.Status.Conditions, v1alpha1.ConditionBackupReady)
	now := meta.FindStatusCondition(after.Status.Conditions, v1alpha1.ConditionBackupReady)
	if now == nil || (old != nil && old.Reason == now.Reason && before.Status.Phase == after.Status.Phase) {
		return
	}
	kind := corev1.EventTypeNormal
	if after.Status.Phase == v1alpha1.BackupFailed || (after.Status.Phase == v1alpha1.BackupPending && !expectedWait(now.Reason)) {
		kind = corev1.EventTypeWarning
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(after, nil, kind, now.Reason, string(after.Status.Phase), "%s", now.Message)
	}
}

// expectedWait: waiting for another backup or for the cluster to be safe
// to read from is the normal course, not something to fix.
func expectedWait(reason string) bool {
	return reason == "Waiting" || reason == backup.ReasonDeferred
}

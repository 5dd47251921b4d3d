package backup

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// ScheduleReconciler makes a schedule's Neo4jBackups at its ticks and
// applies its retention. It writes only at ticks and when its backups
// finish; between them it sleeps until the next tick.
type ScheduleReconciler struct {
	client.Client
	// APIReader reads a Job the cache does not hold.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
}

// Reconcile acts on the schedule's due tick, if any, and its retention.
func (r *ScheduleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &v1alpha1.Neo4jBackupSchedule{}
	if err := r.Get(ctx, req.NamespacedName, s); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !s.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	backups, err := r.owned(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.Clock.Now()
	st := *s.Status.DeepCopy()
	st.ObservedGeneration = s.Generation
	st.LastSuccessfulTime = lastSuccess(backups)
	sched, err := backup.Parse(s.Spec.Schedule, s.Spec.TimeZone)
	if err != nil {
		st.NextScheduleTime = nil
		setScheduleReady(&st, s, metav1.ConditionFalse, "InvalidSchedule", err.Error())
		return ctrl.Result{}, r.writeStatus(ctx, s, st)
	}
	res := r.retain(ctx, s, backups, now, &st)
	res = res.Merge(r.tick(ctx, s, sched, backups, now, &st))
	if err := r.writeStatus(ctx, s, st); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return res.Outcome()
}

// owned are the schedule's Backups.
func (r *ScheduleReconciler) owned(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule) ([]v1alpha1.Neo4jBackup, error) {
	list := &v1alpha1.Neo4jBackupList{}
	if err := r.List(ctx, list, client.InNamespace(s.Namespace), client.MatchingLabels{backup.LabelSchedule: s.Name}); err != nil {
		return nil, err
	}
	var out []v1alpha1.Neo4jBackup
	for _, b := range list.Items {
		if metav1.IsControlledBy(&b, s) {
			out = append(out, b)
		}
	}
	return out, nil
}

// tick acts on the due tick: makes its Backup, or skips it (suspended,
// too late, the previous one still running), and asks to be woken at the
// next one.
func (r *ScheduleReconciler) tick(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, sched cron.Schedule, backups []v1alpha1.Neo4jBackup, now time.Time, st *v1alpha1.Neo4jBackupScheduleStatus) step.Result {
	last := s.CreationTimestamp.Time
	if st.LastScheduleTime != nil {
		last = st.LastScheduleTime.Time
	}
	deadline := time.Duration(ptr.Deref(s.Spec.StartingDeadlineSeconds, 3600)) * time.Second
	t := backup.Ticks(sched, last, now, deadline)
	setScheduleReady(st, s, metav1.ConditionTrue, "Scheduled", "next backup at "+t.Next.UTC().Format(time.RFC3339))
	if s.Spec.Suspend {
		st.NextScheduleTime = nil
		setScheduleReady(st, s, metav1.ConditionTrue, "Suspended", "suspended: no new backups")
		return step.Result{}
	}
	next := metav1.NewTime(t.Next)
	st.NextScheduleTime = &next
	wake := step.After(t.Next.Sub(now), "next tick")
	if t.Due.IsZero() {
		return wake
	}
	due := metav1.NewTime(t.Due)
	name := backup.Name(s.Name, t.Due)
	switch active := activeBackup(backups, name); {
	case t.TooLate:
		r.event(s, corev1.EventTypeWarning, "MissedSchedule", "the tick at %s was missed by more than startingDeadlineSeconds and is skipped (%d earlier ticks missed too)", t.Due.UTC().Format(time.RFC3339), t.Missed)
	case active != "":
		r.event(s, corev1.EventTypeNormal, "Skipped", "concurrencyPolicy Forbid: backup %s has not finished; the tick at %s is skipped", active, t.Due.UTC().Format(time.RFC3339))
	default:
		if err := r.create(ctx, s, name); err != nil {
			return step.Failed(err)
		}
		st.LastBackup = name
	}
	st.LastScheduleTime = &due
	return wake
}

// activeBackup is a backup of the schedule that has not finished, other
// than the one for this tick (which exists already when an earlier
// reconcile made it and could not record the tick).
func activeBackup(backups []v1alpha1.Neo4jBackup, due string) string {
	for _, b := range backups {
		if b.Name != due && !b.Status.Phase.Finished() && b.DeletionTimestamp.IsZero() {
			return b.Name
		}
	}
	return ""
}

// create makes the tick's Backup. Its name comes from the tick, so a
// second attempt for the same tick finds it and makes no other.
func (r *ScheduleReconciler) create(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, name string) error {
	t := s.Spec.BackupTemplate
	b := &v1alpha1.Neo4jBackup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: map[string]string{}, Annotations: maps.Clone(t.Metadata.Annotations)},
		Spec:       *t.Spec.DeepCopy(),
	}
	for k, v := range t.Metadata.Labels {
		b.Labels[k] = v
	}
	b.Labels[backup.LabelSchedule] = s.Name
	if err := controllerutil.SetControllerReference(s, b, r.Scheme); err != nil {
		return err
	}
	err := r.Create(ctx, b)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating backup %s: %w", name, err)
	}
	r.event(s, corev1.EventTypeNormal, "Created", "created backup %s", name)
	return nil
}

func lastSuccess(backups []v1alpha1.Neo4jBackup) *metav1.Time {
	if b := backup.NewestCompleted(backups); b != nil {
		return b.Status.CompletionTime.DeepCopy()
	}
	return nil
}

// retain deletes the Backups the retention policy expires. A PerBackup
// folder on a volume is deleted first, by a Job; the Backup goes once that
// Job succeeded, and stays (with the Retention condition False) if it
// failed.
func (r *ScheduleReconciler) retain(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, backups []v1alpha1.Neo4jBackup, now time.Time, st *v1alpha1.Neo4jBackupScheduleStatus) step.Result {
	p, err := policy(s.Spec.Retention)
	if err != nil {
		setCondition(st, s, ConditionRetention, metav1.ConditionFalse, "InvalidRetention", err.Error())
		return step.Result{}
	}
	byName := map[string]*v1alpha1.Neo4jBackup{}
	var items []backup.Item
	for i := range backups {
		b := &backups[i]
		if !b.DeletionTimestamp.IsZero() {
			continue
		}
		byName[b.Name] = b
		it := backup.Item{Name: b.Name, Phase: b.Status.Phase, Created: b.CreationTimestamp.Time}
		if b.Status.CompletionTime != nil {
			it.Completed = b.Status.CompletionTime.Time
		}
		items = append(items, it)
	}
	var res step.Result
	failed := ""
	for _, name := range backup.Expired(items, p, now) {
		done, why, err := r.expire(ctx, s, byName[name])
		if err != nil {
			res = res.Merge(step.Failed(err))
		}
		if why != "" {
			failed = why
		}
		if !done && why == "" && err == nil {
			res = res.Merge(step.After(5*time.Second, "artefacts being deleted"))
		}
	}
	if failed != "" {
		setCondition(st, s, ConditionRetention, metav1.ConditionFalse, "CleanupFailed", failed)
	} else {
		setCondition(st, s, ConditionRetention, metav1.ConditionTrue, "Applied", "old backups are deleted as the retention says")
	}
	return res
}

// ConditionRetention reports whether retention can do its work.
const ConditionRetention = "Retention"

func policy(ret v1alpha1.BackupRetention) (backup.Policy, error) {
	// The CRD's defaults, for objects stored before they existed.
	p := backup.Policy{KeepCompleted: int(ptr.Deref(ret.KeepCompleted, 7)), KeepFailed: int(ptr.Deref(ret.KeepFailed, 3))}
	if ret.MaxAge != "" {
		d, err := time.ParseDuration(ret.MaxAge)
		if err != nil {
			return p, fmt.Errorf("retention.maxAge %q: %w", ret.MaxAge, err)
		}
		p.MaxAge = d
	}
	return p, nil
}

// expire deletes one Backup, its artefacts first when retention can
// delete them. It reports whether the Backup is gone, and why the cleanup
// failed if it did.
func (r *ScheduleReconciler) expire(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, b *v1alpha1.Neo4jBackup) (bool, string, error) {
	if backup.Deletable(b.Spec) {
		done, why, err := r.deleteArtefacts(ctx, s, b)
		if !done || err != nil {
			return false, why, err
		}
	}
	err := r.Delete(ctx, b, client.Preconditions{UID: &b.UID}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if client.IgnoreNotFound(err) != nil {
		return false, "", err
	}
	r.event(s, corev1.EventTypeNormal, "Expired", "deleted backup %s (retention)", b.Name)
	return true, "", nil
}

// deleteArtefacts runs the Job deleting a backup's folder, and reports
// whether it has succeeded.
func (r *ScheduleReconciler) deleteArtefacts(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, b *v1alpha1.Neo4jBackup) (bool, string, error) {
	name := b.Name + "-rm"
	job := &batchv1.Job{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, job)
	switch {
	case err == nil && !metav1.IsControlledBy(job, s):
		return false, fmt.Sprintf("a Job named %s exists and is not this schedule's: the folder of backup %s is not deleted, and the backup is kept", name, b.Name), nil
	case err == nil && jobCondition(job, batchv1.JobComplete):
		return true, "", nil
	case err == nil && jobCondition(job, batchv1.JobFailed):
		return false, fmt.Sprintf("the Job %s deleting the folder of backup %s failed; the backup is kept (delete the Job to try again)", name, b.Name), nil
	case err == nil:
		return false, "", nil
	case !apierrors.IsNotFound(err):
		return false, "", err
	}
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: b.Spec.Cluster}, c); client.IgnoreNotFound(err) != nil {
		return false, "", err
	}
	// A deleted cluster leaves the defaults: the image's rm is all the Job
	// needs.
	c.Name, c.Namespace = b.Spec.Cluster, s.Namespace
	job = backup.CleanupJob(b, c, name)
	if err := controllerutil.SetControllerReference(s, job, r.Scheme); err != nil {
		return false, "", err
	}
	switch err := r.Create(ctx, job); {
	case apierrors.IsAlreadyExists(err):
		// Ours (the cache lags), or someone else's: the API server says.
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(job), job); err != nil {
			return false, "", err
		}
		if !metav1.IsControlledBy(job, s) {
			return false, fmt.Sprintf("a Job named %s exists and is not this schedule's: the folder of backup %s is not deleted, and the backup is kept", name, b.Name), nil
		}
		return false, "", nil
	case err != nil:
		return false, "", err
	}
	return false, "", nil
}

func setScheduleReady(st *v1alpha1.Neo4jBackupScheduleStatus, s *v1alpha1.Neo4jBackupSchedule, status metav1.ConditionStatus, reason, msg string) {
	setCondition(st, s, v1alpha1.ConditionScheduleReady, status, reason, msg)
}

func setCondition(st *v1alpha1.Neo4jBackupScheduleStatus, s *v1alpha1.Neo4jBackupSchedule, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: s.Generation})
}

// writeStatus writes the status when it changed, locked to the
// resourceVersion it was computed from.
func (r *ScheduleReconciler) writeStatus(ctx context.Context, s *v1alpha1.Neo4jBackupSchedule, next v1alpha1.Neo4jBackupScheduleStatus) error {
	if equality.Semantic.DeepEqual(s.Status, next) {
		apply.WritesSkipped.WithLabelValues("Neo4jBackupSchedule/status").Inc()
		return nil
	}
	old := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionScheduleReady)
	s.Status = next
	if err := r.Status().Update(ctx, s); err != nil {
		if apierrors.IsConflict(err) {
			apply.WriteConflicts.WithLabelValues("Neo4jBackupSchedule/status").Inc()
		}
		return err
	}
	if c := meta.FindStatusCondition(next.Conditions, v1alpha1.ConditionScheduleReady); c != nil && c.Status == metav1.ConditionFalse && (old == nil || old.Reason != c.Reason) {
		r.event(s, corev1.EventTypeWarning, c.Reason, "%s", c.Message)
	}
	return nil
}

func (r *ScheduleReconciler) event(obj runtime.Object, kind, reason, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(obj, nil, kind, reason, "Schedule", note, args...)
	}
}

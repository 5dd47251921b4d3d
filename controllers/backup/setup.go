package backup

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
)

// ClusterIndex indexes Neo4jBackups by the cluster they back up.
const ClusterIndex = "spec.cluster"

// IndexBackups registers ClusterIndex; the cluster controller uses it too.
func IndexBackups(ctx context.Context, mgr ctrl.Manager) error {
	return mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Neo4jBackup{}, ClusterIndex,
		func(o client.Object) []string { return []string{o.(*v1alpha1.Neo4jBackup).Spec.Cluster} })
}

// SetupWithManager wires both controllers. A Backup is reconciled when
// created and when its Job's outcome changes; a schedule when its spec
// changes, when one of its Backups changes phase, and at its ticks.
func SetupWithManager(mgr ctrl.Manager, maxConcurrent int) error {
	backups := &BackupReconciler{
		Client: apply.Counted(mgr.GetClient(), false), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("neo4j-operator"), Clock: clock.RealClock{},
	}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("neo4jbackup").
		For(&v1alpha1.Neo4jBackup{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&batchv1.Job{}, builder.WithPredicates(JobFinished())).
		WithOptions(controllerOptions(maxConcurrent)).
		Complete(backups)
	if err != nil {
		return err
	}
	schedules := &ScheduleReconciler{
		Client: apply.Counted(mgr.GetClient(), false), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("neo4j-operator"), Clock: clock.RealClock{},
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("neo4jbackupschedule").
		For(&v1alpha1.Neo4jBackupSchedule{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&v1alpha1.Neo4jBackup{}, builder.WithPredicates(PhaseChanged())).
		Owns(&batchv1.Job{}, builder.WithPredicates(JobFinished())).
		WithOptions(controllerOptions(maxConcurrent)).
		Complete(schedules)
}

// JobFinished lets through a Job's creation and deletion, and updates that
// finish it: the only moments a backup's status can change.
func JobFinished() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*batchv1.Job), e.ObjectNew.(*batchv1.Job)
			return finishedState(o) != finishedState(n) || (o.Status.StartTime == nil) != (n.Status.StartTime == nil)
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func finishedState(j *batchv1.Job) string {
	switch {
	case jobCondition(j, batchv1.JobComplete):
		return "Complete"
	case jobCondition(j, batchv1.JobFailed):
		return "Failed"
	}
	return ""
}

// PhaseChanged lets through a Backup's creation and deletion, and phase
// changes.
func PhaseChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.(*v1alpha1.Neo4jBackup).Status.Phase != e.ObjectNew.(*v1alpha1.Neo4jBackup).Status.Phase ||
				!e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func controllerOptions(maxConcurrent int) controller.Options {
	return controller.Options{MaxConcurrentReconciles: max(1, maxConcurrent)}
}

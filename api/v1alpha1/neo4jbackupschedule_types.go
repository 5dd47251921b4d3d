package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConcurrencyPolicy says what a schedule does when a tick comes while its
// previous backup still runs. Only Forbid is offered: two backups of one
// cluster at once load its servers twice for no gain.
// +kubebuilder:validation:Enum=Forbid
type ConcurrencyPolicy string

// ConcurrencyForbid skips a tick while the previous backup runs.
const ConcurrencyForbid ConcurrencyPolicy = "Forbid"

// Neo4jBackupScheduleSpec makes a Neo4jBackup at every tick of a cron
// schedule and deletes old ones.
type Neo4jBackupScheduleSpec struct {
	// Schedule in cron format (minute hour day-of-month month
	// day-of-week), or a descriptor such as @daily or @every 6h.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	Schedule string `json:"schedule"`

	// TimeZone of the schedule, an IANA name such as Europe/Berlin; UTC
	// when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TimeZone *string `json:"timeZone,omitempty"`

	// ConcurrencyPolicy: Forbid skips a tick while the schedule's previous
	// backup has not finished (an Event says so).
	// +optional
	// +kubebuilder:default=Forbid
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// Suspend stops new backups; running ones finish.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// StartingDeadlineSeconds: a tick missed by more than this (the
	// operator was down) is skipped rather than run late.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=10
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// BackupTemplate is the Neo4jBackup made at each tick.
	BackupTemplate BackupTemplate `json:"backupTemplate"`

	// Retention deletes the schedule's old Neo4jBackups and, on a volume
	// with PerBackup folders, their artefacts. On object storage the
	// artefacts stay: use the bucket's lifecycle rules (docs/backup.md).
	// +optional
	Retention BackupRetention `json:"retention,omitempty"`
}

// BackupTemplate is the Neo4jBackup a schedule makes.
type BackupTemplate struct {
	// Labels and annotations of each Neo4jBackup.
	// +optional
	Metadata TemplateMetadata `json:"metadata,omitempty"`

	// Spec of each Neo4jBackup.
	Spec Neo4jBackupSpec `json:"spec"`
}

// TemplateMetadata are the labels and annotations of made objects.
type TemplateMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// BackupRetention bounds the schedule's Neo4jBackups. The newest
// completed backup is never deleted, whatever its age.
// +kubebuilder:validation:XValidation:rule="!has(self.maxAge) || self.maxAge.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="retention.maxAge is a duration such as 168h or 720h30m"
type BackupRetention struct {
	// KeepCompleted is how many completed backups are kept, newest
	// first.
	// +optional
	// +kubebuilder:default=7
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	KeepCompleted *int32 `json:"keepCompleted,omitempty"`

	// KeepFailed is how many failed backups are kept, for their messages.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	KeepFailed *int32 `json:"keepFailed,omitempty"`

	// MaxAge deletes completed backups older than this (a Go duration,
	// e.g. 720h), except the newest.
	// +optional
	MaxAge string `json:"maxAge,omitempty"`
}

// ConditionScheduleReady is a schedule's condition: False with reason
// InvalidSchedule or InvalidTimeZone when the spec cannot be run, else
// True.
const ConditionScheduleReady = "Ready"

// Neo4jBackupScheduleStatus is what the schedule did.
type Neo4jBackupScheduleStatus struct {
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// LastScheduleTime is the last tick the schedule acted on (made a
	// backup, or skipped it).
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// LastBackup is the name of the last Neo4jBackup made.
	// +optional
	LastBackup string `json:"lastBackup,omitempty"`

	// LastSuccessfulTime is when the newest completed backup finished.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// NextScheduleTime is the next tick.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`
}

// Neo4jBackupSchedule makes Neo4jBackups on a cron schedule.
// +operator-sdk:csv:customresourcedefinitions:displayName="Neo4j Backup Schedule"
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=n4jbs,categories=neo4j
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.backupTemplate.spec.cluster`
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Suspend",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Last",type=date,JSONPath=`.status.lastScheduleTime`
// +kubebuilder:printcolumn:name="Last Success",type=date,JSONPath=`.status.lastSuccessfulTime`
// +kubebuilder:printcolumn:name="Next",type=string,JSONPath=`.status.nextScheduleTime`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 47",message="metadata.name must be at most 47 characters: the schedule's backups are named <schedule>-<yyyymmddhhmm>, and the Job deleting one's folder <backup>-rm"
type Neo4jBackupSchedule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Neo4jBackupScheduleSpec   `json:"spec"`
	Status Neo4jBackupScheduleStatus `json:"status,omitempty"`
}

// Neo4jBackupScheduleList is a list of Neo4jBackupSchedule.
// +kubebuilder:object:root=true
type Neo4jBackupScheduleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Neo4jBackupSchedule `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Neo4jBackupSchedule{}, &Neo4jBackupScheduleList{})
}

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A backup is Neo4j's own online backup: a Job with the cluster's
// Enterprise image runs `neo4j-admin database backup` against every
// server's backup port (Operations Manual, backup-restore/online-backup).

// BackupType is neo4j-admin's --type.
// +kubebuilder:validation:Enum=AUTO;FULL;DIFF
type BackupType string

// Backup types (neo4j-admin database backup --type).
const (
	BackupAuto BackupType = "AUTO"
	BackupFull BackupType = "FULL"
	BackupDiff BackupType = "DIFF"
)

// BackupFolder says where in the target a Backup writes.
// +kubebuilder:validation:Enum=PerBackup;Shared
type BackupFolder string

// Folder layouts.
const (
	// FolderPerBackup writes each Backup into a folder named after it:
	// retention can delete it whole, and every backup is a full one
	// (AUTO finds no chain to extend).
	FolderPerBackup BackupFolder = "PerBackup"
	// FolderShared writes every Backup into the target's path itself, so
	// AUTO and DIFF extend the chain there.
	FolderShared BackupFolder = "Shared"
)

// Neo4jBackupSpec is one online backup of a cluster's databases. It cannot
// change once created: a backup runs once.
// +kubebuilder:validation:XValidation:rule="self.type != 'DIFF' || self.target.folder == 'Shared'",message="type DIFF needs target.folder Shared: a differential backup extends the chain already in its folder, and a PerBackup folder is new and empty"
// +kubebuilder:validation:XValidation:rule="!has(self.consistencyCheck) || !self.consistencyCheck || (self.databases.all(d, !d.contains('*') && !d.contains('?')) && self.type == 'FULL' && self.target.folder == 'PerBackup')",message="consistencyCheck needs databases named without patterns (neo4j-admin database check takes one name), type FULL and target.folder PerBackup: Neo4j cannot check differential backups, and the check reads the newest chain in the folder"
type Neo4jBackupSpec struct {
	// Cluster is the Neo4jEnterpriseCluster, in the Backup's namespace,
	// whose servers are backed up. It must have spec.backup.enabled: Neo4j
	// serves backups on 127.0.0.1 only otherwise.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	Cluster string `json:"cluster"`

	// Databases are the names or patterns (* and ?, as neo4j-admin
	// matches them) of the databases to back up. The default, ["*"], is
	// every database, system included.
	// +optional
	// +kubebuilder:default={"*"}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[a-z*?][a-z0-9.*?-]*$`
	// +kubebuilder:validation:items:MaxLength=63
	Databases []string `json:"databases,omitempty"`

	// Type is FULL, DIFF (a differential backup on top of the chain in the
	// folder) or AUTO (differential when a chain exists, else full).
	// +optional
	// +kubebuilder:default=AUTO
	Type BackupType `json:"type,omitempty"`

	// Target is where the backup artefacts go: exactly one of a volume, S3,
	// Google Cloud Storage or Azure Blob Storage.
	Target BackupTarget `json:"target"`

	// Compress the artefacts (neo4j-admin --compress).
	// +optional
	// +kubebuilder:default=true
	Compress *bool `json:"compress,omitempty"`

	// IncludeMetadata is neo4j-admin's --include-metadata: the users and
	// roles a restore can recreate with the database.
	// +optional
	// +kubebuilder:default=all
	// +kubebuilder:validation:Enum=all;none;users;roles
	IncludeMetadata string `json:"includeMetadata,omitempty"`

	// ParallelDownload downloads the store files in parallel
	// (--parallel-download, Neo4j 2025.11 and later).
	// +optional
	ParallelDownload bool `json:"parallelDownload,omitempty"`

	// PageCache of the backup process (--pagecache); unset lets
	// neo4j-admin choose.
	// +optional
	PageCache *resource.Quantity `json:"pageCache,omitempty"`

	// Heap of the backup process (the HEAP_SIZE variable neo4j-admin
	// reads); unset lets the JVM choose.
	// +optional
	Heap *resource.Quantity `json:"heap,omitempty"`

	// TempVolume is the local folder the backup stages in
	// (--temp-path): the manual says a backup to cloud storage is written
	// locally first, so it must hold the whole backup.
	// +optional
	TempVolume TempVolumeSpec `json:"tempVolume,omitempty"`

	// ConsistencyCheck runs `neo4j-admin database check` on each
	// database's artefact after the backup; the Backup fails if the check
	// does.
	// +optional
	ConsistencyCheck bool `json:"consistencyCheck,omitempty"`

	// Resources of the backup container. Set them: the backup process
	// holds the heap and page cache above.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// ServiceAccountName runs the Job's pod as this ServiceAccount, for
	// cloud credentials from the platform (IRSA, GKE Workload Identity,
	// Azure Workload Identity). Empty uses the namespace's default, with
	// no API access token mounted.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// BackoffLimit is how many times the Job retries a failed backup pod
	// (the Job controller waits 10 s, 20 s, 40 s... between them, capped at
	// 6 minutes); 0 turns retries off. neo4j-admin exits non-zero when any
	// server it tried did not answer (Operations Manual, online-backup.adoc).
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`

	// ActiveDeadlineSeconds bounds the Job: a backup whose pod never
	// starts (an image pull, an unschedulable pod, a volume attached
	// elsewhere) or never ends fails then, instead of holding the
	// cluster's next backups forever.
	// +optional
	// +kubebuilder:default=86400
	// +kubebuilder:validation:Minimum=60
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`

	// PodLabels are added to the Job's pod (network policies, cost
	// allocation).
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('neo4j.graphops.dev/'))",message="podLabels may not use the operator's prefix neo4j.graphops.dev/: a pod labelled neo4j.graphops.dev/cluster would receive the cluster's client traffic"
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// PodAnnotations are added to the Job's pod.
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// Scheduling of the Job's pod; unset uses the cluster's.
	// +optional
	Scheduling *SchedulingSpec `json:"scheduling,omitempty"`
}

// TempVolumeSpec sizes the backup's staging folder.
type TempVolumeSpec struct {
	// Size of the folder. With a storage class it is an ephemeral volume
	// claim of this size; without, an emptyDir limited to it.
	// +optional
	// +kubebuilder:default="10Gi"
	Size *resource.Quantity `json:"size,omitempty"`

	// StorageClassName makes the folder an ephemeral volume claim of this
	// class, deleted with the pod.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// BackupTarget is where artefacts go.
// +kubebuilder:validation:XValidation:rule="[has(self.volume), has(self.s3), has(self.gcs), has(self.azure)].filter(x, x).size() == 1",message="target needs exactly one of volume, s3, gcs and azure"
type BackupTarget struct {
	// Volume is a PersistentVolumeClaim in the Backup's namespace.
	// +optional
	Volume *VolumeTarget `json:"volume,omitempty"`

	// S3 is an Amazon S3 (or S3-compatible) bucket: Neo4j 5.19 and later.
	// +optional
	S3 *S3Target `json:"s3,omitempty"`

	// GCS is a Google Cloud Storage bucket: Neo4j 5.21 and later.
	// +optional
	GCS *GCSTarget `json:"gcs,omitempty"`

	// Azure is an Azure Blob Storage container: Neo4j 5.24 and later.
	// +optional
	Azure *AzureTarget `json:"azure,omitempty"`

	// Folder is PerBackup (each Backup in a folder of its own name, under
	// the path or prefix; only full backups) or Shared (every Backup in
	// the path or prefix itself, so differential backups extend a chain).
	// +optional
	// +kubebuilder:default=PerBackup
	Folder BackupFolder `json:"folder,omitempty"`
}

// VolumeTarget is a folder on a PersistentVolumeClaim.
type VolumeTarget struct {
	// ClaimName is the PersistentVolumeClaim. It must be writable by user
	// 7474 (the image's neo4j user) and, for a ReadWriteOnce claim,
	// attachable where the Job runs.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`

	// Path is the folder inside the claim (created if missing).
	// +optional
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)?$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '..' || s == '.')",message="path may not contain . or .. segments"
	Path string `json:"path,omitempty"`
}

// S3Target is a bucket and prefix in S3.
type S3Target struct {
	// Bucket name.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	Bucket string `json:"bucket"`

	// Prefix inside the bucket.
	// +optional
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)?$`
	Prefix string `json:"prefix,omitempty"`

	// Credentials from a Secret. Without them the AWS SDK's default
	// chain applies, such as IRSA through serviceAccountName.
	// +optional
	Credentials *CloudCredentials `json:"credentials,omitempty"`
}

// GCSTarget is a bucket and prefix in Google Cloud Storage.
type GCSTarget struct {
	// Bucket name.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`
	Bucket string `json:"bucket"`

	// Prefix inside the bucket.
	// +optional
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)?$`
	Prefix string `json:"prefix,omitempty"`

	// Credentials from a Secret: with key, a service account key file
	// (GOOGLE_APPLICATION_CREDENTIALS points at it). Without them,
	// Workload Identity through serviceAccountName.
	// +optional
	Credentials *CloudCredentials `json:"credentials,omitempty"`
}

// AzureTarget is a container and prefix in Azure Blob Storage.
type AzureTarget struct {
	// StorageAccount is the storage account name.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]{3,24}$`
	StorageAccount string `json:"storageAccount"`

	// Container name.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$`
	Container string `json:"container"`

	// Prefix inside the container.
	// +optional
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)?$`
	Prefix string `json:"prefix,omitempty"`

	// Credentials from a Secret, as environment variables (key unset):
	// AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_CLIENT_ID,
	// AZURE_TENANT_ID and AZURE_CLIENT_SECRET (Neo4j 2025.06 and later
	// name them so; earlier, AZURE_STORAGE_ACCOUNT_NAME and
	// AZURE_STORAGE_ACCOUNT_KEY).
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.key)",message="Azure credentials are environment variables: leave key unset"
	Credentials *CloudCredentials `json:"credentials,omitempty"`
}

// CloudCredentials come from a Secret in the Backup's namespace, as a file
// (key set) or as environment variables (key unset: every key of the
// Secret becomes a variable of the same name). They never appear on a
// command line.
type CloudCredentials struct {
	// SecretName is the Secret.
	// +kubebuilder:validation:MinLength=1
	SecretName string `json:"secretName"`

	// Key, when set, is the key holding a credentials file. S3: an AWS
	// shared credentials file, mounted as ~/.aws/credentials (a key
	// named config in the same Secret becomes ~/.aws/config). GCS: a
	// service account key.
	// +optional
	Key string `json:"key,omitempty"`
}

// BackupPhase is where a Backup is in its life.
// +kubebuilder:validation:Enum=Pending;Running;Completed;Failed
type BackupPhase string

// Backup phases. Completed and Failed are final: a finished backup is
// never run again.
const (
	BackupPending   BackupPhase = "Pending"
	BackupRunning   BackupPhase = "Running"
	BackupCompleted BackupPhase = "Completed"
	BackupFailed    BackupPhase = "Failed"
)

// Finished reports whether the phase is final.
func (p BackupPhase) Finished() bool { return p == BackupCompleted || p == BackupFailed }

// ConditionBackupReady is a Backup's condition: False with a reason while
// it cannot start (ClusterNotFound, BackupNotEnabled, SecretNotFound,
// Waiting) or when it failed, True once completed.
const ConditionBackupReady = "Ready"

// Neo4jBackupStatus is what happened.
type Neo4jBackupStatus struct {
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is Pending, Running, Completed or Failed.
	// +optional
	Phase BackupPhase `json:"phase,omitempty"`

	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Job running the backup.
	// +optional
	Job string `json:"job,omitempty"`

	// StartTime is when the Job started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// CompletionTime is when it finished, either way.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// Databases backed up: the names or patterns given to neo4j-admin.
	// +optional
	Databases []string `json:"databases,omitempty"`

	// Location is where the artefacts are: a folder on the claim
	// (pvc://<claim>/<path>) or a cloud URI. Each database's artefact is
	// named <database>-<time>.backup there (neo4j-admin's naming).
	// +optional
	Location string `json:"location,omitempty"`

	// Image that ran the backup.
	// +optional
	Image string `json:"image,omitempty"`

	// Message on failure: the last lines the backup wrote (the kubelet's
	// termination message), with credentials redacted.
	// +optional
	Message string `json:"message,omitempty"`
}

// Neo4jBackup is one online backup of a Neo4jEnterpriseCluster.
// +operator-sdk:csv:customresourcedefinitions:displayName="Neo4j Backup"
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=n4jb,categories=neo4j
// +kubebuilder:selectablefield:JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Started",type=date,JSONPath=`.status.startTime`
// +kubebuilder:printcolumn:name="Completed",type=date,JSONPath=`.status.completionTime`
// +kubebuilder:printcolumn:name="Location",type=string,JSONPath=`.status.location`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it names the Job and its folder"
type Neo4jBackup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a Neo4jBackup's spec cannot change: a backup runs once; create another Neo4jBackup"
	Spec   Neo4jBackupSpec   `json:"spec"`
	Status Neo4jBackupStatus `json:"status,omitempty"`
}

// Neo4jBackupList is a list of Neo4jBackup.
// +kubebuilder:object:root=true
type Neo4jBackupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Neo4jBackup `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Neo4jBackup{}, &Neo4jBackupList{})
}

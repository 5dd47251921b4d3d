package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The observed state of a cluster: phases, conditions, and what the status
// reports of the StatefulSets, Neo4j and a scaling operation.

// ClusterPhase is a one-word summary of the cluster's state.
// +kubebuilder:validation:Enum=Pending;Progressing;Ready;Degraded;Paused
type ClusterPhase string

// Phases of a cluster.
const (
	PhasePending     ClusterPhase = "Pending"
	PhaseProgressing ClusterPhase = "Progressing"
	PhaseReady       ClusterPhase = "Ready"
	PhaseDegraded    ClusterPhase = "Degraded"
	PhasePaused      ClusterPhase = "Paused"
)

// Condition types.
const (
	// ConditionReady is true when every server of every role is ready and
	// runs the desired revision.
	ConditionReady = "Ready"
	// ConditionProgressing is true while servers are created or rolled.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is true when the operator cannot make the cluster
	// match its spec; the reason and message say why.
	ConditionDegraded = "Degraded"
	// ConditionClusterFormed is true when Neo4j reports a system database
	// leader: the servers found each other and formed a cluster.
	ConditionClusterFormed = "ClusterFormed"
	// ConditionServersHealthy is true when Neo4j answers and reports every
	// enabled server Available.
	ConditionServersHealthy = "ServersHealthy"
	// ConditionDatabasesPlaced is true when every declared database exists
	// with its topology fully allocated.
	ConditionDatabasesPlaced = "DatabasesPlaced"
	// ConditionRolloutStuck is true when a roll halted: a restarted server
	// did not pass the health gate in time. It names the server and what
	// the gate saw. It appears only once a roll was stuck.
	ConditionRolloutStuck = "RolloutStuck"
	// ConditionTLSReady is true when every channel spec.tls turns on has
	// a usable certificate that every server serves. It appears only when
	// spec.tls is set.
	ConditionTLSReady = "TLSReady"
)

// ScalingDirection says whether servers are being added or removed.
// +kubebuilder:validation:Enum=Out;In
type ScalingDirection string

// Scaling directions.
const (
	ScaleOut ScalingDirection = "Out"
	ScaleIn  ScalingDirection = "In"
)

// ScalingStep is where a scaling operation stands. A scale-out raises
// the StatefulSet, waits for the new servers and enables them
// (EnableServers), then reallocates if asked (Reallocate). A scale-in
// removes one server at a time: Cordon, Deallocate (until it hosts
// nothing but system), Shrink (the StatefulSet by one), WaitPodGone, Drop.
// +kubebuilder:validation:Enum=EnableServers;Reallocate;Cordon;Deallocate;Shrink;WaitPodGone;Drop
type ScalingStep string

// Scaling steps, in order within each direction.
const (
	StepEnableServers ScalingStep = "EnableServers"
	StepReallocate    ScalingStep = "Reallocate"
	StepCordon        ScalingStep = "Cordon"
	StepDeallocate    ScalingStep = "Deallocate"
	StepShrink        ScalingStep = "Shrink"
	StepWaitPodGone   ScalingStep = "WaitPodGone"
	StepDrop          ScalingStep = "Drop"
)

// ScalingStatus is the scaling operation in progress. It is the
// operation's only record: an operator restarted at any step resumes it
// from here, and each step's effect is checked in Neo4j (or the
// StatefulSet) before its command is sent, so no step runs twice.
type ScalingStatus struct {
	// Direction: Out or In.
	Direction ScalingDirection `json:"direction"`
	// Role whose servers are added or removed: primary or secondary.
	// +kubebuilder:validation:Enum=primary;secondary
	Role string `json:"role"`
	// Servers being added (Out), or the one server being removed (In), by
	// pod name.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	Servers []string `json:"servers"`
	// Replicas the role's StatefulSet is heading to.
	Replicas int32 `json:"replicas"`
	// Step in progress.
	Step ScalingStep `json:"step"`
	// StartedAt is when the operation started.
	StartedAt metav1.Time `json:"startedAt"`
	// LastTransitionTime is when the step last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
}

// ServerStatus is one Neo4j server as SHOW SERVERS reports it.
type ServerStatus struct {
	// Name of the server in Neo4j.
	Name string `json:"name"`
	// Address is its Bolt address.
	// +optional
	Address string `json:"address,omitempty"`
	// Pod running it.
	// +optional
	Pod string `json:"pod,omitempty"`
	// State: Free, Enabled, Cordoned, Deallocating, Deallocated or Dropped.
	State string `json:"state"`
	// Health: Available or Unavailable.
	Health string `json:"health"`
	// Hosting are the databases it hosts.
	// +optional
	// +listType=atomic
	Hosting []string `json:"hosting,omitempty"`
}

// DatabaseStatus is one database as SHOW DATABASES reports it.
type DatabaseStatus struct {
	// Name of the database.
	Name string `json:"name"`
	// Status is the requested status ("online", "offline") when every
	// copy has it, else the status of a copy that has not.
	Status string `json:"status"`
	// Declared is true when spec.databases lists the database (neo4j is
	// listed by default): the operator keeps its topology. Others are
	// left as they are, never dropped.
	// +optional
	Declared bool `json:"declared,omitempty"`
	// RequestedPrimaries and RequestedSecondaries are its topology.
	RequestedPrimaries   int32 `json:"requestedPrimaries"`
	RequestedSecondaries int32 `json:"requestedSecondaries"`
	// CurrentPrimaries and CurrentSecondaries are the copies allocated.
	CurrentPrimaries   int32 `json:"currentPrimaries"`
	CurrentSecondaries int32 `json:"currentSecondaries"`
}

// RoleStatus is the observed state of one role's StatefulSet.
type RoleStatus struct {
	// Replicas desired.
	Replicas int32 `json:"replicas"`
	// ReadyReplicas observed.
	ReadyReplicas int32 `json:"readyReplicas"`
	// UpdatedReplicas run the update revision.
	UpdatedReplicas int32 `json:"updatedReplicas"`
	// CurrentRevision of the StatefulSet.
	// +optional
	CurrentRevision string `json:"currentRevision,omitempty"`
	// UpdateRevision of the StatefulSet.
	// +optional
	UpdateRevision string `json:"updateRevision,omitempty"`
}

// Endpoints are the in-cluster addresses clients connect to.
type Endpoints struct {
	// Bolt is the neo4j:// routing URI.
	// +optional
	Bolt string `json:"bolt,omitempty"`
	// HTTP is the browser and HTTP API address.
	// +optional
	HTTP string `json:"http,omitempty"`
	// HTTPS is the browser and HTTP API address over TLS.
	// +optional
	HTTPS string `json:"https,omitempty"`
}

// Neo4jEnterpriseClusterStatus is the observed state of the cluster.
type Neo4jEnterpriseClusterStatus struct {
	// ObservedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase summarises the conditions in one word.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`

	// Conditions: Ready, Progressing, Degraded, and, when the operator
	// observes Neo4j, ClusterFormed and ServersHealthy.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ReadyServers is "<ready>/<desired>" over both roles.
	// +optional
	ReadyServers string `json:"readyServers,omitempty"`

	// Primaries is the state of the primary StatefulSet.
	// +optional
	Primaries RoleStatus `json:"primaries,omitempty"`

	// Secondaries is the state of the secondary StatefulSet.
	// +optional
	Secondaries RoleStatus `json:"secondaries,omitempty"`

	// Endpoints for clients.
	// +optional
	Endpoints Endpoints `json:"endpoints,omitempty"`

	// Image the servers were last rendered with.
	// +optional
	Image string `json:"image,omitempty"`

	// Servers as Neo4j reports them, by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Servers []ServerStatus `json:"servers,omitempty"`

	// Databases as Neo4j reports them, by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Databases []DatabaseStatus `json:"databases,omitempty"`

	// Scaling is the scaling operation in progress, if any.
	// +optional
	Scaling *ScalingStatus `json:"scaling,omitempty"`

	// Rollout is the roll in progress, if any.
	// +optional
	Rollout *RolloutStatus `json:"rollout,omitempty"`

	// TLS is the certificate of each TLS channel, and the reload of a
	// rotated certificate while one is under way.
	// +optional
	TLS *TLSStatus `json:"tls,omitempty"`

	// LastSuccessfulBackup is when the newest completed Neo4jBackup of
	// this cluster finished, and its name.
	// +optional
	LastSuccessfulBackup *LastBackup `json:"lastSuccessfulBackup,omitempty"`

	// Bootstrap is the restore of the neo4j database from its backup
	// (spec.bootstrap.fromBackup), once asked for.
	// +optional
	Bootstrap *BootstrapStatus `json:"bootstrap,omitempty"`
}

// BootstrapState is where the neo4j database's restore is.
// +kubebuilder:validation:Enum=Requested;Restored;Failed;Skipped
type BootstrapState string

// Bootstrap states. Requested is written before the recreate procedure is
// called and Restored or Failed after it answers: a Requested found at the
// start of a reconcile means the operator stopped in between, and whether
// the call ran is unknown (it is never sent twice).
const (
	BootstrapRequested BootstrapState = "Requested"
	BootstrapRestored  BootstrapState = "Restored"
	BootstrapFailed    BootstrapState = "Failed"
	// BootstrapSkipped: neo4j was not replaced, because its data predates
	// the cluster object or the annotation says a restore already ran.
	BootstrapSkipped BootstrapState = "Skipped"
)

// BootstrapStatus reports the restore of neo4j.
type BootstrapStatus struct {
	// State of the restore.
	State BootstrapState `json:"state"`
	// SeedURI it was restored from.
	SeedURI string `json:"seedURI"`
	// Since is when the state was entered.
	Since metav1.Time `json:"since"`
	// Message from Neo4j when it failed, or why it was skipped.
	// +optional
	Message string `json:"message,omitempty"`
}

// LastBackup names a completed backup.
type LastBackup struct {
	// Name of the Neo4jBackup.
	Name string `json:"name"`
	// CompletionTime of the backup.
	CompletionTime metav1.Time `json:"completionTime"`
}

// TLSStatus reports the channels' certificates.
type TLSStatus struct {
	// Certificates, one per channel, as last read from their Secrets.
	// +listType=map
	// +listMapKey=channel
	Certificates []CertificateStatus `json:"certificates,omitempty"`

	// Reload is the reload of rotated certificates, while under way: the
	// servers read the Secret's files when the kubelet has updated them,
	// then each is told to reload (dbms.security.reloadTLS()).
	// +optional
	Reload *TLSReloadStatus `json:"reload,omitempty"`
}

// CertificateStatus is one channel's certificate.
type CertificateStatus struct {
	// Channel is bolt, https, cluster or backup.
	Channel string `json:"channel"`
	// Secret holding the certificate.
	Secret string `json:"secret"`
	// Fingerprint is the SHA-256 of the leaf certificate (sha256:<hex>).
	Fingerprint string `json:"fingerprint"`
	// NotAfter is when the leaf certificate expires.
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`
}

// TLSReloadStatus is a certificate reload under way.
type TLSReloadStatus struct {
	// Since is when the operator first saw the new certificates: the
	// reload waits for the kubelet to update the mounted files.
	Since metav1.Time `json:"since"`
	// Reloaded are the servers that reloaded and present the new
	// certificate on every TLS channel (checked by a handshake on each).
	// +optional
	Reloaded []string `json:"reloaded,omitempty"`
	// RestartRequired is set when the Neo4j release cannot reload
	// certificates (before 2025.03): the servers serve the new ones once
	// restarted, for example with the restartedAt annotation.
	// +optional
	RestartRequired bool `json:"restartRequired,omitempty"`
}

// RolloutStep is where a roll stands: Evict while the chosen pod is being
// evicted, WaitHealthy while its replacement starts and the health gate is
// checked before the next pod; FullRestart while every pod is deleted
// together and the cluster starts again (a change every server must make
// at once, allowed by the allow-full-restart annotation).
// +kubebuilder:validation:Enum=Evict;WaitHealthy;FullRestart
type RolloutStep string

// Rollout steps.
const (
	RolloutEvict       RolloutStep = "Evict"
	RolloutWaitHealthy RolloutStep = "WaitHealthy"
	RolloutFullRestart RolloutStep = "FullRestart"
)

// RolloutRevision is a StatefulSet's move from one pod template revision
// to another.
type RolloutRevision struct {
	// StatefulSet being rolled.
	StatefulSet string `json:"statefulSet"`
	// From are the revisions its outdated pods ran when the roll started
	// (comma-separated when several).
	From string `json:"from"`
	// To is its update revision.
	To string `json:"to"`
}

// RolloutStatus is the roll in progress: the operator restarts one pod at
// a time, through the Eviction API, in a safe order (secondaries, then
// primaries leading nothing, then those leading databases, the system
// database's leader last), and only after the health gate passed. It is
// the roll's only record: an operator restarted at any point resumes from
// here, and a pod is evicted only while its UID is the one recorded, so no
// pod is evicted twice.
type RolloutStatus struct {
	// Revisions being rolled out, per StatefulSet.
	// +listType=map
	// +listMapKey=statefulSet
	Revisions []RolloutRevision `json:"revisions"`
	// Pod being restarted.
	// +optional
	Pod string `json:"pod,omitempty"`
	// PodUID is the UID of the pod to evict: its replacement has another
	// UID and is never evicted for the same roll.
	// +optional
	PodUID string `json:"podUID,omitempty"`
	// Step of the current pod.
	Step RolloutStep `json:"step"`
	// Gate is the health check the roll waits on, and what it saw ("" when
	// it waits on nothing).
	// +optional
	Gate string `json:"gate,omitempty"`
	// Done are the pods restarted so far, in order.
	// +optional
	// +listType=atomic
	Done []string `json:"done,omitempty"`
	// Pending are the pods still to restart, in the order planned now.
	// +optional
	// +listType=atomic
	Pending []string `json:"pending,omitempty"`
	// StartedAt is when the roll started.
	StartedAt metav1.Time `json:"startedAt"`
	// LastTransitionTime is when the current pod was chosen.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
}

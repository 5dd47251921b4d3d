package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Neo4jEnterpriseClusterSpec is the desired state of a Neo4j Enterprise
// cluster. Its shape follows the official Neo4j Helm chart where that makes
// sense, so a chart user finds familiar names.
// +kubebuilder:validation:XValidation:rule="!has(self.service) || !has(self.service.loadBalancerSourceRanges) || size(self.service.loadBalancerSourceRanges) == 0 || self.service.type == 'LoadBalancer'",message="service.loadBalancerSourceRanges is only allowed with service.type LoadBalancer"
type Neo4jEnterpriseClusterSpec struct {
	// Topology is the number of servers per role.
	Topology Topology `json:"topology"`

	// Image is the Neo4j Enterprise image the servers run.
	// +optional
	Image ImageSpec `json:"image,omitempty"`

	// AcceptLicenseAgreement accepts the Neo4j Enterprise license: "yes" for
	// a commercial license, "eval" for the evaluation license.
	// +kubebuilder:validation:Enum=yes;eval
	AcceptLicenseAgreement string `json:"acceptLicenseAgreement"`

	// Auth names the Secret holding the initial neo4j user's credentials.
	// +optional
	Auth AuthSpec `json:"auth,omitempty"`

	// Resources of every Neo4j container. Heap and page cache are derived
	// from the memory limit unless they are set in config.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Storage of every server: data, and optional logs and backups volumes.
	// +optional
	Storage StorageSpec `json:"storage,omitempty"`

	// Config holds neo4j.conf settings for every server. Settings the
	// operator manages (discovery, advertised and listen addresses, cluster
	// formation) are refused.
	// +optional
	Config Neo4jConfig `json:"config,omitempty"`

	// Primary holds settings that apply to primaries only, on top of the
	// cluster-wide ones.
	// +optional
	Primary RoleSpec `json:"primary,omitempty"`

	// Secondary holds settings that apply to secondaries only, on top of the
	// cluster-wide ones.
	// +optional
	Secondary RoleSpec `json:"secondary,omitempty"`

	// Env adds environment variables to every Neo4j container. Variables the
	// operator sets are refused.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:XValidation:rule="self.all(e, !(e.name in ['NEO4J_AUTH', 'NEO4J_ACCEPT_LICENSE_AGREEMENT', 'NEO4J_EDITION', 'NEO4J_CONF', 'POD_NAME', 'POD_NAMESPACE', 'NEO4J_server_default__advertised__address']))",message="env variables NEO4J_AUTH, NEO4J_ACCEPT_LICENSE_AGREEMENT, NEO4J_EDITION, NEO4J_CONF, POD_NAME, POD_NAMESPACE and NEO4J_server_default__advertised__address are set by the operator"
	Env []corev1.EnvVar `json:"env,omitempty"`

	// Service configures the client Service (bolt, http, https).
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// Scheduling places the server pods. Without an affinity, servers prefer
	// distinct nodes (a soft anti-affinity).
	// +optional
	Scheduling SchedulingSpec `json:"scheduling,omitempty"`

	// PodLabels are added to every server pod.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('neo4j.graphops.dev/') && !k.startsWith('app.kubernetes.io/') && k != 'statefulset.kubernetes.io/pod-name')",message="podLabels may not use the app.kubernetes.io/ or neo4j.graphops.dev/ prefixes, which the operator manages"
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// PodAnnotations are added to every server pod template. Changing them
	// rolls the pods.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('neo4j.graphops.dev/'))",message="podAnnotations may not use the neo4j.graphops.dev/ prefix, which the operator manages"
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// PodSecurityContext replaces the default pod security context (UID,
	// GID and fsGroup 7474, non-root, RuntimeDefault seccomp).
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// ContainerSecurityContext replaces the default container security
	// context (restricted: no privilege escalation, all capabilities dropped).
	// +optional
	ContainerSecurityContext *corev1.SecurityContext `json:"containerSecurityContext,omitempty"`

	// PodDisruptionBudget limits voluntary disruptions per role.
	// +optional
	PodDisruptionBudget PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`

	// TerminationGracePeriodSeconds gives a server time to checkpoint and
	// leave the cluster cleanly. The Helm chart uses an hour.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=30
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// ClusterDomain is the Kubernetes cluster's DNS domain, used in the
	// addresses servers advertise.
	// +optional
	// +kubebuilder:default="cluster.local"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ClusterDomain string `json:"clusterDomain,omitempty"`
}

// Topology is how many servers of each role the cluster has.
// +kubebuilder:validation:XValidation:rule="self.primaries >= oldSelf.primaries - 1",message="topology.primaries may decrease by one at a time: remove a primary from Neo4j (DEALLOCATE DATABASES, DROP SERVER) before the next"
type Topology struct {
	// Primaries host the system database and take part in Raft. Use 3 or
	// more (an odd number) for fault tolerance.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=21
	Primaries int32 `json:"primaries"`

	// Secondaries are read replicas. They scale on their own and never
	// change the primaries.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Secondaries int32 `json:"secondaries,omitempty"`
}

// ImageSpec is the Neo4j Enterprise image.
// +kubebuilder:validation:XValidation:rule="self.tag.matches('^(5\\\\.(2[6-9]|[3-9][0-9])|20[2-9][0-9]\\\\.[0-9]+)')",message="image.tag must name Neo4j 5.26 or later, or a CalVer 2025.x or later release, for example 2025.10.1-enterprise"
type ImageSpec struct {
	// Repository of the image.
	// +optional
	// +kubebuilder:default="neo4j"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Repository string `json:"repository,omitempty"`

	// Tag of the image. It names the Neo4j version, which decides a few
	// version-specific settings.
	// +optional
	// +kubebuilder:default="2025.10.1-enterprise"
	// +kubebuilder:validation:MaxLength=128
	Tag string `json:"tag,omitempty"`

	// Digest pins the image, for example sha256:<64 hex digits>. The tag is
	// still required: it names the Neo4j version.
	// +optional
	// +kubebuilder:validation:Pattern=`^sha256:[a-f0-9]{64}$`
	Digest string `json:"digest,omitempty"`

	// PullPolicy of the image.
	// +optional
	// +kubebuilder:default=IfNotPresent
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	PullPolicy corev1.PullPolicy `json:"pullPolicy,omitempty"`

	// PullSecrets for a private registry.
	// +optional
	PullSecrets []corev1.LocalObjectReference `json:"pullSecrets,omitempty"`
}

// AuthSpec points at the credentials of the initial neo4j user.
type AuthSpec struct {
	// SecretName is an existing Secret in the cluster's namespace. When
	// empty, the operator generates "<cluster>-auth" once with a random
	// password and never rotates it.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// SecretKey is the key whose value is "neo4j/<password>", as the Neo4j
	// image expects in NEO4J_AUTH.
	// +optional
	// +kubebuilder:default="NEO4J_AUTH"
	// +kubebuilder:validation:MaxLength=253
	SecretKey string `json:"secretKey,omitempty"`
}

// StorageSpec is the storage of every server.
type StorageSpec struct {
	// Data is the volume holding the databases and transaction logs.
	// +optional
	Data VolumeSpec `json:"data,omitempty"`

	// Logs, when set, keeps server logs on a volume of their own.
	// +optional
	Logs *VolumeSpec `json:"logs,omitempty"`

	// Backups, when set, adds a volume for neo4j-admin backups.
	// +optional
	Backups *VolumeSpec `json:"backups,omitempty"`

	// RetentionPolicy says what happens to the volumes when the cluster is
	// deleted or scaled down. The default keeps them in both cases.
	// +optional
	RetentionPolicy RetentionPolicy `json:"retentionPolicy,omitempty"`
}

// VolumeSpec is a persistent volume claim per server.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.size)).isGreaterThan(quantity('0'))",message="storage size must be greater than zero"
type VolumeSpec struct {
	// Size of the volume. Volume claim templates are immutable in a
	// StatefulSet: a change is reported in a condition, not applied.
	// +optional
	// +kubebuilder:default="10Gi"
	Size *resource.Quantity `json:"size,omitempty"`

	// StorageClassName of the claim; empty uses the cluster's default class.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// RetentionPolicy mirrors the StatefulSet PVC retention policy.
type RetentionPolicy struct {
	// WhenDeleted applies when the cluster is deleted.
	// +optional
	// +kubebuilder:default=Retain
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenDeleted string `json:"whenDeleted,omitempty"`

	// WhenScaled applies to the volumes of servers removed by scaling down.
	// +optional
	// +kubebuilder:default=Retain
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenScaled string `json:"whenScaled,omitempty"`
}

// Neo4jConfig is a set of neo4j.conf settings. Keys must look like
// settings (lower-case words joined by dots); the operator reports a bad
// key in the Degraded condition, since CEL cannot bound a map key's length.
// +kubebuilder:validation:MaxProperties=128
// +kubebuilder:validation:XValidation:rule="!['dbms.cluster.discovery.resolver_type', 'dbms.cluster.discovery.version', 'dbms.kubernetes.label_selector', 'dbms.kubernetes.cluster_domain', 'dbms.kubernetes.discovery.service_port_name', 'dbms.kubernetes.discovery.v2.service_port_name', 'dbms.kubernetes.service_port_name', 'dbms.cluster.endpoints', 'dbms.cluster.discovery.endpoints', 'dbms.cluster.discovery.v2.endpoints', 'dbms.cluster.minimum_initial_system_primaries_count', 'initial.dbms.default_primaries_count', 'initial.dbms.default_secondaries_count', 'initial.server.mode_constraint', 'server.cluster.system_database_mode', 'server.default_advertised_address', 'server.default_listen_address', 'server.bolt.listen_address', 'server.bolt.advertised_address', 'server.http.listen_address', 'server.http.advertised_address', 'server.https.listen_address', 'server.https.advertised_address', 'server.cluster.listen_address', 'server.cluster.advertised_address', 'server.cluster.raft.listen_address', 'server.cluster.raft.advertised_address', 'server.routing.listen_address', 'server.routing.advertised_address', 'server.backup.listen_address', 'server.metrics.prometheus.endpoint', 'server.directories.data', 'server.directories.logs'].exists(k, k in self)",messageExpression="'config key ' + ['dbms.cluster.discovery.resolver_type', 'dbms.cluster.discovery.version', 'dbms.kubernetes.label_selector', 'dbms.kubernetes.cluster_domain', 'dbms.kubernetes.discovery.service_port_name', 'dbms.kubernetes.discovery.v2.service_port_name', 'dbms.kubernetes.service_port_name', 'dbms.cluster.endpoints', 'dbms.cluster.discovery.endpoints', 'dbms.cluster.discovery.v2.endpoints', 'dbms.cluster.minimum_initial_system_primaries_count', 'initial.dbms.default_primaries_count', 'initial.dbms.default_secondaries_count', 'initial.server.mode_constraint', 'server.cluster.system_database_mode', 'server.default_advertised_address', 'server.default_listen_address', 'server.bolt.listen_address', 'server.bolt.advertised_address', 'server.http.listen_address', 'server.http.advertised_address', 'server.https.listen_address', 'server.https.advertised_address', 'server.cluster.listen_address', 'server.cluster.advertised_address', 'server.cluster.raft.listen_address', 'server.cluster.raft.advertised_address', 'server.routing.listen_address', 'server.routing.advertised_address', 'server.backup.listen_address', 'server.metrics.prometheus.endpoint', 'server.directories.data', 'server.directories.logs'].filter(k, k in self)[0] + ' is managed by the operator and cannot be set'"
// +kubebuilder:validation:XValidation:rule="self.all(k, !self[k].contains('\\n') && !self[k].contains('\\r'))",message="config values must be single lines"
type Neo4jConfig map[string]ConfigValue

// ConfigValue is the value of one neo4j.conf setting.
// +kubebuilder:validation:MaxLength=1024
type ConfigValue string

// RoleSpec holds settings for one role (primaries or secondaries).
type RoleSpec struct {
	// Resources replace the cluster-wide resources for this role.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Config is merged over the cluster-wide config for this role.
	// +optional
	Config Neo4jConfig `json:"config,omitempty"`
}

// ServiceSpec configures the client Service.
type ServiceSpec struct {
	// Type of the client Service.
	// +optional
	// +kubebuilder:default=ClusterIP
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	Type corev1.ServiceType `json:"type,omitempty"`

	// Annotations of the client Service, for example for a cloud load
	// balancer.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// LoadBalancerSourceRanges restricts a LoadBalancer Service to these
	// CIDRs.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`
}

// SchedulingSpec places the server pods.
type SchedulingSpec struct {
	// NodeSelector restricts servers to matching nodes.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the server pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity replaces the default soft anti-affinity across nodes.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the server pods.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the server pods.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// PodDisruptionBudgetSpec configures one PodDisruptionBudget per role.
type PodDisruptionBudgetSpec struct {
	// Enabled creates the budgets.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// MaxUnavailable servers of a role during voluntary disruptions.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	MaxUnavailable int32 `json:"maxUnavailable,omitempty"`
}

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
)

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
}

// Neo4jEnterpriseClusterStatus is the observed state of the cluster.
type Neo4jEnterpriseClusterStatus struct {
	// ObservedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase summarises the conditions in one word.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`

	// Conditions: Ready, Progressing and Degraded.
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
}

// Neo4jEnterpriseCluster is a Neo4j Enterprise cluster of primaries and
// optional secondaries.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=n4jc;neo4jcluster,categories=neo4j
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.readyServers`
// +kubebuilder:printcolumn:name="Primaries",type=integer,JSONPath=`.spec.topology.primaries`
// +kubebuilder:printcolumn:name="Secondaries",type=integer,JSONPath=`.spec.topology.secondaries`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.image`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 40",message="metadata.name must be at most 40 characters: it prefixes the names of per-server Services and StatefulSet revisions"
type Neo4jEnterpriseCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Neo4jEnterpriseClusterSpec   `json:"spec"`
	Status Neo4jEnterpriseClusterStatus `json:"status,omitempty"`
}

// Neo4jEnterpriseClusterList is a list of Neo4jEnterpriseCluster.
// +kubebuilder:object:root=true
type Neo4jEnterpriseClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Neo4jEnterpriseCluster `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Neo4jEnterpriseCluster{}, &Neo4jEnterpriseClusterList{})
}

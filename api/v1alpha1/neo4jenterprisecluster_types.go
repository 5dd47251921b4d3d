package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Neo4jEnterpriseCluster kind and the top level of its spec: the
// root object and its list, the spec's fields, and the small pieces with
// no other home (image, auth, LDAP, and the Secret and ConfigMap key
// references that several concerns share). Each concern of the spec has
// a file of its own, neo4jenterprisecluster_<concern>.go; the status is in
// neo4jenterprisecluster_status.go, the CRD rules hack/celgen generates in
// neo4jenterprisecluster_cel.go.

// The fields of Neo4jEnterpriseClusterSpec. The exported name is declared
// in neo4jenterprisecluster_cel.go, which hack/celgen writes, as
// "type Neo4jEnterpriseClusterSpec neo4jEnterpriseClusterSpecFields": the
// CEL rules derived from Go lists must be markers on a declaration of the
// spec's type (controller-gen reads a type's markers from the comments
// above its declaration, in the same file), and a generated file cannot
// hold these hand-written fields. controller-gen merges the two: the
// generated rules come first, then these, as when they were one comment.
// The doc comment below names the exported type because it becomes the
// spec's description in the CRD (the generated declaration has none).

// Neo4jEnterpriseClusterSpec is the desired state of a Neo4j Enterprise
// cluster. Its shape follows the official Neo4j Helm chart where that makes
// sense, so a chart user finds familiar names.
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || self.databases.all(d, !has(d.topology) || !has(d.topology.primaries) || d.topology.primaries <= self.topology.primaries)",message="a database in spec.databases has more primaries than topology.primaries: each primary copy needs its own primary server"
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || self.databases.all(d, !has(d.topology) || ((has(d.topology.primaries) ? d.topology.primaries : (self.topology.primaries < 3 ? self.topology.primaries : 3)) + (has(d.topology.secondaries) ? d.topology.secondaries : 0) <= self.topology.primaries + (has(self.topology.secondaries) ? self.topology.secondaries : 0)))",message="a database in spec.databases has more copies (primaries + secondaries) than the cluster has servers: each copy needs its own server"
// +kubebuilder:validation:XValidation:rule="!has(self.databases) || self.databases.all(d, !has(d.seedFrom) || d.name != 'neo4j')",message="the neo4j database exists from the cluster's first start and cannot be seeded: seed another database, or restore it with spec.bootstrap.fromBackup when creating the cluster"
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrap) || (has(oldSelf.bootstrap) && self.bootstrap == oldSelf.bootstrap)",message="spec.bootstrap can only be set when the cluster is created, and cannot change; it can be removed once status.bootstrap says Restored"
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrap) || !has(self.databases) || self.databases.all(d, !has(d.seedFrom) || !self.bootstrap.fromBackup.exists(r, r.database == d.name))",message="a database is restored either by spec.bootstrap.fromBackup or by its seedFrom, not both"
// +kubebuilder:validation:XValidation:rule="!has(self.service) || !has(self.service.loadBalancerSourceRanges) || size(self.service.loadBalancerSourceRanges) == 0 || self.service.type == 'LoadBalancer'",message="service.loadBalancerSourceRanges is only allowed with service.type LoadBalancer"
// +kubebuilder:validation:XValidation:rule="!has(self.plugins) || size(self.plugins) == 0 || !has(self.env) || !self.env.exists(e, e.name in ['NEO4J_PLUGINS', 'NEO4JLABS_PLUGINS', 'NEO4J_dbms_security_procedures_unrestricted', 'NEO4J_dbms_security_procedures_allowlist'])",message="with spec.plugins, the env variables NEO4J_PLUGINS and NEO4J_dbms_security_procedures_* are the operator's: list plugins in spec.plugins and extend procedures in spec.procedures"
// +kubebuilder:validation:XValidation:rule="!has(self.plugins) || size(self.plugins) == 0 || ((has(self.config) ? [self.config] : []) + (has(self.primary) && has(self.primary.config) ? [self.primary.config] : []) + (has(self.secondary) && has(self.secondary.config) ? [self.secondary.config] : [])).all(m, !['dbms.security.procedures.unrestricted', 'dbms.security.procedures.allowlist'].exists(k, k in m))",message="with spec.plugins, extend the procedure settings in spec.procedures (unrestricted, allowlist), not in config: the operator derives them from the plugins"
// +kubebuilder:validation:XValidation:rule="!has(self.ldap) || !has(self.ldap.systemPasswordSecret) || !has(self.env) || !self.env.exists(e, e.name == 'NEO4J_dbms_security_ldap_authorization_system__password')",message="with spec.ldap.systemPasswordSecret, the operator sets the LDAP system password: remove NEO4J_dbms_security_ldap_authorization_system__password from env"
// +kubebuilder:validation:XValidation:rule="!has(self.plugins) || !self.plugins.exists(p, p.name == 'n10s' && !has(p.image)) || (has(self.image) && has(self.image.tag) && self.image.tag.startsWith('5.'))",message="the Neo4j image installs n10s on 5.x only (its neo4j-plugins.json); on CalVer give plugins[].image"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.tls.backup) || (has(self.backup) && has(self.backup.enabled) && self.backup.enabled)",message="spec.tls.backup needs spec.backup.enabled: the backup port is closed otherwise"
type neo4jEnterpriseClusterSpecFields struct {
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

	// Resources of every Neo4j container. Left empty, each server gets
	// 1 CPU and 2Gi of memory with requests equal to limits (Guaranteed
	// QoS), as the Helm chart does; 2Gi is the Operations Manual's minimum
	// for a Neo4j instance.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Memory sizes the JVM heap and the page cache of every server. Unset
	// sizes are derived from the memory limit (or, without one, the memory
	// request): 1Gi is left to the JVM's
	// native memory and the operating system, as the Operations Manual
	// advises on Kubernetes, and the rest goes to whichever is unset (half
	// each when both are).
	// +optional
	Memory MemorySpec `json:"memory,omitempty"`

	// JVM arguments of every server.
	// +optional
	JVM JVMSpec `json:"jvm,omitempty"`

	// Storage of every server: data, and optional logs and backups volumes.
	// +optional
	Storage StorageSpec `json:"storage,omitempty"`

	// Config holds neo4j.conf settings for every server. Names are checked
	// against the Operations Manual's settings reference for the image's
	// Neo4j version, because Neo4j refuses to start on an unknown one.
	// Settings the operator manages (discovery, addresses, directories,
	// memory, JVM arguments) are refused, and so are apoc.* settings, which
	// belong in apocConfig.
	// +optional
	Config Neo4jConfig `json:"config,omitempty"`

	// APOCConfig holds apoc.* settings, rendered to apoc.conf, where APOC
	// reads them (neo4j.conf refuses them under strict validation).
	// +optional
	APOCConfig APOCConfig `json:"apocConfig,omitempty"`

	// Primary holds settings that apply to primaries only, on top of the
	// cluster-wide ones.
	// +optional
	Primary RoleSpec `json:"primary,omitempty"`

	// Secondary holds settings that apply to secondaries only, on top of the
	// cluster-wide ones.
	// +optional
	Secondary RoleSpec `json:"secondary,omitempty"`

	// Env adds environment variables to every Neo4j container. Variables the
	// operator sets, and NEO4J_* variables of settings it manages, are
	// refused; other NEO4J_* variables become settings (NEO4J_ prefix, "_"
	// for ".", "__" for "_") and their names are checked like config keys.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
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

	// Databases are the databases whose topology the operator keeps: each
	// is created if missing and altered (ALTER DATABASE ... SET TOPOLOGY)
	// when its topology differs. The neo4j database is included by
	// default. A database missing from the list is never dropped, nor
	// altered: status.databases reports it as not declared.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	Databases []DatabaseSpec `json:"databases,omitempty"`

	// ReallocateOnScaleOut runs REALLOCATE DATABASES once the servers a
	// scale-out added are enabled and Available, so existing databases
	// spread onto them. Off by default: on a large cluster it moves many
	// allocations at once (Operations Manual, "Managing databases in a
	// cluster").
	// +optional
	ReallocateOnScaleOut bool `json:"reallocateOnScaleOut,omitempty"`

	// ClusterDomain is the Kubernetes cluster's DNS domain, used in the
	// addresses servers advertise.
	// +optional
	// +kubebuilder:default="cluster.local"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// TLS encrypts Bolt, HTTPS and the traffic between servers, each with
	// a certificate of its own. Certificates are reloaded in place when
	// their Secret changes, on Neo4j releases that can (2025.03 and
	// later): no restart, no new revision.
	// +optional
	TLS TLSSpec `json:"tls,omitempty"`

	// Monitoring makes the servers' Prometheus metrics (port 2004, always
	// on, behind the <cluster>-metrics Service) known to a Prometheus
	// Operator, with a ServiceMonitor or a PodMonitor.
	// +optional
	Monitoring MonitoringSpec `json:"monitoring,omitempty"`

	// Plugins the servers load. Those without an image are installed by
	// the Neo4j image at startup (its NEO4J_PLUGINS): apoc,
	// graph-data-science, bloom, genai and fleet-management are copied from
	// inside the image, apoc-extended and n10s are downloaded. A plugin
	// with an image comes from that OCI image instead, which works
	// air-gapped. The procedure settings each needs are derived (see
	// procedures).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Plugins []PluginSpec `json:"plugins,omitempty"`

	// Procedures extends the procedure settings derived from plugins.
	// +optional
	Procedures ProceduresSpec `json:"procedures,omitempty"`

	// AdditionalVolumes are added to every server pod, for
	// additionalVolumeMounts, initContainers and sidecars to use. Names
	// the operator uses (conf, auth, data, logs, backups, import,
	// plugins, licenses, and those starting with tls- or plugin-) are
	// refused.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(v, !(v.name in ['conf', 'auth', 'data', 'logs', 'backups', 'import', 'plugins', 'licenses', 'ldap-password']) && !v.name.startsWith('tls-') && !v.name.startsWith('plugin-'))",message="additionalVolumes may not use the names the operator uses: conf, auth, data, logs, backups, import, plugins, licenses, ldap-password, tls-*, plugin-*"
	AdditionalVolumes []corev1.Volume `json:"additionalVolumes,omitempty"`

	// AdditionalVolumeMounts are added to the Neo4j container. Folders the
	// operator mounts (/conf, /auth, /data, /logs, /backups, /import,
	// /plugins, /licenses and /var/lib/neo4j/certificates) are refused.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(m, !(m.mountPath in ['/conf', '/auth', '/data', '/logs', '/backups', '/import', '/plugins', '/licenses', '/ldap']) && !m.mountPath.startsWith('/var/lib/neo4j/certificates'))",message="additionalVolumeMounts may not mount over /conf, /auth, /data, /logs, /backups, /import, /plugins, /licenses, /ldap or /var/lib/neo4j/certificates, which the operator mounts"
	AdditionalVolumeMounts []corev1.VolumeMount `json:"additionalVolumeMounts,omitempty"`

	// InitContainers run before Neo4j in every server pod, after the
	// operator's own (plugin copies). A native sidecar is an init
	// container with restartPolicy: Always.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.name != 'neo4j' && !c.name.startsWith('plugin-'))",message="initContainers may not be named neo4j or plugin-*, which the operator uses"
	InitContainers []corev1.Container `json:"initContainers,omitempty"`

	// Sidecars run beside Neo4j in every server pod, after it.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.name != 'neo4j' && !c.name.startsWith('plugin-'))",message="sidecars may not be named neo4j or plugin-*, which the operator uses"
	Sidecars []corev1.Container `json:"sidecars,omitempty"`

	// LDAP holds the LDAP system account's password, when Neo4j's LDAP
	// authorization uses one (dbms.security.ldap.authorization.*).
	// +optional
	LDAP LDAPSpec `json:"ldap,omitempty"`

	// Logging configures the log4j files the servers read at startup.
	// +optional
	Logging LoggingSpec `json:"logging,omitempty"`

	// Backup opens each server's backup port to the operator's backup
	// Jobs (Neo4jBackup, Neo4jBackupSchedule).
	// +optional
	Backup BackupSpec `json:"backup,omitempty"`

	// Bootstrap is where a new cluster's data comes from. It can only be
	// set when the cluster is created.
	// +optional
	Bootstrap *BootstrapSpec `json:"bootstrap,omitempty"`
}

// Neo4jEnterpriseCluster is a Neo4j Enterprise cluster of primaries and
// optional secondaries.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=n4jc;neo4jcluster,categories=neo4j
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.readyServers`
// +kubebuilder:printcolumn:name="Neo4j",type=string,JSONPath=`.status.conditions[?(@.type=="ServersHealthy")].reason`
// +kubebuilder:printcolumn:name="Scaling",type=string,JSONPath=`.status.scaling.step`
// +kubebuilder:printcolumn:name="Rolling",type=string,JSONPath=`.status.rollout.pod`
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

// ImageSpec is the Neo4j Enterprise image.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.tag) || !has(self.tag) || self.tag == oldSelf.tag || (has(self.allowDowngrade) && self.allowDowngrade) || !self.tag.matches('^[0-9]+(\\\\.[0-9]+)*-') || !oldSelf.tag.matches('^[0-9]+(\\\\.[0-9]+)*-') || ((size(self.tag.split('-')[0].split('.')) > 0 ? int(self.tag.split('-')[0].split('.')[0]) : 0) > (size(oldSelf.tag.split('-')[0].split('.')) > 0 ? int(oldSelf.tag.split('-')[0].split('.')[0]) : 0) || ((size(self.tag.split('-')[0].split('.')) > 0 ? int(self.tag.split('-')[0].split('.')[0]) : 0) == (size(oldSelf.tag.split('-')[0].split('.')) > 0 ? int(oldSelf.tag.split('-')[0].split('.')[0]) : 0) && ((size(self.tag.split('-')[0].split('.')) > 1 ? int(self.tag.split('-')[0].split('.')[1]) : 0) > (size(oldSelf.tag.split('-')[0].split('.')) > 1 ? int(oldSelf.tag.split('-')[0].split('.')[1]) : 0) || ((size(self.tag.split('-')[0].split('.')) > 1 ? int(self.tag.split('-')[0].split('.')[1]) : 0) == (size(oldSelf.tag.split('-')[0].split('.')) > 1 ? int(oldSelf.tag.split('-')[0].split('.')[1]) : 0) && (size(self.tag.split('-')[0].split('.')) > 2 ? int(self.tag.split('-')[0].split('.')[2]) : 0) >= (size(oldSelf.tag.split('-')[0].split('.')) > 2 ? int(oldSelf.tag.split('-')[0].split('.')[2]) : 0)))))",messageExpression="'image.tag may not go from ' + oldSelf.tag + ' back to ' + self.tag + ': Neo4j does not support downgrades (it upgrades its stores on startup; Upgrade and Migration Guide). Restore a backup taken before the upgrade into a new cluster, or, if no server ever started on the newer version, set image.allowDowngrade'"
// +kubebuilder:validation:XValidation:rule="self.tag.matches('^[0-9.]+-enterprise(-[a-z0-9]+)*$')",message="image.tag must be an Enterprise tag such as 2025.10.1-enterprise or 5.26.12-enterprise: on the official neo4j repository, tags without -enterprise are Community Edition images"
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

	// AllowDowngrade lets tag name an older Neo4j than before. Neo4j does
	// not support downgrades (it upgrades its stores on startup): this is
	// only for backing out of an upgrade whose servers never started on
	// the newer version. Set it with the change, then remove it.
	// +optional
	AllowDowngrade bool `json:"allowDowngrade,omitempty"`
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

// LDAPSpec is the LDAP system account's password.
type LDAPSpec struct {
	// SystemPasswordSecret holds dbms.security.ldap.authorization.
	// system_password. It is mounted as a file and read by the image's
	// entrypoint (its NEO4J_*_FILE variables): the password is never in
	// the pod spec nor in the operator's ConfigMaps.
	// +optional
	SystemPasswordSecret *SecretKeyRef `json:"systemPasswordSecret,omitempty"`
}

// SecretKeyRef names one key of a Secret in the cluster's namespace.
type SecretKeyRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// ConfigMapKeyRef names one key of a ConfigMap in the cluster's namespace.
type ConfigMapKeyRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

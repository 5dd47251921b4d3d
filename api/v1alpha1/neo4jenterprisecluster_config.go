package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// What the servers read at startup: neo4j.conf settings (spec.config),
// apoc.conf (spec.apocConfig), the heap and page cache (spec.memory), the
// JVM arguments (spec.jvm) and the log4j files (spec.logging). The
// environment (spec.env) is a list of corev1.EnvVar, with no type here;
// the names it may not use are in keys.go.

// The map under Neo4jConfig. The exported name is declared in
// neo4jenterprisecluster_cel.go, with the rules hack/celgen derives from
// the lists of settings the operator owns (keys.go), for the reason given
// at neo4jEnterpriseClusterSpecFields.

// Neo4jConfig is a set of neo4j.conf settings. The names a Neo4j version
// accepts are checked where the version is known, on the spec.
// +kubebuilder:validation:MaxProperties=128
// +kubebuilder:validation:XValidation:rule="self.all(k, !self[k].contains('\\n') && !self[k].contains('\\r'))",message="config values must be single lines"
type neo4jConfigFields map[string]ConfigValue

// ConfigValue is the value of one neo4j.conf setting.
// +kubebuilder:validation:MaxLength=1024
type ConfigValue string

// APOCConfig is a set of apoc.conf settings.
// +kubebuilder:validation:MaxProperties=128
// +kubebuilder:validation:XValidation:rule="self.all(k, k.startsWith('apoc.'))",message="apocConfig keys must start with apoc."
// +kubebuilder:validation:XValidation:rule="self.all(k, !self[k].contains('\\n') && !self[k].contains('\\r'))",message="apocConfig values must be single lines"
type APOCConfig map[string]ConfigValue

// MemorySpec sizes a server's JVM heap and page cache. Heap and page cache
// plus 1Gi of headroom must fit within the memory limit (or, without a
// limit, the request); an unset size counts as 256Mi there, the least it
// is derived to. A derived heap stops at 31Gi, below the 32GB where the
// JVM loses compressed pointers; the rest goes to the page cache.
type MemorySpec struct {
	// Heap is the JVM heap. Initial and maximum size are both set to it, as
	// the Operations Manual recommends.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('256Mi')) >= 0",message="memory.heap must be at least 256Mi (in Kubernetes quantities m means milli: write 512Mi, not 512m)"
	Heap *resource.Quantity `json:"heap,omitempty"`

	// PageCache caches the store files in memory.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('256Mi')) >= 0",message="memory.pageCache must be at least 256Mi (in Kubernetes quantities m means milli: write 512Mi, not 512m)"
	PageCache *resource.Quantity `json:"pageCache,omitempty"`
}

// JVMSpec are the servers' JVM arguments, rendered as one
// server.jvm.additional line each.
type JVMSpec struct {
	// UseDefaultArguments keeps the JVM arguments of the default neo4j.conf
	// shipped with the image's Neo4j version (Operations Manual, "The
	// neo4j.conf file"). The operator renders them itself: the image drops
	// its own neo4j.conf when the configuration is mounted.
	// +optional
	// +kubebuilder:default=true
	UseDefaultArguments *bool `json:"useDefaultArguments,omitempty"`

	// AdditionalArguments come after the defaults, in this order.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.all(a, a.startsWith('-') && !a.contains('\\n') && !a.contains('\\r'))",message="jvm.additionalArguments must each start with - and be a single line"
	AdditionalArguments []string `json:"additionalArguments,omitempty"`
}

// LoggingSpec configures server-logs.xml (debug, query, HTTP and security
// logs) and user-logs.xml (neo4j.log and the console). A change restarts
// the servers, one at a time: the image reads them at start.
// +kubebuilder:validation:XValidation:rule="!(has(self.serverLogsXML) && has(self.serverLogsConfigMap))",message="set serverLogsXML or serverLogsConfigMap, not both"
// +kubebuilder:validation:XValidation:rule="!(has(self.userLogsXML) && has(self.userLogsConfigMap))",message="set userLogsXML or userLogsConfigMap, not both"
type LoggingSpec struct {
	// JSON writes the logs the operator renders as JSON, with the layouts
	// the Operations Manual documents: StructuredLayoutWithMessage.json
	// for debug.log, http.log, security.log and neo4j.log,
	// QueryLogJsonLayout.json for query.log. The console stays text. On
	// CalVer, debug.log is JSON either way (its default since 2025.01).
	// +optional
	JSON bool `json:"json,omitempty"`

	// ServerLogsXML replaces server-logs.xml.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	ServerLogsXML string `json:"serverLogsXML,omitempty"`

	// UserLogsXML replaces user-logs.xml.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	UserLogsXML string `json:"userLogsXML,omitempty"`

	// ServerLogsConfigMap takes server-logs.xml from a key of your
	// ConfigMap. Its changes apply when the servers restart (set the
	// restartedAt annotation): the operator does not read it.
	// +optional
	ServerLogsConfigMap *ConfigMapKeyRef `json:"serverLogsConfigMap,omitempty"`

	// UserLogsConfigMap takes user-logs.xml from a key of your ConfigMap,
	// like serverLogsConfigMap.
	// +optional
	UserLogsConfigMap *ConfigMapKeyRef `json:"userLogsConfigMap,omitempty"`
}

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BuiltinRoles are the roles every Neo4j Enterprise DBMS has (Operations
// Manual 5.x, authentication-authorization/built-in-roles.adoc). A
// Neo4jRole cannot redefine them; Neo4jUsers grant them, and a Neo4jRole
// may start as a copy of one.
var BuiltinRoles = []string{"PUBLIC", "reader", "editor", "publisher", "architect", "admin"}

// Neo4jRoleSpec is one role of a cluster's DBMS and its privileges.
type Neo4jRoleSpec struct {
	// ClusterRef is the cluster, in this namespace, the role belongs to.
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Cluster"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterRef cannot change: create a Neo4jRole for the other cluster"
	ClusterRef ClusterReference `json:"clusterRef"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Role name"
	// Name of the role in Neo4j: an ASCII letter, then letters, digits
	// and underscores (manage-roles.adoc); case sensitive. It cannot
	// change.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="name is immutable: create another Neo4jRole to rename a role"
	// +kubebuilder:validation:XValidation:rule="!(self in ['PUBLIC', 'reader', 'editor', 'publisher', 'architect', 'admin'])",message="a built-in role (PUBLIC, reader, editor, publisher, architect, admin) cannot be redefined; grant it to users, or start a new role from it with copyOf"
	Name string `json:"name"`

	// CopyOf is a built-in role the role starts from when it is created
	// (CREATE ROLE … AS COPY OF): its privileges are copied once, and
	// count as declared.
	// +optional
	// +kubebuilder:validation:Enum=PUBLIC;reader;editor;publisher;architect;admin
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="copyOf applies when the role is created and cannot change"
	CopyOf string `json:"copyOf,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Privileges"
	// Privileges the role has, beyond those of copyOf.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	// +listType=atomic
	Privileges []Privilege `json:"privileges,omitempty"`

	// Enforce removes privileges of the role that are not declared (added
	// by hand in Cypher). Without it they are reported as drift (the
	// Synced condition and an Event) and left alone.
	// +optional
	Enforce bool `json:"enforce,omitempty"`

	// DeletionPolicy: Retain (default) leaves the role in Neo4j when this
	// object is deleted; Delete drops it.
	// +optional
	// +kubebuilder:default=Retain
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// PrivilegeAccess is GRANT or DENY.
// +kubebuilder:validation:Enum=GRANT;DENY
type PrivilegeAccess string

// Privilege accesses.
const (
	Grant PrivilegeAccess = "GRANT"
	Deny  PrivilegeAccess = "DENY"
)

// Privilege is one privilege in the manual's syntax (authentication-
// authorization/manage-privileges.adoc, privileges-reads.adoc,
// privileges-writes.adoc, database-administration.adoc):
//
//	GRANT|DENY <action> [{properties}] ON GRAPH <graph> [NODE|RELATIONSHIP <names>] TO role
//	GRANT|DENY <action> ON DATABASE <database> TO role
//
// +kubebuilder:validation:XValidation:rule="self.action in ['ACCESS', 'START', 'STOP', 'INDEX MANAGEMENT', 'CONSTRAINT MANAGEMENT', 'NAME MANAGEMENT', 'SHOW INDEX', 'SHOW CONSTRAINT', 'ALL DATABASE PRIVILEGES'] ? (has(self.database) && !has(self.graph)) : (has(self.graph) && !has(self.database))",message="a database privilege (ACCESS, START, STOP, ... MANAGEMENT, SHOW ..., ALL DATABASE PRIVILEGES) takes database; a graph privilege takes graph"
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || self.action in ['READ', 'MATCH', 'SET PROPERTY', 'MERGE']",message="properties apply to READ, MATCH, SET PROPERTY and MERGE only"
// +kubebuilder:validation:XValidation:rule="!(self.action in ['READ', 'MATCH', 'SET PROPERTY', 'MERGE']) || (has(self.properties) && size(self.properties) > 0)",message="READ, MATCH, SET PROPERTY and MERGE need properties (* for all)"
// +kubebuilder:validation:XValidation:rule="!has(self.labels) || self.action in ['SET LABEL', 'REMOVE LABEL']",message="labels apply to SET LABEL and REMOVE LABEL only"
// +kubebuilder:validation:XValidation:rule="!(self.action in ['SET LABEL', 'REMOVE LABEL']) || (has(self.labels) && size(self.labels) > 0)",message="SET LABEL and REMOVE LABEL need labels (* for all)"
// +kubebuilder:validation:XValidation:rule="!(has(self.nodes) || has(self.relationships)) || self.action in ['TRAVERSE', 'READ', 'MATCH', 'CREATE', 'DELETE', 'SET PROPERTY', 'MERGE']",message="nodes and relationships apply to TRAVERSE, READ, MATCH, CREATE, DELETE, SET PROPERTY and MERGE only"
// +kubebuilder:validation:XValidation:rule="!(self.access == 'DENY' && self.action == 'MERGE')",message="MERGE cannot be denied (privileges-writes.adoc): deny CREATE or SET PROPERTY instead"
type Privilege struct {
	// Access is GRANT (default) or DENY. A DENY wins over any GRANT.
	// +optional
	// +kubebuilder:default=GRANT
	Access PrivilegeAccess `json:"access,omitempty"`

	// Action, as the manual names it.
	// +kubebuilder:validation:Enum=TRAVERSE;READ;MATCH;WRITE;CREATE;DELETE;SET LABEL;REMOVE LABEL;SET PROPERTY;MERGE;ALL GRAPH PRIVILEGES;ACCESS;START;STOP;INDEX MANAGEMENT;CONSTRAINT MANAGEMENT;NAME MANAGEMENT;SHOW INDEX;SHOW CONSTRAINT;ALL DATABASE PRIVILEGES
	Action string `json:"action"`

	// Graph a graph privilege applies to: a database name, or * for all.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^(\*|[a-z][a-z0-9.-]*)$`
	Graph string `json:"graph,omitempty"`

	// Database a database privilege applies to: a name, * for all, or
	// HOME for each user's home database.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^(\*|HOME|[a-z][a-z0-9.-]*)$`
	Database string `json:"database,omitempty"`

	// Nodes limits a graph privilege to nodes with these labels (* for
	// every node). With neither nodes nor relationships it applies to
	// every element.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^(\*|[A-Za-z_][A-Za-z0-9_]*)$`
	Nodes []string `json:"nodes,omitempty"`

	// Relationships limits a graph privilege to relationships of these
	// types (* for every relationship).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^(\*|[A-Za-z_][A-Za-z0-9_]*)$`
	Relationships []string `json:"relationships,omitempty"`

	// Properties of READ, MATCH, SET PROPERTY and MERGE (* for all).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^(\*|[A-Za-z_][A-Za-z0-9_]*)$`
	Properties []string `json:"properties,omitempty"`

	// Labels of SET LABEL and REMOVE LABEL (* for all).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^(\*|[A-Za-z_][A-Za-z0-9_]*)$`
	Labels []string `json:"labels,omitempty"`
}

// Neo4jRoleStatus is what the operator last did and saw.
type Neo4jRoleStatus struct {
	AccessStatus `json:",inline"`

	// Privileges are the role's privileges in Neo4j as last read, in the
	// manual's command form (SHOW ROLE … PRIVILEGES AS COMMANDS), sorted.
	// +optional
	// +listType=atomic
	Privileges []string `json:"privileges,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Drift"
	// Drift are privileges the role has in Neo4j that are not declared
	// (removed when spec.enforce is set).
	// +optional
	// +listType=atomic
	Drift []string `json:"drift,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +operator-sdk:csv:customresourcedefinitions:displayName="Neo4j Role",resources={{Secret,v1}}
// +kubebuilder:resource:shortName=n4jr,categories=neo4j
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterRef.name`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Neo4jRole is a role of a Neo4jEnterpriseCluster's DBMS and its
// privileges.
type Neo4jRole struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Neo4jRoleSpec   `json:"spec"`
	Status Neo4jRoleStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// Neo4jRoleList is a list of Neo4jRoles.
type Neo4jRoleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Neo4jRole `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Neo4jRole{}, &Neo4jRoleList{})
}

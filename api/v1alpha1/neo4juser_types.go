package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Declarative access: a Neo4jUser is one user of a cluster's DBMS, a
// Neo4jRole one role and its privileges. They are kinds of their own, not
// lists in the cluster, so that a platform team can let application teams
// manage their users through Kubernetes RBAC. Neo4j keeps users and roles
// in its system database (Operations Manual 5.x,
// authentication-authorization/index.adoc); the operator reads them with
// SHOW USERS, SHOW ROLES and SHOW ROLE … PRIVILEGES AS COMMANDS and sends
// only the difference (internal/access).

// ClusterReference names a Neo4jEnterpriseCluster in the object's
// namespace.
type ClusterReference struct {
	// Name of the cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`
}

// DeletionPolicy says what deleting the Kubernetes object does in Neo4j.
// +kubebuilder:validation:Enum=Retain;Delete
type DeletionPolicy string

// Deletion policies.
const (
	// DeletionRetain leaves the user or role in Neo4j: deleting the object
	// only stops managing it.
	DeletionRetain DeletionPolicy = "Retain"
	// DeletionDelete drops the user or role from Neo4j.
	DeletionDelete DeletionPolicy = "Delete"
)

// BuiltinUser is the user the image creates from NEO4J_AUTH: the cluster's
// spec.auth Secret manages it, never a Neo4jUser.
const BuiltinUser = "neo4j"

// Neo4jUserSpec is one user of a cluster's DBMS.
// +kubebuilder:validation:XValidation:rule="has(self.passwordSecretRef) || (has(self.auth) && size(self.auth) > 0)",message="a user needs passwordSecretRef or at least one auth provider: Neo4j refuses a user with no way to log in"
type Neo4jUserSpec struct {
	// ClusterRef is the cluster, in this namespace, the user belongs to.
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Cluster"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterRef cannot change: create a Neo4jUser for the other cluster"
	ClusterRef ClusterReference `json:"clusterRef"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Username"
	// Username in Neo4j (case sensitive). It cannot change: Neo4j's
	// RENAME USER needs native authentication only, and a rename is a new
	// user to every client that logs in.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_.@-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="username is immutable: create another Neo4jUser (and delete this one) to rename a user"
	// +kubebuilder:validation:XValidation:rule="self != 'neo4j'",message="neo4j is the cluster's built-in admin user, managed by the cluster's spec.auth Secret (docs/security.md)"
	Username string `json:"username"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Password Secret"
	// PasswordSecretRef is the Secret key holding the password (native
	// authentication). A change of the Secret sets the new password
	// within one reconcile; the value never leaves the Secret except as a
	// Cypher parameter. Neo4j needs at least 8 characters by default
	// (dbms.security.auth_minimum_password_length).
	// +optional
	PasswordSecretRef *SecretKeyRef `json:"passwordSecretRef,omitempty"`

	// Auth are external identity providers the user logs in with (SET
	// AUTH, Neo4j 5.24 and later): an LDAP or OIDC provider and the user's
	// id there. They take effect with dbms.security.require_local_user.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=provider
	Auth []UserAuthProvider `json:"auth,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Roles"
	// Roles granted to the user, built-in ones (reader, editor, publisher,
	// architect, admin) or roles of Neo4jRoles. PUBLIC is every user's and
	// is not listed.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z][A-Za-z0-9_]*$`
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="!self.exists(r, r == 'PUBLIC')",message="PUBLIC is granted to every user and cannot be listed"
	Roles []string `json:"roles,omitempty"`

	// Suspended users cannot log in with their password and lose their
	// roles while suspended (SET STATUS SUSPENDED).
	// +optional
	Suspended bool `json:"suspended,omitempty"`

	// HomeDatabase is the database the user's sessions use when they name
	// none (the DBMS default otherwise).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9.-]*$`
	HomeDatabase string `json:"homeDatabase,omitempty"`

	// ChangeRequired makes the user change the password at the next login
	// (SET PASSWORD CHANGE REQUIRED). Default false: the password is the
	// Secret's.
	// +optional
	ChangeRequired bool `json:"changeRequired,omitempty"`

	// DeletionPolicy: Retain (default) leaves the user in Neo4j when this
	// object is deleted; Delete drops it.
	// +optional
	// +kubebuilder:default=Retain
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// UserAuthProvider is an external identity provider and the user's id
// there.
type UserAuthProvider struct {
	// Provider as Neo4j names it: ldap, or oidc-<name> of an OIDC provider
	// configured in dbms.security.oidc.<name>.*.
	// +kubebuilder:validation:Pattern=`^(ldap|oidc-[A-Za-z0-9_-]+)$`
	// +kubebuilder:validation:MaxLength=64
	Provider string `json:"provider"`
	// ID is the user's unique id in that provider.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ID string `json:"id"`
}

// Access condition types, for Neo4jUser and Neo4jRole.
const (
	// ConditionSynced: Neo4j matches the spec.
	ConditionSynced = "Synced"
)

// AccessStatus is what a Neo4jUser's or Neo4jRole's status shares.
type AccessStatus struct {
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Conditions",xDescriptors={"urn:alm:descriptor:io.kubernetes.conditions"}
	// Conditions: Ready (exists in Neo4j as specified), Synced (the last
	// reconcile left Neo4j as specified; False says why not: waiting for a
	// roll, a missing Secret, a role Neo4j does not have, a conflict) and
	// Degraded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Neo4jUserStatus is what the operator last did and saw.
type Neo4jUserStatus struct {
	AccessStatus `json:",inline"`

	// ObservedPasswordVersion identifies the Secret content last set as
	// the password: a hash of the Secret's UID, resourceVersion and key,
	// never of the password.
	// +optional
	ObservedPasswordVersion string `json:"observedPasswordVersion,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +operator-sdk:csv:customresourcedefinitions:displayName="Neo4j User",resources={{Secret,v1}}
// +kubebuilder:resource:shortName=n4ju,categories=neo4j
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterRef.name`
// +kubebuilder:printcolumn:name="Username",type=string,JSONPath=`.spec.username`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Neo4jUser is a user of a Neo4jEnterpriseCluster's DBMS.
type Neo4jUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Neo4jUserSpec   `json:"spec"`
	Status Neo4jUserStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// Neo4jUserList is a list of Neo4jUsers.
type Neo4jUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Neo4jUser `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Neo4jUser{}, &Neo4jUserList{})
}

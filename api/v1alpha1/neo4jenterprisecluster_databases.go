package v1alpha1

// The databases the operator keeps (spec.databases): their topology, and
// where a new database's data comes from (seedFrom), and the restore of
// a lost cluster's databases into a new one (spec.bootstrap).

// DatabaseSpec is a database the operator creates and keeps at its
// topology.
type DatabaseSpec struct {
	// Name of the database, as Neo4j names databases (lowercase letters,
	// digits, dots and dashes; starting with a letter). system cannot be
	// listed: its topology is the servers themselves.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9.-]*[a-z0-9]$`
	// +kubebuilder:validation:XValidation:rule="self != 'system'",message="the system database cannot be listed: every server hosts it, primaries as primaries"
	Name string `json:"name"`

	// Topology of the database. Unset counts follow the cluster:
	// min(3, topology.primaries) primaries, and one secondary copy on
	// every secondary server.
	// +optional
	Topology DatabaseTopology `json:"topology,omitempty"`

	// SeedFrom creates the database from a backup or dump instead of
	// empty (CREATE DATABASE ... OPTIONS {seedURI: ...}). It is read only
	// when the database is created: an existing database is never
	// replaced.
	// +optional
	SeedFrom *SeedSource `json:"seedFrom,omitempty"`
}

// DatabaseTopology is how many copies of a database each role hosts.
type DatabaseTopology struct {
	// Primaries host the database in Raft. Neo4j cannot move an existing
	// database to one primary automatically.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=11
	Primaries *int32 `json:"primaries,omitempty"`

	// Secondaries host read-only copies: at most 20 (Operations Manual,
	// clustering/introduction.adoc). Unset: one on every secondary server,
	// up to 20.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	Secondaries *int32 `json:"secondaries,omitempty"`
}

// SeedSource is where a database's first data comes from: exactly one
// of a URI and a Neo4jBackup.
// +kubebuilder:validation:XValidation:rule="has(self.uri) != has(self.backup)",message="seedFrom needs exactly one of uri and backup"
type SeedSource struct {
	// URI of a backup artefact or dump (s3://, gs://, azb://; file:,
	// http(s): and ftp: need their seed provider in
	// dbms.databases.seed_from_uri_providers). The servers read it with
	// their own credentials.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^(s3|gs|azb|file|https?|ftp)://`
	URI string `json:"uri,omitempty"`

	// Backup is a completed Neo4jBackup in the cluster's namespace with a
	// cloud target and a PerBackup folder: the database's artefact in its
	// folder is the seed.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Backup string `json:"backup,omitempty"`

	// Config is the seedConfig option (for example region=eu-west-1).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Config string `json:"config,omitempty"`
}

// BootstrapSpec is how a new cluster's data starts.
type BootstrapSpec struct {
	// FromBackup restores the databases of a lost cluster, each from its
	// own backup: the Operations Manual's path when every server is lost
	// is a new cluster with each database restored from its backup
	// (clustering/disaster-recovery.adoc). The system database is not
	// restored: users and roles are recreated by hand (docs/backup.md).
	// neo4j, which exists from the first start, is replaced once with
	// dbms.recreateDatabase and its seed; the others are created seeded,
	// with the topology spec.databases gives them.
	// +listType=map
	// +listMapKey=database
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	FromBackup []DatabaseRestore `json:"fromBackup"`
}

// DatabaseRestore is one database and the backup it is restored from.
// +kubebuilder:validation:XValidation:rule="has(self.uri) != has(self.backup)",message="each fromBackup entry needs exactly one of uri and backup"
// +kubebuilder:validation:XValidation:rule="self.database != 'neo4j' || !has(self.config)",message="neo4j is restored with the recreate procedure, which takes no seedConfig"
type DatabaseRestore struct {
	// Database to restore, under this name.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9.-]*[a-z0-9]$`
	// +kubebuilder:validation:XValidation:rule="self != 'system'",message="the system database cannot be restored from a seed; recreate users and roles instead (docs/backup.md)"
	Database string `json:"database"`

	// SeedSource is the backup: a URI, or a Neo4jBackup of exactly one
	// database.
	SeedSource `json:",inline"`
}

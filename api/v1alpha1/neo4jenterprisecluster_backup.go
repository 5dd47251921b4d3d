package v1alpha1

// The cluster's side of backups (spec.backup): the servers' backup port.
// The backups themselves are the Neo4jBackup and Neo4jBackupSchedule kinds
// (neo4jbackup_types.go, neo4jbackupschedule_types.go).

// BackupSpec is the servers' side of backups.
type BackupSpec struct {
	// Enabled makes every server listen for backups on port 6362 of its
	// internals Service (server.backup.listen_address=0.0.0.0:6362;
	// Neo4j listens on 127.0.0.1 only by default). Changing it restarts
	// the servers one by one, like any setting.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

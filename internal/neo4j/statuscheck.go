package neo4j

import (
	"context"
	"errors"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The cluster status check, from the Operations Manual,
// clustering/monitoring/status-check.adoc and the procedures reference
// (procedures/built-in-procedures.adoc, procedure_dbms_cluster_statusCheck),
// branches 5.x and dev:
//
//	CALL dbms.cluster.statusCheck(databases :: LIST<STRING>, timeoutMilliseconds = null :: INTEGER)
//
// "Neo4j 5.24 introduces the dbms.cluster.statusCheck() procedure" (5.x,
// page role "new-5.24"); the dev branch (CalVer 2025.x) documents it with
// no version label, admin-only, mode DBMS. The operator supports 5.26 and
// CalVer 2025.01 on (neo4jconf.ParseTag), so every supported release has
// it: the older health checks are only the fallback for a server that
// answers ProcedureNotFound.
//
// Whose view it is: the procedure runs on the server the connection
// reaches (it is a DBMS procedure; over bolt:// nothing routes it), and
// reports that server's view. "replicationSuccessful: Indicates if the
// server (on which the procedure is run) can replicate a transaction";
// "Providing an empty list runs the status check for all *clustered*
// databases on that server, i.e. it does not run on singles or
// secondaries"; and the manual asks to run it "on each server hosting the
// database in primary mode" (dev, database-administration/
// standard-databases/errors.adoc) and "On each server" (clustering/
// multi-region-deployment/disaster-recovery.adoc). One server's answer
// covers only the databases it hosts as a primary, and says whether it
// itself can replicate: the observer asks every server hosting a primary
// copy (observer.go) while a roll needs it.

// qStatusCheck is the manual's call, its two documented arguments passed
// as parameters; without YIELD a standalone CALL returns every output
// column.
const qStatusCheck = "CALL dbms.cluster.statusCheck($databases, $timeoutMilliseconds)"

// StatusCheckQuery is the text StatusCheck sends (for fakes and tests).
const StatusCheckQuery = qStatusCheck

// DefaultStatusCheckTimeout is the manual's default for timeoutMilliseconds:
// "How long to allow for replication, before returning it was
// unsuccessful. Default value is 1000 milliseconds." It is passed
// explicitly.
const DefaultStatusCheckTimeout = time.Second

// Member statuses (status-check.adoc, "Possible values of memberStatus").
const (
	// MemberApplying: "the member can replicate and is actively applying
	// transactions".
	MemberApplying = "APPLYING"
	// MemberReplicating: "the member can participate in replicating but
	// cannot apply ... may happen while waiting for the database to start".
	MemberReplicating = "REPLICATING"
	// MemberUnavailable: "the member is either too far behind the leader or
	// unreachable. They are unhealthy and cannot add to the
	// fault-tolerance."
	MemberUnavailable = "UNAVAILABLE"
)

// StatusCheckRow is a row of dbms.cluster.statusCheck: "a row for all
// primary members of all the requested databases". The columns, with the
// manual's types (status-check.adoc, "Return arguments"):
//
//	database              STRING
//	serverId              STRING   the member's UUID
//	serverName            STRING   its friendly name, or its UUID
//	address               STRING   its Bolt address
//	replicationSuccessful BOOLEAN  the requester's, "the same column-wise"
//	memberStatus          STRING   APPLYING, REPLICATING or UNAVAILABLE
//	recognisedLeader      STRING   the server id of the member's perceived leader
//	recognisedLeaderTerm  INTEGER  "If the members report different leaders,
//	                               the one with the highest term should be trusted."
//	requester             BOOLEAN  TRUE for the server the procedure ran on
//	error                 STRING   e.g. a requested database missing on the requester
type StatusCheckRow struct {
	Database, ServerID, ServerName, Address string
	ReplicationSuccessful                   bool
	MemberStatus                            string
	RecognisedLeader                        string
	// RecognisedLeaderTerm is -1 when the server reports none.
	RecognisedLeaderTerm int64
	Requester            bool
	Error                string
}

// StatusCheck runs the cluster status check on the connected server for
// the databases named (none: every clustered database it hosts as a
// primary), allowing timeout for the replication (0: the manual's
// default, passed explicitly).
func (c *Conn) StatusCheck(ctx context.Context, databases []string, timeout time.Duration) ([]StatusCheckRow, error) {
	if timeout <= 0 {
		timeout = DefaultStatusCheckTimeout
	}
	dbs := make([]any, 0, len(databases))
	for _, d := range databases {
		dbs = append(dbs, d)
	}
	rows, err := c.run(ctx, "status-check", qStatusCheck,
		map[string]any{"databases": dbs, "timeoutMilliseconds": timeout.Milliseconds()})
	if err != nil {
		return nil, err
	}
	out := make([]StatusCheckRow, 0, len(rows))
	for _, r := range rows {
		term := int64(-1)
		if p := r.intPtr("recognisedLeaderTerm"); p != nil {
			term = *p
		}
		out = append(out, StatusCheckRow{
			Database: r.str("database"), ServerID: r.str("serverId"), ServerName: r.str("serverName"), Address: r.str("address"),
			ReplicationSuccessful: r.bool("replicationSuccessful"), MemberStatus: r.str("memberStatus"),
			RecognisedLeader: r.str("recognisedLeader"), RecognisedLeaderTerm: term,
			Requester: r.bool("requester"), Error: r.str("error"),
		})
	}
	return out, nil
}

// CodeProcedureNotFound is the status code of a call to a procedure the
// server does not have.
const CodeProcedureNotFound = "Neo.ClientError.Procedure.ProcedureNotFound"

// ProcedureNotFound is true when err says the server has no such
// procedure: a release without dbms.cluster.statusCheck.
func ProcedureNotFound(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeProcedureNotFound {
		return true
	}
	var n4j *driver.Neo4jError
	return errors.As(err, &n4j) && n4j.Code == CodeProcedureNotFound
}

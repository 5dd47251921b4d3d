package neo4j

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

var statusCheckKeys = []string{"database", "serverId", "serverName", "address", "replicationSuccessful", "memberStatus",
	"recognisedLeader", "recognisedLeaderTerm", "requester", "error"}

// The manual's example (clustering/monitoring/status-check.adoc, "Running
// the status check"), two of its rows, parsed; and a row with NULLs (a
// member whose leader the requester does not know, an error).
func TestStatusCheck(t *testing.T) {
	const a, b = "d3fe2e6a-494d-4ab8-81b1-7de2ce31ce11", "565130e8-b8f0-41ad-8f9d-c660bd8d5519"
	srv, c := start(t, &script{answers: map[string]bolt.Result{qStatusCheck: {Keys: statusCheckKeys, Rows: [][]any{
		{"neo4j", a, a, "localhost:7682", true, "APPLYING", b, int64(4), false, nil},
		{"neo4j", b, b, "localhost:7681", true, "APPLYING", b, int64(4), true, nil},
		{"sales", a, "graph-primary-1", "x:7687", false, "UNAVAILABLE", nil, nil, false, "database sales does not exist"},
	}}}})
	got, err := c.StatusCheck(context.Background(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []StatusCheckRow{
		{Database: "neo4j", ServerID: a, ServerName: a, Address: "localhost:7682", ReplicationSuccessful: true, MemberStatus: MemberApplying,
			RecognisedLeader: b, RecognisedLeaderTerm: 4},
		{Database: "neo4j", ServerID: b, ServerName: b, Address: "localhost:7681", ReplicationSuccessful: true, MemberStatus: MemberApplying,
			RecognisedLeader: b, RecognisedLeaderTerm: 4, Requester: true},
		{Database: "sales", ServerID: a, ServerName: "graph-primary-1", Address: "x:7687", MemberStatus: MemberUnavailable,
			RecognisedLeaderTerm: -1, Error: "database sales does not exist"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	q := srv.Received()
	if len(q) != 1 || q[0].Text != "CALL dbms.cluster.statusCheck($databases, $timeoutMilliseconds)" || q[0].DB != "system" {
		t.Fatalf("sent %+v", q)
	}
	// An empty list: "runs the status check for all clustered databases on
	// that server"; the manual's default timeout, sent explicitly.
	if dbs, ok := q[0].Params["databases"].([]any); !ok || len(dbs) != 0 || q[0].Params["timeoutMilliseconds"] != int64(1000) {
		t.Errorf("params %#v", q[0].Params)
	}
}

func TestStatusCheckNamedDatabasesAndProcedureNotFound(t *testing.T) {
	s := &script{failures: map[string]*bolt.Failure{}}
	srv, c := start(t, s)
	if _, err := c.StatusCheck(context.Background(), []string{"system"}, 2500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if p := srv.Received()[0].Params; !reflect.DeepEqual(p["databases"], []any{"system"}) || p["timeoutMilliseconds"] != int64(2500) {
		t.Errorf("params %#v", p)
	}
	s.mu.Lock()
	s.failures[qStatusCheck] = &bolt.Failure{Code: "Neo.ClientError.Procedure.ProcedureNotFound", Message: "There is no procedure with the name `dbms.cluster.statusCheck` registered for this database instance."}
	s.mu.Unlock()
	_, err := c.StatusCheck(context.Background(), nil, 0)
	if !ProcedureNotFound(err) || KindOf(err) != Refused {
		t.Errorf("a release without the procedure: %v (%s)", err, KindOf(err))
	}
	s.mu.Lock()
	s.failures[qStatusCheck] = &bolt.Failure{Code: bolt.CodeUnavailable, Message: "no"}
	s.mu.Unlock()
	if _, err := c.StatusCheck(context.Background(), nil, 0); ProcedureNotFound(err) || err == nil {
		t.Errorf("another failure is not ProcedureNotFound: %v", err)
	}
}

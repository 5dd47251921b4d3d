package observer

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"sort"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// Replication is every answer to dbms.cluster.statusCheck one poll got
// (internal/neo4j/statuscheck.go), one per server hosting a primary copy
// of some database. The procedure reports the view of the server it runs
// on, and runs only for the databases that server hosts as a primary
// (Operations Manual, clustering/monitoring/status-check.adoc: "Providing
// an empty list runs the status check for all *clustered* databases on
// that server, i.e. it does not run on singles or secondaries"; dev,
// database-administration/standard-databases/errors.adoc: run it "on each
// server hosting the database in primary mode"): one server's answer does
// not cover a database it does not host, nor say whether another server
// can replicate. So every primary host is asked.
//
// Cost: the procedure "replicates a dummy transaction within the cluster"
// for each database (status-check.adoc), and asking every server means a
// connection to each. So it is asked only while a roll needs it (the
// roll's reconcile says so: NeedStatusCheck), not on a calm cluster's
// polls: the server that answered the poll is asked on the connection
// already open, each other primary host on a connection of its own,
// closed after, at most statusCheckConns at a time, all within the
// poll's time bound.
//
// It is not in the Digest: member states and leader terms move on their
// own, the status does not report them, and a roll looks at the last
// observation every few seconds anyway (its requeue), so a change here
// needs no event.
type Replication struct {
	// Checks are the answers, by server address.
	Checks []StatusCheck
}

// StatusCheck is one server's answer to dbms.cluster.statusCheck.
type StatusCheck struct {
	// Server is the Bolt address asked.
	Server string
	Rows   []neo4j.StatusCheckRow
	// Failure and Code say why the server did not answer ("" when it did):
	// the kind, and Neo4j's status code when it sent one.
	Failure neo4j.Kind
	Code    string
}

// Unsupported is true when every server asked answered that it has no
// such procedure (ProcedureNotFound): a release without the status check,
// where the roll's gate falls back to the older checks.
func (r *Replication) Unsupported() bool {
	if r == nil || len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if c.Code != neo4j.CodeProcedureNotFound {
			return false
		}
	}
	return true
}

// statusCheckConns bounds the connections a poll opens at once to ask
// the other primary hosts for their status check.
const statusCheckConns = 3

// primaryHosts are the target's addresses that host a primary copy of a
// database in SHOW DATABASES, in the target's order. Addresses Neo4j
// reports that the target does not list are never dialled.
func primaryHosts(t Target, dbs []neo4j.Database) []string {
	var out []string
	for _, addr := range t.Addresses {
		if slices.ContainsFunc(dbs, func(d neo4j.Database) bool { return d.Address == addr && d.Role == "primary" }) {
			out = append(out, addr)
		}
	}
	return out
}

// replication asks every primary host for its status check: the server
// that answered the poll has been asked already (first, nil if it hosts
// no primary copy), the others each on a connection of their own, at most
// statusCheckConns at a time.
func (o *Observers) replication(ctx context.Context, t Target, answered string, first *StatusCheck, dbs []neo4j.Database,
	creds neo4j.Credentials, tlsConfig *tls.Config) *Replication {
	others := slicesWithout(primaryHosts(t, dbs), answered)
	checks := make([]StatusCheck, len(others))
	sem := make(chan struct{}, statusCheckConns)
	var wg sync.WaitGroup
	for i, addr := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			checks[i] = o.statusCheckAt(ctx, t, addr, creds, tlsConfig)
		}()
	}
	wg.Wait()
	r := &Replication{}
	if first != nil {
		r.Checks = append(r.Checks, *first)
	}
	r.Checks = append(r.Checks, checks...)
	sort.Slice(r.Checks, func(i, j int) bool { return r.Checks[i].Server < r.Checks[j].Server })
	return r
}

// statusCheckAt asks one server for its status check over a connection
// of its own, with the plaintext fallback of the poll.
func (o *Observers) statusCheckAt(ctx context.Context, t Target, addr string, creds neo4j.Credentials, tlsConfig *tls.Config) StatusCheck {
	sc := o.dialStatusCheck(ctx, t, addr, creds, tlsConfig)
	if sc.Failure != "" && tlsConfig != nil && slices.Contains(t.PlaintextFallback, addr) && sc.Failure == neo4j.Unavailable && !sc.untrusted {
		sc = o.dialStatusCheck(ctx, t, addr, creds, nil)
	}
	return sc.StatusCheck
}

// dialed is a StatusCheck and whether its failure was an unverified
// certificate.
type dialed struct {
	StatusCheck
	untrusted bool
}

func (o *Observers) dialStatusCheck(ctx context.Context, t Target, addr string, creds neo4j.Credentials, tlsConfig *tls.Config) dialed {
	conn, err := o.Dialer.DialTLS(addr, creds, t.CalVer, tlsConfig)
	if err != nil {
		return dialed{StatusCheck: failedCheck(ctx, t, addr, err), untrusted: neo4j.CertificateRejected(err)}
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	rows, err := conn.StatusCheck(ctx, nil, neo4j.DefaultStatusCheckTimeout)
	if err != nil {
		return dialed{StatusCheck: failedCheck(ctx, t, addr, err), untrusted: neo4j.CertificateRejected(err)}
	}
	return dialed{StatusCheck: StatusCheck{Server: addr, Rows: rows}}
}

// statusCheckOf asks for the status check on an open connection.
func statusCheckOf(ctx context.Context, t Target, addr string, conn *neo4j.Conn) StatusCheck {
	rows, err := conn.StatusCheck(ctx, nil, neo4j.DefaultStatusCheckTimeout)
	if err != nil {
		return failedCheck(ctx, t, addr, err)
	}
	return StatusCheck{Server: addr, Rows: rows}
}

// failedCheck records a server's failure to answer the status check: its
// kind and Neo4j's code, never the driver's text.
func failedCheck(ctx context.Context, t Target, addr string, err error) StatusCheck {
	log.FromContext(ctx).V(1).Info("Neo4j status check failed", "cluster", t.Cluster, "address", addr, "error", err.Error())
	sc := StatusCheck{Server: addr, Failure: neo4j.KindOf(err)}
	var e *neo4j.Error
	if errors.As(err, &e) {
		sc.Code = e.Code
	}
	return sc
}

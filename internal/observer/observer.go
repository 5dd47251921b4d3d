// Package observer polls each cluster's Neo4j servers over Bolt, in the
// spirit of ECK's observers: one schedule per cluster, a bounded number of
// polls at a time, every call bounded by the Dialer's timeout, so a slow
// or unreachable Neo4j never holds a reconcile. A reconcile reads the last
// observation; it never talks to Neo4j itself. A poll that sees what the
// previous one saw does nothing: the reconcile is woken only when what the
// status reports changed, so a calm cluster costs no API writes.
package observer

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// Target is what to poll for one cluster.
type Target struct {
	Cluster types.NamespacedName
	// Addresses are the servers' Bolt addresses (host:port), tried in
	// order until one answers.
	Addresses []string
	// Secret and Key hold "neo4j/<password>", read by name. Credentials
	// Neo4j accepted are kept for the next polls, so a calm cluster's polls
	// read no Secret; they are read again when Neo4j refuses them, when
	// SecretVersion moves, and after Observers.SecretRecheck.
	Secret types.NamespacedName
	Key    string
	// SecretVersion is the Secret's resourceVersion the reconcile read
	// ("" when unknown): a change (an edit the Secret watch or a reconcile
	// saw) drops the credentials kept.
	SecretVersion string
	CalVer        bool
	// Busy asks for the busy interval (something is in flight).
	Busy bool
	// TLS, when set, is the Bolt channel's TLS: polls and commands go over
	// bolt+s.
	TLS *TLSTarget
	// PlaintextFallback are the addresses of servers whose pod still runs
	// a revision from before the roll under way: a TLS connection to one
	// of them that fails for want of TLS (not for a certificate it could
	// not verify) is tried again over plaintext Bolt, since a roll that
	// turns Bolt TLS on meets servers that do not speak it yet.
	PlaintextFallback []string
	// CertSecrets are every TLS channel's Secret. Each poll reads them, so
	// a rotated certificate wakes the cluster's reconcile where Secrets
	// are not watched (the operator watching every namespace may only get
	// Secrets by name).
	CertSecrets []types.NamespacedName
	// StatusCheck asks the polls for Observation.Replication. The observers
	// also ask for it while NeedStatusCheck says a roll needs it, whatever
	// the Target Ensure was given.
	StatusCheck bool
}

// TLSTarget is how to reach servers over TLS: the Secret's ca.crt is
// trusted (the system's roots when it has none), and its certificate is
// presented when the servers ask clients for one (ClientCert).
type TLSTarget struct {
	Secret     types.NamespacedName
	ClientCert bool
}

// SecretUnusable is the failure of a poll that could not use the auth
// Secret (missing, or not user/password): the user must fix the Secret.
const SecretUnusable neo4j.Kind = "SecretUnusable"

// TLSUnusable is the failure of a poll that could not build its TLS
// configuration from the Bolt TLS Secret (missing, or no usable CA): the
// cluster's TLSReady condition says why, so it is no Degraded issue here.
const TLSUnusable neo4j.Kind = "TLSUnusable"

// Observation is what one poll saw.
type Observation struct {
	At        time.Time
	Servers   []neo4j.Server
	Databases []neo4j.Database
	// Failure of the poll: its kind and a stable message ("" when it
	// answered): the same failure gives the same text, poll after poll.
	Failure neo4j.Kind
	Message string
	// Replication is what the roll's health gate reads beyond SHOW SERVERS
	// and SHOW DATABASES: nil unless a roll needs it (NeedStatusCheck) and
	// the poll answered. It is not in the Digest.
	Replication *Replication
	// secretVersion is the auth Secret's resourceVersion the poll used.
	secretVersion string
	// certificates digests the TLS Secrets' certificates.
	certificates string
	// address is the server that answered.
	address string
}

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

// Healthy is true when every enabled server is Available and every
// database copy is online.
func (o Observation) Healthy() bool {
	if o.Failure != "" || len(o.Servers) == 0 {
		return false
	}
	for _, s := range o.Servers {
		if s.State == neo4j.StateEnabled && s.Health != neo4j.HealthAvailable {
			return false
		}
	}
	for _, d := range o.Databases {
		if d.CurrentStatus != d.RequestedStatus {
			return false
		}
	}
	return true
}

// Digest covers what the status reports, and nothing that moves on its
// own (transaction ids, replication lag, the status check's Replication):
// two polls of a calm cluster have the same digest.
func (o Observation) Digest() string {
	var lines []string
	for _, s := range o.Servers {
		h := slices.Clone(s.Hosting)
		sort.Strings(h)
		lines = append(lines, fmt.Sprintf("s|%s|%s|%s|%s|%s|%s", s.Name, s.Address, s.State, s.Health, s.ModeConstraint, strings.Join(h, ",")))
	}
	for _, d := range o.Databases {
		lines = append(lines, fmt.Sprintf("d|%s|%s|%s|%s|%v|%s|%d|%d|%d|%d", d.Name, d.Address, d.Role, d.CurrentStatus, d.Writer,
			d.RequestedStatus, d.RequestedPrimaries, d.RequestedSecondaries, d.CurrentPrimaries, d.CurrentSecondaries))
	}
	sort.Strings(lines)
	lines = append(lines, "f|"+string(o.Failure)+"|"+o.Message, "t|"+o.certificates)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h[:8])
}

// Observers polls every cluster it was told about.
type Observers struct {
	// Reader reads the auth Secret (the API server, not the cache).
	Reader client.Reader
	Dialer neo4j.Dialer
	// Calm and Busy are the poll intervals.
	Calm, Busy time.Duration
	// Workers bounds the polls running at once.
	Workers int
	// Events receives one event per cluster whose observation changed;
	// the controller watches it.
	Events chan event.GenericEvent
	// SecretRecheck is how long credentials Neo4j accepted are used
	// before the auth Secret is read again (0: until refused or changed).
	// Where Secrets are not watched, it bounds how long an edit of the
	// Secret (a wrong password, a deletion) goes unreported.
	SecretRecheck time.Duration

	mu       sync.Mutex
	clusters map[types.NamespacedName]*entry
}

type entry struct {
	target  Target
	last    *Observation
	next    time.Time
	polling bool
	// failed counts consecutive failed polls: one failure after a good
	// poll is not reported (a leader election, a restart of one server).
	failed int
	// good is the address that answered last; it is tried first.
	good string
	// commandAt is when a command was last sent to this cluster.
	commandAt time.Time
	// refusal is Neo4j's answer to the last refused command.
	refusal *Refusal
	// accepted are the credentials of the last poll Neo4j accepted.
	accepted *accepted
	// statusCheck: a roll needs Observation.Replication (NeedStatusCheck);
	// rush: it was asked for while a poll without it ran.
	statusCheck, rush bool
}

// accepted are credentials Neo4j accepted, with where and when they were
// read. Never logged: it has no String method and is printed nowhere.
type accepted struct {
	secret  types.NamespacedName
	key     string
	version string
	// target is the Target's SecretVersion when they were read: only a
	// move from it is an edit the kept credentials may not reflect.
	target string
	readAt time.Time
	creds  neo4j.Credentials
	// unproven: read for this poll, not accepted by Neo4j yet.
	unproven bool
}

// kept is what a poll that proved nothing about the credentials leaves:
// credentials accepted before, not ones just read.
func (a *accepted) kept() *accepted {
	if a == nil || a.unproven {
		return nil
	}
	return a
}

// usable is true when the kept credentials may stand in for a read of the
// target's Secret now.
func (a *accepted) usable(t Target, recheck time.Duration, now time.Time) bool {
	return a != nil && a.secret == t.Secret && a.key == t.Key &&
		(t.SecretVersion == a.target || t.SecretVersion == a.version) &&
		(recheck <= 0 || now.Sub(a.readAt) < recheck)
}

// New makes Observers with the given intervals (positive; busy at most
// calm); Events is buffered.
func New(reader client.Reader, d neo4j.Dialer, calm, busy time.Duration) *Observers {
	if busy <= 0 || calm < busy {
		panic(fmt.Sprintf("observer: want 0 < busy (%v) <= calm (%v)", busy, calm))
	}
	return &Observers{Reader: reader, Dialer: d, Calm: calm, Busy: busy, Workers: 8, SecretRecheck: 10 * time.Minute,
		Events: make(chan event.GenericEvent, 1024), clusters: map[types.NamespacedName]*entry{}}
}

// Ensure starts or updates the polling of a cluster. A new cluster, or
// one that turned busy or started asking for the status check, is polled
// at once.
func (o *Observers) Ensure(t Target) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.clusters[t.Cluster]
	if !ok {
		o.clusters[t.Cluster] = &entry{target: t}
		return
	}
	if (t.Busy && !e.target.Busy) || (t.StatusCheck && !e.target.StatusCheck && !e.statusCheck) {
		e.next = time.Time{}
	}
	e.target = t
}

// NeedStatusCheck says whether a roll of the cluster needs the replication
// view (Observation.Replication). While it does, each poll asks every
// server hosting a primary copy for dbms.cluster.statusCheck, and polls
// come at the busy interval; turning it on polls at once. The reconcile
// deciding the roll calls it (a roll recorded, or pods to restart); it
// writes nothing, and a cluster not known yet is left alone (the next
// reconcile says it again).
func (o *Observers) NeedStatusCheck(key types.NamespacedName, need bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.clusters[key]
	if !ok {
		return
	}
	if need && !e.statusCheck {
		e.next, e.rush = time.Time{}, e.polling
	}
	e.statusCheck = need
}

// Forget stops polling a cluster (deleted).
func (o *Observers) Forget(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.clusters, key)
}

// Last is the latest observation of a cluster.
func (o *Observers) Last(key types.NamespacedName) (Observation, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.clusters[key]
	if !ok || e.last == nil {
		return Observation{}, false
	}
	return *e.last, true
}

// Start runs the schedule until ctx ends (a manager Runnable).
func (o *Observers) Start(ctx context.Context) error {
	tick := time.NewTicker(max(o.Busy/10, 50*time.Millisecond))
	defer tick.Stop()
	sem := make(chan struct{}, max(1, o.Workers))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			for _, e := range o.due(now) {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return nil
				}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					obs, acc := o.poll(ctx, e)
					o.keep(e, acc)
					o.record(ctx, e, obs)
				}()
			}
		}
	}
}

// due marks and returns the entries whose poll is due.
func (o *Observers) due(now time.Time) []*entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*entry
	for _, e := range o.clusters {
		if !e.polling && !now.Before(e.next) {
			e.polling = true
			out = append(out, e)
		}
	}
	return out
}

// poll runs one poll of an entry, from a snapshot of it.
func (o *Observers) poll(ctx context.Context, e *entry) (Observation, *accepted) {
	o.mu.Lock()
	t, last, good, acc := e.target, e.last, e.good, e.accepted
	t.StatusCheck = t.StatusCheck || e.statusCheck
	o.mu.Unlock()
	if last != nil && neo4j.SystemLeader(last.Databases) != "" {
		// The system database's leader first: the operator's commands
		// commit there, so its view is never behind them, where a
		// follower's can be.
		good = neo4j.SystemLeader(last.Databases)
	}
	if good != "" { // else the last server that answered first
		t.Addresses = append([]string{good}, slicesWithout(t.Addresses, good)...)
	}
	return o.pollWith(ctx, t, last, acc)
}

// keep records the credentials a poll leaves for the next one (nil: read
// the Secret again), unless the entry was forgotten meanwhile.
func (o *Observers) keep(e *entry, acc *accepted) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.clusters[e.target.Cluster] == e {
		e.accepted = acc
	}
}

func slicesWithout(l []string, v string) []string {
	out := make([]string, 0, len(l))
	for _, x := range l {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// record keeps an observation, schedules the next poll from now, and wakes
// the cluster's reconcile if what the status reports changed. An entry
// forgotten (or replaced) during the poll is left alone.
func (o *Observers) record(ctx context.Context, e *entry, obs Observation) {
	o.mu.Lock()
	if o.clusters[e.target.Cluster] != e {
		o.mu.Unlock()
		return
	}
	e.polling = false
	interval := o.Calm
	if e.target.Busy || e.target.StatusCheck || e.statusCheck || !obs.Healthy() {
		interval = o.Busy
	}
	if e.rush {
		interval, e.rush = 0, false // asked for during this poll: the next one brings it
	}
	if obs.Failure == neo4j.AuthFailed || obs.Failure == SecretUnusable || obs.Failure == neo4j.Untrusted {
		// Retrying sooner could lock the user out (auth_max_failed_attempts),
		// or would meet the same certificate.
		interval = o.Calm
	}
	e.next = time.Now().Add(interval)
	if obs.Failure == "" {
		e.failed, e.good = 0, obs.address
	} else if e.failed++; e.failed == 1 && e.last != nil && e.last.Failure == "" {
		o.mu.Unlock()
		return // one failure after a good poll: look again before saying so
	}
	changed := e.last == nil || e.last.Digest() != obs.Digest()
	e.last = &obs
	key := e.target.Cluster
	o.mu.Unlock()
	if !changed {
		return
	}
	log.FromContext(ctx).V(1).Info("Neo4j observation changed", "cluster", key, "failure", obs.Failure)
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	select {
	case o.Events <- event.GenericEvent{Object: c}:
	case <-ctx.Done():
	}
}

// Poll asks the first server that answers for SHOW SERVERS and SHOW
// DATABASES (and, with t.StatusCheck, every primary host for
// dbms.cluster.statusCheck: Replication), within the busy interval in
// all, with credentials read now
// from the auth Secret. With the previous observation (nil for none): a
// Secret that Neo4j refused is not tried again until it changes, and a
// Secret the API server could not return keeps the previous observation.
func (o *Observers) Poll(ctx context.Context, t Target, previous *Observation) Observation {
	obs, _ := o.pollWith(ctx, t, previous, nil)
	return obs
}

// pollWith is Poll with the credentials a previous poll left (nil: none):
// used instead of reading the Secret while they are usable. It returns
// the credentials to keep: those used, when Neo4j accepted them; nil when
// it refused them; acc otherwise (nothing new is known of them).
func (o *Observers) pollWith(ctx context.Context, t Target, previous *Observation, acc *accepted) (Observation, *accepted) {
	ctx, cancel := context.WithTimeout(ctx, o.Busy)
	defer cancel()
	obs := Observation{At: time.Now()}
	if !acc.usable(t, o.SecretRecheck, obs.At) {
		acc = nil
	}
	var creds neo4j.Credentials
	var version string
	var err error
	if acc != nil {
		creds, version = acc.creds, acc.version
	} else {
		creds, version, err = o.credentials(ctx, t)
	}
	switch {
	case apierrors.IsNotFound(err) || errors.Is(err, errMalformed):
		obs.Failure, obs.Message = SecretUnusable, err.Error()
		return obs, nil
	case err != nil:
		log.FromContext(ctx).V(1).Info("reading the auth Secret failed; keeping the last observation", "cluster", t.Cluster, "error", err.Error())
		if previous != nil {
			return *previous, nil
		}
		obs.Failure, obs.Message = neo4j.Unavailable, "the auth Secret could not be read"
		return obs, nil
	case previous != nil && previous.Failure == neo4j.AuthFailed && previous.secretVersion == version:
		return *previous, nil // the same credentials would be refused again
	}
	if acc == nil {
		acc = &accepted{secret: t.Secret, key: t.Key, version: version, target: t.SecretVersion, readAt: obs.At, creds: creds, unproven: true}
	}
	obs.secretVersion = version
	certs := o.certSecrets(ctx, t)
	obs.certificates = digestCertificates(t, certs)
	var tlsConfig *tls.Config
	if s, ok := certs[t.TLS.secret()]; ok {
		tlsConfig, err = tlsConfigOf(t, s) // the Bolt Secret, read once a poll
	} else {
		tlsConfig, err = o.TLSConfig(ctx, t) // none, or the error to report
	}
	switch {
	case err != nil && previous != nil && !apierrors.IsNotFound(err) && !errors.Is(err, errMalformed):
		return *previous, acc.kept() // the API server did not answer: nothing new is known
	case err != nil:
		obs.Failure, obs.Message = TLSUnusable, err.Error()
		return obs, acc.kept()
	}
	for _, addr := range t.Addresses {
		var first *StatusCheck
		obs.Servers, obs.Databases, first, err = o.ask(ctx, t, addr, creds, tlsConfig)
		if fallback(t, addr, tlsConfig, err) {
			obs.Servers, obs.Databases, first, err = o.ask(ctx, t, addr, creds, nil)
		}
		if err == nil {
			obs.Failure, obs.Message, obs.address = "", "", addr
			if t.StatusCheck {
				obs.Replication = o.replication(ctx, t, addr, first, obs.Databases, creds, tlsConfig)
			}
			if acc.unproven {
				acc.unproven = false // a new value, not yet shared
			}
			return obs, acc
		}
		log.FromContext(ctx).V(1).Info("Neo4j poll failed", "cluster", t.Cluster, "address", addr, "error", err.Error())
		obs.Failure = neo4j.KindOf(err)
		obs.Message = fmt.Sprintf("%s: %s", addr, neo4j.Summary(err))
		if obs.Failure == neo4j.AuthFailed || ctx.Err() != nil {
			break // every server has the same credentials; or out of time
		}
	}
	if len(t.Addresses) > 1 && obs.Failure != neo4j.AuthFailed {
		obs.Message = fmt.Sprintf("none of the %d servers answered; last: %s", len(t.Addresses), obs.Message)
	}
	obs.Servers, obs.Databases = nil, nil
	if obs.Failure == neo4j.AuthFailed {
		return obs, nil
	}
	return obs, acc.kept()
}

// fallback: a TLS connection to a server whose pod predates the roll
// failed for want of TLS (not for a certificate it could not verify): try
// plaintext Bolt.
func fallback(t Target, addr string, tlsConfig *tls.Config, err error) bool {
	return err != nil && tlsConfig != nil && slices.Contains(t.PlaintextFallback, addr) &&
		neo4j.KindOf(err) == neo4j.Unavailable && !neo4j.CertificateRejected(err)
}

// ask runs SHOW SERVERS and SHOW DATABASES on the server at addr and,
// when the target asks for the status check and that server hosts a
// primary copy, the status check too, on the same connection (nil when
// not asked).
func (o *Observers) ask(ctx context.Context, t Target, addr string, creds neo4j.Credentials, tlsConfig *tls.Config) ([]neo4j.Server, []neo4j.Database, *StatusCheck, error) {
	conn, err := o.Dialer.DialTLS(addr, creds, t.CalVer, tlsConfig)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	servers, err := conn.ShowServers(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	dbs, err := conn.ShowDatabases(ctx)
	if err != nil || !t.StatusCheck || !slices.Contains(primaryHosts(t, dbs), addr) {
		return servers, dbs, nil, err
	}
	sc := statusCheckOf(ctx, t, addr, conn)
	return servers, dbs, &sc, nil
}

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

var (
	errMalformed = errors.New("does not hold user/password")
	errNoPEM     = fmt.Errorf("holds no PEM certificate: %w", errMalformed)
	errNoPair    = fmt.Errorf("are not a usable key pair: %w", errMalformed)
)

// credentials reads the Secret by name and returns the credentials and the
// Secret's resourceVersion. Errors never carry the value.
func (o *Observers) credentials(ctx context.Context, t Target) (neo4j.Credentials, string, error) {
	s := &corev1.Secret{}
	if err := o.Reader.Get(ctx, t.Secret, s); err != nil {
		if apierrors.IsNotFound(err) {
			return neo4j.Credentials{}, "", apierrors.NewNotFound(corev1.Resource("secrets"), fmt.Sprintf("auth Secret %s", t.Secret))
		}
		return neo4j.Credentials{}, "", err
	}
	user, password, ok := strings.Cut(strings.TrimRight(string(s.Data[t.Key]), "\n"), "/")
	if !ok {
		return neo4j.Credentials{}, "", fmt.Errorf("auth Secret %s key %s %w", t.Secret, t.Key, errMalformed)
	}
	password, _, _ = strings.Cut(password, "/") // a trailing /true asks for a password change
	return neo4j.Credentials{User: user, Password: password}, s.ResourceVersion, nil
}

// CommandSent records that a command was just sent to the cluster's
// Neo4j: until a poll that starts later has been recorded, the last
// observation is not Fresh, and the next poll runs at once.
func (o *Observers) CommandSent(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok {
		e.commandAt, e.next = time.Now(), time.Time{}
	}
}

// LastFresh is the latest observation of a cluster and whether it started
// after the last command sent to it (what it shows includes that
// command's effect), read together.
func (o *Observers) LastFresh(key types.NamespacedName) (obs Observation, fresh, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, found := o.clusters[key]
	if !found || e.last == nil {
		return Observation{}, false, false
	}
	return *e.last, e.last.At.After(e.commandAt), true
}

// Refusal is a command Neo4j refused: which, its answer, when, and how
// many times in a row.
type Refusal struct {
	Kind, Server, Message string
	At                    time.Time
	Attempts              int
}

// Refusal is the last refusal of a cluster's commands (nil: none since
// the last accepted command).
func (o *Observers) Refusal(key types.NamespacedName) *Refusal {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok && e.refusal != nil {
		r := *e.refusal
		return &r
	}
	return nil
}

// Refused records a refusal of a command (kind, server); a repeat of the
// same refusal counts up. It reports whether Neo4j's answer is new, so the
// caller announces it once.
func (o *Observers) Refused(key types.NamespacedName, kind, server, msg string) (changed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.clusters[key]
	if !ok {
		return true
	}
	r := e.refusal
	if r != nil && r.Kind == kind && r.Server == server && r.Message == msg {
		r.Attempts++
		r.At = time.Now()
		return false
	}
	e.refusal = &Refusal{Kind: kind, Server: server, Message: msg, At: time.Now(), Attempts: 1}
	return true
}

// Accepted clears the refusal record after a command Neo4j accepted.
func (o *Observers) Accepted(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.clusters[key]; ok {
		e.refusal = nil
	}
}

// Admin opens an admin connection to the server at addr with the
// cluster's credentials, read now from the auth Secret, over TLS when the
// cluster's Bolt has it.
func (o *Observers) Admin(ctx context.Context, t Target, addr string) (*neo4j.Conn, error) {
	s, err := o.Session(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.Dial(addr)
}

// AdminSession dials several servers with one read of the Secrets.
type AdminSession struct {
	// TLS is the client TLS configuration (nil without Bolt TLS).
	TLS  *tls.Config
	Dial func(addr string) (*neo4j.Conn, error)
}

// Session reads the cluster's credentials and TLS configuration once.
func (o *Observers) Session(ctx context.Context, t Target) (AdminSession, error) {
	creds, _, err := o.credentials(ctx, t)
	if err != nil {
		return AdminSession{}, err
	}
	tlsConfig, err := o.TLSConfig(ctx, t)
	if err != nil {
		return AdminSession{}, err
	}
	return AdminSession{TLS: tlsConfig, Dial: func(addr string) (*neo4j.Conn, error) {
		return o.Dialer.DialTLS(addr, creds, t.CalVer, tlsConfig)
	}}, nil
}

// TLSConfig is the client TLS configuration of a target, read now from its
// Bolt Secret (nil without Bolt TLS). Errors never carry the key.
func (o *Observers) TLSConfig(ctx context.Context, t Target) (*tls.Config, error) {
	if t.TLS == nil {
		return nil, nil
	}
	s := &corev1.Secret{}
	if err := o.Reader.Get(ctx, t.TLS.Secret, s); err != nil {
		return nil, fmt.Errorf("Bolt TLS Secret %s: %w", t.TLS.Secret, err) // NotFound stays NotFound
	}
	return tlsConfigOf(t, s)
}

// secret is the Bolt Secret (none without Bolt TLS).
func (t *TLSTarget) secret() types.NamespacedName {
	if t == nil {
		return types.NamespacedName{}
	}
	return t.Secret
}

// tlsConfigOf builds a target's client TLS configuration from its Bolt
// Secret.
func tlsConfigOf(t Target, s *corev1.Secret) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := s.Data["ca.crt"]; len(ca) > 0 {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("Bolt TLS Secret %s: ca.crt %w", t.TLS.Secret, errNoPEM)
		}
	}
	if t.TLS.ClientCert {
		pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
		if err != nil {
			return nil, fmt.Errorf("Bolt TLS Secret %s: tls.crt and tls.key %w", t.TLS.Secret, errNoPair)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// digestCertificates digests the certificates of a target's TLS Secrets
// (a missing Secret or key counts as empty).
func digestCertificates(t Target, secrets map[types.NamespacedName]*corev1.Secret) string {
	if len(t.CertSecrets) == 0 {
		return ""
	}
	h := sha256.New()
	for _, key := range t.CertSecrets {
		if s, ok := secrets[key]; ok {
			h.Write(s.Data["tls.crt"])
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// certSecrets reads a target's TLS Secrets, leaving out those it could
// not read.
func (o *Observers) certSecrets(ctx context.Context, t Target) map[types.NamespacedName]*corev1.Secret {
	out := map[types.NamespacedName]*corev1.Secret{}
	for _, key := range t.CertSecrets {
		s := &corev1.Secret{}
		if err := o.Reader.Get(ctx, key, s); err == nil {
			out[key] = s
		}
	}
	return out
}

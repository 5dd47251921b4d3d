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
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

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
	// proven are the credentials Neo4j last accepted, kept when a later
	// Secret is refused: a rotation logs in with them (rotate.go).
	proven *accepted
	// rotated is the Secret version a rotation was last tried for, and
	// rotationProblem why it failed ("" when it did not).
	rotated, rotationProblem string
	// statusCheck: a roll needs Observation.Replication (NeedStatusCheck);
	// rush: it was asked for while a poll without it ran.
	statusCheck, rush bool
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
		if acc != nil && !acc.unproven {
			e.proven = acc
		}
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

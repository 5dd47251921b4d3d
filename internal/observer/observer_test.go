package observer

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

func obs(health string, txn int64) Observation {
	return Observation{At: time.Unix(txn, 0), Servers: []neo4j.Server{{Name: "a", State: "Enabled", Health: health, Hosting: []string{"system", "neo4j"}}},
		Databases: []neo4j.Database{{Name: "neo4j", CurrentStatus: "online", RequestedStatus: "online", LastCommittedTxn: &txn, ReplicationLag: &txn}}}
}

func TestDigestCoversOnlyWhatTheStatusReports(t *testing.T) {
	a, b := obs("Available", 1), obs("Available", 99)
	b.Servers[0].Hosting = []string{"neo4j", "system"}
	if a.Digest() != b.Digest() {
		t.Error("transaction ids, lag, time and hosting order changed the digest")
	}
	if a.Digest() == obs("Unavailable", 1).Digest() {
		t.Error("a change of health kept the digest")
	}
}

func newObservers() *Observers {
	return New(fake.NewClientBuilder().Build(), neo4j.Dialer{}, time.Minute, time.Second)
}

func TestOneFailureAfterAGoodPollIsNotReported(t *testing.T) {
	o := newObservers()
	key := types.NamespacedName{Namespace: "ns", Name: "g"}
	o.Ensure(Target{Cluster: key})
	e := o.clusters[key]
	ctx := context.Background()
	o.record(ctx, e, obs("Available", 1))
	if len(o.Events) != 1 {
		t.Fatalf("the first observation wakes the reconcile")
	}
	<-o.Events
	failed := Observation{Failure: neo4j.Timeout, Message: "a:7687: Timeout"}
	o.record(ctx, e, failed)
	if last, _ := o.Last(key); last.Failure != "" || len(o.Events) != 0 {
		t.Errorf("one failure after a good poll was reported: %+v", last)
	}
	o.record(ctx, e, failed)
	if last, _ := o.Last(key); last.Failure != neo4j.Timeout || len(o.Events) != 1 {
		t.Errorf("the second failure in a row must be reported: %+v", last)
	}
	<-o.Events
	o.record(ctx, e, failed)
	if len(o.Events) != 0 {
		t.Error("the same failure again is no change")
	}
}

func TestAForgottenClusterIsLeftAlone(t *testing.T) {
	o := newObservers()
	key := types.NamespacedName{Namespace: "ns", Name: "g"}
	o.Ensure(Target{Cluster: key})
	e := o.due(time.Now())[0]
	o.Forget(key)
	o.Ensure(Target{Cluster: key}) // re-created while the old poll ran
	o.record(context.Background(), e, obs("Available", 1))
	if _, ok := o.Last(key); ok || len(o.Events) != 0 {
		t.Error("the old poll's result reached the new cluster")
	}
	if due := o.due(time.Now()); len(due) != 1 || due[0] == e {
		t.Error("the new entry is polled on its own")
	}
}

type refuse struct{ tried int }

func (r *refuse) Authenticate(string, string) bool { r.tried++; return false }
func (r *refuse) Run(bolt.Query) (bolt.Result, *bolt.Failure) {
	return bolt.Result{}, nil
}

// A refused Secret is not tried again until it changes: Neo4j locks a user
// out after a few failed attempts.
func TestARefusedSecretIsNotRetriedUntilItChanges(t *testing.T) {
	h := &refuse{}
	srv, err := bolt.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "auth"}, Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/wrong-password")}}
	k := fake.NewClientBuilder().WithObjects(secret).Build()
	o := New(k, neo4j.Dialer{Timeout: time.Second}, time.Minute, time.Second)
	tg := Target{Cluster: types.NamespacedName{Namespace: "ns", Name: "g"}, Addresses: []string{srv.Addr()},
		Secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, Key: "NEO4J_AUTH"}
	ctx := context.Background()
	first := o.Poll(ctx, tg, nil)
	if first.Failure != neo4j.AuthFailed || h.tried != 1 {
		t.Fatalf("%+v after %d tries", first, h.tried)
	}
	if again := o.Poll(ctx, tg, &first); again.Failure != neo4j.AuthFailed || h.tried != 1 {
		t.Errorf("the same Secret was tried again (%d tries)", h.tried)
	}
	secret.Data["NEO4J_AUTH"] = []byte("neo4j/still-wrong")
	if err := k.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if o.Poll(ctx, tg, &first); h.tried != 2 {
		t.Errorf("a changed Secret must be tried (%d tries)", h.tried)
	}
	if first.Message != srv.Addr()+": AuthFailed (Neo.ClientError.Security.Unauthorized)" {
		t.Errorf("message %q is not the stable summary", first.Message)
	}
	k.Delete(ctx, secret)
	if gone := o.Poll(ctx, tg, &first); gone.Failure != SecretUnusable {
		t.Errorf("a missing Secret: %+v", gone)
	}
}

func TestIntervalsAreChecked(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a zero busy interval must be refused")
		}
	}()
	New(nil, neo4j.Dialer{}, time.Minute, 0)
}

// While a roll turns Bolt TLS on, servers not yet restarted speak
// plaintext only: with PlaintextFallback a poll reaches them, without it
// it does not. A Bolt TLS Secret that is missing is TLSUnusable (TLSReady
// reports it), not an auth Secret problem.
func TestPlaintextFallbackAndTLSSecretProblems(t *testing.T) {
	c := fakecluster.New(fakecluster.Options{Password: "pw-12345678", CatchUp: time.Nanosecond})
	defer c.Close()
	if err := c.SetPod("g-primary-0", "g-primary-0-internals.ns.svc.cluster.local:7687", false, true); err != nil {
		t.Fatal(err)
	}
	ca, _ := pki.NewCA("ca")
	pair, _ := ca.Issue(time.Hour, "x")
	reader := fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "auth"}, Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/pw-12345678")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "bolt"}, Data: ca.SecretData(pair)}).Build()
	o := New(reader, neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}, time.Minute, 5*time.Second)
	tg := Target{Cluster: types.NamespacedName{Namespace: "ns", Name: "g"}, Addresses: []string{"g-primary-0-internals.ns.svc.cluster.local:7687"},
		Secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, Key: "NEO4J_AUTH", CalVer: true,
		TLS: &TLSTarget{Secret: types.NamespacedName{Namespace: "ns", Name: "bolt"}}}
	ctx := context.Background()
	if got := o.Poll(ctx, tg, nil); got.Failure != neo4j.Unavailable {
		t.Errorf("TLS to a plaintext server without fallback: %+v", got.Failure)
	}
	tg.PlaintextFallback = []string{"g-primary-0-internals.ns.svc.cluster.local:7687"}
	if got := o.Poll(ctx, tg, nil); got.Failure != "" || len(got.Servers) != 1 {
		t.Errorf("with fallback: %s %s", got.Failure, got.Message)
	}
	tg.TLS.Secret.Name = "absent"
	if got := o.Poll(ctx, tg, nil); got.Failure != TLSUnusable {
		t.Errorf("a missing Bolt TLS Secret: %s %s", got.Failure, got.Message)
	}
}

// countingReader counts the Secret reads of the observers.
type countingReader struct {
	client.Reader
	gets int
}

func (r *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.gets++
	return r.Reader.Get(ctx, key, obj, opts...)
}

// Credentials Neo4j accepted stand in for the Secret: a calm cluster's
// polls read no Secret. They are read again when the reconcile saw the
// Secret move, after SecretRecheck, and after Neo4j refused them; a poll
// that proves nothing (no server answered) keeps only credentials accepted
// before.
func TestAcceptedCredentialsSpareSecretReads(t *testing.T) {
	c := fakecluster.New(fakecluster.Options{Password: "pw-12345678", CatchUp: time.Nanosecond})
	defer c.Close()
	addr := "g-primary-0-internals.ns.svc.cluster.local:7687"
	if err := c.SetPod("g-primary-0", addr, false, true); err != nil {
		t.Fatal(err)
	}
	reader := &countingReader{Reader: fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "auth"}, Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/pw-12345678")}}).Build()}
	o := New(reader, neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}, time.Minute, 5*time.Second)
	tg := Target{Cluster: types.NamespacedName{Namespace: "ns", Name: "g"}, Addresses: []string{addr},
		Secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, Key: "NEO4J_AUTH", CalVer: true, SecretVersion: "7"}
	ctx := context.Background()
	poll := func(step string, acc *accepted, wantGets int, wantFailure neo4j.Kind) *accepted {
		t.Helper()
		before := reader.gets
		got, kept := o.pollWith(ctx, tg, nil, acc)
		if got.Failure != wantFailure || reader.gets-before != wantGets {
			t.Fatalf("%s: failure %q (%s) after %d Secret reads; want %q after %d", step, got.Failure, got.Message, reader.gets-before, wantFailure, wantGets)
		}
		return kept
	}
	acc := poll("first poll", nil, 1, "")
	if acc == nil || acc.unproven {
		t.Fatal("credentials Neo4j accepted are kept")
	}
	if again := poll("calm poll", acc, 0, ""); again != acc {
		t.Error("the same credentials are kept")
	}
	tg.SecretVersion = "8" // the reconcile read an edited Secret
	acc = poll("after an edit", acc, 1, "")
	if again := poll("calm again", acc, 0, ""); again != acc {
		t.Error("credentials read after the edit are kept")
	}
	o.SecretRecheck = time.Millisecond
	time.Sleep(2 * time.Millisecond)
	acc = poll("after SecretRecheck", acc, 1, "")
	o.SecretRecheck = time.Hour

	wrong := *acc
	wrong.creds.Password = "rotated-in-neo4j"
	if kept := poll("refused", &wrong, 0, neo4j.AuthFailed); kept != nil {
		t.Error("refused credentials are dropped")
	}

	tg.Addresses = []string{"127.0.0.1:1"} // nothing answers
	if kept := poll("unreachable, kept credentials", acc, 0, neo4j.Unavailable); kept != acc {
		t.Error("a poll nobody answered keeps credentials accepted before")
	}
	if kept := poll("unreachable, fresh read", nil, 1, neo4j.Unavailable); kept != nil {
		t.Error("credentials nobody accepted are not kept")
	}
}

func TestKeptCredentialsAreUsableOnlyForTheirSecret(t *testing.T) {
	now := time.Now()
	base := accepted{secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, key: "NEO4J_AUTH", version: "9", target: "7", readAt: now.Add(-time.Minute)}
	tg := Target{Secret: base.secret, Key: base.key, SecretVersion: "7"}
	cases := []struct {
		name    string
		edit    func(*Target)
		recheck time.Duration
		want    bool
	}{
		{"unchanged", func(*Target) {}, 0, true},
		{"the reconcile caught up with the version read", func(t *Target) { t.SecretVersion = "9" }, 0, true},
		{"the reconcile saw another version", func(t *Target) { t.SecretVersion = "10" }, 0, false},
		{"another Secret", func(t *Target) { t.Secret.Name = "other" }, 0, false},
		{"another key", func(t *Target) { t.Key = "AUTH" }, 0, false},
		{"younger than the recheck", func(*Target) {}, 2 * time.Minute, true},
		{"as old as the recheck", func(*Target) {}, time.Minute, false},
	}
	for _, c := range cases {
		target := tg
		c.edit(&target)
		a := base
		if got := a.usable(target, c.recheck, now); got != c.want {
			t.Errorf("%s: usable %v, want %v", c.name, got, c.want)
		}
	}
	var none *accepted
	if none.usable(tg, 0, now) || none.kept() != nil {
		t.Error("no credentials are never usable")
	}
}

// statusCheckCluster is a fake 3+1 cluster, formed and Available, with
// observers reaching it.
func statusCheckCluster(t *testing.T, release string) (*fakecluster.Cluster, *Observers, Target) {
	t.Helper()
	c := fakecluster.New(fakecluster.Options{Password: "pw-12345678", CatchUp: time.Nanosecond, AutoEnable: true,
		InitialPrimaries: 3, DefaultPrimaries: 3, DefaultSecondaries: 1, Release: release})
	t.Cleanup(c.Close)
	var addrs []string
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-secondary-0"} {
		a := n + "-internals.ns.svc.cluster.local:7687"
		addrs = append(addrs, a)
		if err := c.SetPod(n, a, strings.HasPrefix(n, "g-secondary"), true); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Millisecond) // CatchUp
	reader := fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "auth"}, Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/pw-12345678")}}).Build()
	o := New(reader, neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}, time.Minute, 5*time.Second)
	return c, o, Target{Cluster: types.NamespacedName{Namespace: "ns", Name: "g"}, Addresses: addrs,
		Secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, Key: "NEO4J_AUTH", CalVer: true}
}

// asked are the servers the fake logged a status check from, in order.
func asked(c *fakecluster.Cluster) []string {
	var out []string
	for _, cmd := range c.Commands() {
		if cmd.Text == neo4j.StatusCheckQuery {
			out = append(out, cmd.Server)
		}
	}
	sort.Strings(out)
	return out
}

// A calm poll asks no status check; a poll for a roll asks every server
// hosting a primary copy once (the one that answered the poll on its
// connection), not the secondary, and keeps every answer.
func TestStatusCheckOnlyWhenARollNeedsIt(t *testing.T) {
	c, o, tg := statusCheckCluster(t, "")
	ctx := context.Background()
	calm := o.Poll(ctx, tg, nil)
	if calm.Failure != "" || calm.Replication != nil || len(asked(c)) != 0 {
		t.Fatalf("a calm poll: %s %s, replication %+v, asked %v", calm.Failure, calm.Message, calm.Replication, asked(c))
	}
	tg.StatusCheck = true
	got := o.Poll(ctx, tg, nil)
	if got.Failure != "" || got.Replication == nil {
		t.Fatalf("a roll's poll: %s %s", got.Failure, got.Message)
	}
	if a := asked(c); !reflect.DeepEqual(a, []string{"g-primary-0", "g-primary-1", "g-primary-2"}) {
		t.Errorf("asked %v, want each primary host once", a)
	}
	var servers []string
	for _, sc := range got.Replication.Checks {
		servers = append(servers, sc.Server)
		if sc.Failure != "" || len(sc.Rows) != 6 { // neo4j and system, three members each
			t.Errorf("%s: %s, %d rows", sc.Server, sc.Failure, len(sc.Rows))
		}
		for _, r := range sc.Rows {
			if !r.ReplicationSuccessful || r.MemberStatus != neo4j.MemberApplying || r.RecognisedLeader == "" ||
				r.Requester != (r.Address == sc.Server) {
				t.Errorf("%s: row %+v", sc.Server, r)
			}
		}
	}
	if !reflect.DeepEqual(servers, tg.Addresses[:3]) {
		t.Errorf("answers from %v", servers)
	}
	if got.Replication.Unsupported() {
		t.Error("a release with the procedure is not Unsupported")
	}
	if got.Digest() != calm.Digest() {
		t.Error("the status check changed the digest: a roll's polls would wake reconciles")
	}
}

// A primary host the operator cannot reach has its failure recorded; the
// others still answer. A member made to lag is reported so.
func TestStatusCheckFailuresAreKeptPerServer(t *testing.T) {
	c, o, tg := statusCheckCluster(t, "")
	c.SetLagging("g-primary-1", true)
	o.Dialer.Resolve = func(hostport string) string {
		if strings.HasPrefix(hostport, "g-primary-2-") {
			return "127.0.0.1:1" // nothing listens
		}
		return c.Resolve(hostport)
	}
	tg.StatusCheck = true
	got := o.Poll(context.Background(), tg, nil)
	if got.Failure != "" || got.Replication == nil || len(got.Replication.Checks) != 3 {
		t.Fatalf("%s %s %+v", got.Failure, got.Message, got.Replication)
	}
	byServer := map[string]StatusCheck{}
	for _, sc := range got.Replication.Checks {
		byServer[sc.Server] = sc
	}
	if sc := byServer[tg.Addresses[2]]; sc.Failure != neo4j.Unavailable || sc.Rows != nil {
		t.Errorf("the unreachable server: %+v", sc)
	}
	for _, r := range byServer[tg.Addresses[0]].Rows {
		if lagging := r.Address == tg.Addresses[1]; lagging != (r.MemberStatus == neo4j.MemberUnavailable) {
			t.Errorf("g-primary-0's view: %+v", r)
		}
	}
	for _, r := range byServer[tg.Addresses[1]].Rows {
		if r.ReplicationSuccessful {
			t.Errorf("a lagging server cannot replicate: %+v", r)
		}
	}
}

// A release without the procedure: every server answers
// ProcedureNotFound, and the poll itself still answers.
func TestStatusCheckUnsupported(t *testing.T) {
	_, o, tg := statusCheckCluster(t, "5.23")
	tg.StatusCheck = true
	got := o.Poll(context.Background(), tg, nil)
	if got.Failure != "" || !got.Replication.Unsupported() {
		t.Fatalf("%s %s %+v", got.Failure, got.Message, got.Replication)
	}
}

// NeedStatusCheck polls at once, at the busy interval while it lasts, and
// survives Ensure (the reconcile's target does not carry it).
func TestNeedStatusCheckSchedules(t *testing.T) {
	o := newObservers()
	key := types.NamespacedName{Namespace: "ns", Name: "g"}
	o.NeedStatusCheck(key, true) // unknown cluster: nothing
	o.Ensure(Target{Cluster: key})
	e := o.due(time.Now())[0]
	o.record(context.Background(), e, obs("Available", 1))
	<-o.Events
	if wait := time.Until(e.next); wait < 50*time.Second {
		t.Fatalf("a calm cluster is polled at the calm interval, next in %v", wait)
	}
	o.NeedStatusCheck(key, true)
	o.Ensure(Target{Cluster: key})
	if due := o.due(time.Now()); len(due) != 1 {
		t.Fatal("turning it on polls at once")
	}
	o.mu.Lock()
	need := e.statusCheck
	o.mu.Unlock()
	if !need {
		t.Error("Ensure dropped the need")
	}
	o.NeedStatusCheck(key, true) // asked again during the poll: no rush
	o.record(context.Background(), e, obs("Available", 2))
	if wait := time.Until(e.next); wait > 2*time.Second || wait < 500*time.Millisecond {
		t.Errorf("while a roll needs it, the busy interval: next in %v", wait)
	}
	o.NeedStatusCheck(key, false)
	e.polling = true
	o.NeedStatusCheck(key, true) // turned on while a poll without it runs
	o.record(context.Background(), e, obs("Available", 3))
	if wait := time.Until(e.next); wait > 0 {
		t.Errorf("the poll that ran without it is followed at once, next in %v", wait)
	}
}

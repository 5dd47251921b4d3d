package rollout

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
)

// From the FAKE cluster through a real poll to the gate: a primary that
// falls behind while SHOW SERVERS still calls it Available passes the old
// gate and fails the new one; caught up again, the roll may go on.
func TestGateOnTheFakeCluster(t *testing.T) {
	c, o, tg := fakeCluster(t, nil)
	in := Input{Neo4jObserved: true, MaxLag: 1000}
	next := Subject{Next: "g-primary-2"}
	gate := func() (string, *Gate) {
		t.Helper()
		obs := o.Poll(context.Background(), tg, nil)
		if obs.Failure != "" {
			t.Fatalf("poll: %s %s", obs.Failure, obs.Message)
		}
		in.Neo4j = &obs
		got := ""
		if g := in.firstFailing(Neo4jGates, next); g != nil {
			got = g.String()
		}
		return got, in.firstFailing(oldNeo4jGates, next)
	}
	if got, old := gate(); got != "" || old != nil {
		t.Fatalf("healthy: new %q, old %v", got, old)
	}
	c.SetLagging("g-primary-1", true)
	got, old := gate()
	if want := "SafeToShutDown: neo4j: 1 of the other 2 primaries besides g-primary-2 are healthy, 2 needed: g-primary-1 cannot replicate, is UNAVAILABLE"; got != want {
		t.Errorf("a primary lagging:\n got  %q\n want %q", got, want)
	}
	if old != nil {
		t.Errorf("the old gate should have let it through: %v", old)
	}
	next = Subject{Next: "g-secondary-0"}
	if got, _ := gate(); got != "" {
		t.Errorf("a secondary may go while two of three primaries are healthy: %q", got)
	}
	next = Subject{Next: "g-primary-2"}
	c.SetLagging("g-primary-1", false)
	if got, _ := gate(); got != "" {
		t.Errorf("caught up again: %q", got)
	}
}

// Composite, read-only and sharded property databases (CalVer 2025.12)
// are read as the manual lists them: a composite has no writer and no
// lag, a sharded database's virtual row has neither (its graph shard
// does), a property shard has replicas. None of them holds a roll up.
func TestGateWithEveryShapeOfDatabase(t *testing.T) {
	_, o, tg := fakeCluster(t, func(c *fakecluster.Cluster) {
		c.AddComposite("library")
		c.SetReadOnly("neo4j", true)
		c.AddShardedDatabase("big", 3, 0, 2)
	})
	obs := o.Poll(context.Background(), tg, nil)
	if obs.Failure != "" {
		t.Fatalf("poll: %s %s", obs.Failure, obs.Message)
	}
	types := map[string]bool{}
	for _, d := range obs.Databases {
		types[d.Name+" "+d.Type] = true
	}
	for _, want := range []string{"library composite", "big standard", "big-g000 graph shard", "big-p000 property shard", "big-p001 property shard"} {
		if !types[want] {
			t.Errorf("the poll has no %q: %v", want, types)
		}
	}
	in := Input{Neo4jObserved: true, MaxLag: 1000, Neo4j: &obs}
	if g := in.firstFailing(Neo4jGates, Subject{Restarted: "g-primary-1", Next: "g-primary-2"}); g != nil {
		t.Errorf("the gate holds on a shape of database: %s", g)
	}
}

// fakeCluster is a FAKE cluster of three primaries and a secondary, shaped
// further by shape (nil: as formed), with an observer and the target that
// polls it for a roll (status checks on).
func fakeCluster(t *testing.T, shape func(*fakecluster.Cluster)) (*fakecluster.Cluster, *observer.Observers, observer.Target) {
	t.Helper()
	c := fakecluster.New(fakecluster.Options{Password: "pw-12345678", CatchUp: time.Nanosecond, AutoEnable: true,
		InitialPrimaries: 3, DefaultPrimaries: 3, DefaultSecondaries: 1})
	t.Cleanup(c.Close)
	var addrs []string
	for _, n := range []string{"g-primary-0", "g-primary-1", "g-primary-2", "g-secondary-0"} {
		addrs = append(addrs, addr(n))
		if err := c.SetPod(n, addr(n), n == "g-secondary-0", true); err != nil {
			t.Fatal(err)
		}
	}
	if shape != nil {
		shape(c)
	}
	time.Sleep(time.Millisecond) // CatchUp
	reader := fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "auth"},
		Data: map[string][]byte{"NEO4J_AUTH": []byte("neo4j/pw-12345678")}}).Build()
	o := observer.New(reader, neo4j.Dialer{Timeout: 2 * time.Second, Resolve: c.Resolve}, time.Minute, 5*time.Second)
	tg := observer.Target{Cluster: types.NamespacedName{Namespace: "ns", Name: "g"}, Addresses: addrs,
		Secret: types.NamespacedName{Namespace: "ns", Name: "auth"}, Key: "NEO4J_AUTH", CalVer: true, StatusCheck: true}
	return c, o, tg
}

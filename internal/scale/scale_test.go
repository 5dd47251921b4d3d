package scale

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

const (
	P = neo4jconf.Primary
	S = neo4jconf.Secondary
)

func cluster(p, s int32, mutate ...func(*v1alpha1.Neo4jEnterpriseCluster)) *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "g"}}
	c.Spec.Topology = v1alpha1.Topology{Primaries: p, Secondaries: s}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func scaling(dir v1alpha1.ScalingDirection, role string, step v1alpha1.ScalingStep, replicas int32, pods ...string) func(*v1alpha1.Neo4jEnterpriseCluster) {
	return func(c *v1alpha1.Neo4jEnterpriseCluster) {
		c.Status.Scaling = &v1alpha1.ScalingStatus{Direction: dir, Role: role, Servers: pods, Replicas: replicas, Step: step,
			StartedAt: metav1.NewTime(now.Add(-time.Minute)), LastTransitionTime: metav1.NewTime(now.Add(-time.Minute))}
	}
}

func addr(pod string) string { return pod + "-internals.ns.svc.cluster.local:7687" }

// srv is a server of pod, "id-<pod>", in a state, Available unless down.
func srv(pod, state string, hosting ...string) neo4j.Server {
	mode := "NONE"
	if strings.Contains(pod, "secondary") {
		mode = "SECONDARY"
	}
	return neo4j.Server{ID: "id-" + pod, Name: "id-" + pod, Address: addr(pod), State: state, Health: neo4j.HealthAvailable,
		Hosting: append([]string{"system"}, hosting...), ModeConstraint: mode}
}

func down(s neo4j.Server) neo4j.Server { s.Health = "Unavailable"; return s }

// db is a database's rows: primaries and secondaries hosting it, all online.
func db(name string, reqP, reqS int, primaries []string, secondaries []string) []neo4j.Database {
	var out []neo4j.Database
	for i, pod := range append(append([]string{}, primaries...), secondaries...) {
		role := "primary"
		if i >= len(primaries) {
			role = "secondary"
		}
		out = append(out, neo4j.Database{Name: name, Address: addr(pod), Role: role, Writer: i == 0,
			RequestedStatus: "online", CurrentStatus: "online",
			RequestedPrimaries: int64(reqP), RequestedSecondaries: int64(reqS),
			CurrentPrimaries: int64(len(primaries)), CurrentSecondaries: int64(len(secondaries))})
	}
	return out
}

func pods(role string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("g-%s-%d", role, i))
	}
	return out
}

// healthy is a formed cluster of p primaries and s secondaries, neo4j on
// min(3,p) primaries and every secondary.
func healthy(p, s int) *observer.Observation { return healthyN(p, s, s) }

// healthyN has neo4j on ns secondaries.
func healthyN(p, s, ns int) *observer.Observation {
	o := &observer.Observation{At: now}
	np := min(p, 3)
	for _, pod := range pods("primary", p) {
		o.Servers = append(o.Servers, srv(pod, neo4j.StateEnabled, "neo4j"))
	}
	for _, pod := range pods("secondary", s) {
		o.Servers = append(o.Servers, srv(pod, neo4j.StateEnabled, "neo4j"))
	}
	o.Databases = append(o.Databases, db("system", p, s, pods("primary", p), pods("secondary", s))...)
	o.Databases = append(o.Databases, db("neo4j", np, ns, pods("primary", np), pods("secondary", ns))...)
	return o
}

func with(o *observer.Observation, f func(o *observer.Observation)) *observer.Observation {
	f(o)
	return o
}

func setServer(pod string, s neo4j.Server) func(o *observer.Observation) {
	return func(o *observer.Observation) {
		for i := range o.Servers {
			if strings.HasPrefix(o.Servers[i].Address, pod+"-internals") {
				o.Servers[i] = s
				return
			}
		}
		o.Servers = append(o.Servers, s)
	}
}

// rollingNow marks a roll in progress (status.rollout).
func rollingNow(c *v1alpha1.Neo4jEnterpriseCluster) {
	c.Status.Rollout = &v1alpha1.RolloutStatus{}
}

func input(c *v1alpha1.Neo4jEnterpriseCluster, curP, curS int32, o *observer.Observation) Input {
	return Input{Cluster: c, Current: map[neo4jconf.Role]int32{P: curP, S: curS}, Neo4j: o, Fresh: true, CacheSynced: true,
		Now: now, StuckAfter: 10 * time.Minute}
}

type want struct {
	replicas   [2]int32
	step       v1alpha1.ScalingStep // "" for no operation
	pods       []string
	transition bool
	commands   []Command
	waiting    string // substring
	issue      string // substring of the first issue's message
	reason     string // the first issue's reason
}

func TestDecide(t *testing.T) {
	in := func(step v1alpha1.ScalingStep, pod string, replicas int32) func(*v1alpha1.Neo4jEnterpriseCluster) {
		role := "primary"
		if strings.Contains(pod, "secondary") {
			role = "secondary"
		}
		return scaling(v1alpha1.ScaleIn, role, step, replicas, pod)
	}
	p4 := "g-primary-4"
	for _, tc := range []struct {
		name string
		in   Input
		want want
	}{
		{"steady: nothing to do", input(cluster(3, 1), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}}},
		{"a scale-in waits for a roll in progress", input(cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Status.Rollout = &v1alpha1.RolloutStatus{Pod: "g-secondary-0"}
		}), 5, 1, healthy(5, 1)),
			want{replicas: [2]int32{5, 1}, waiting: "scale-in waits for the roll in progress"}},
		{"a scale-out waits for a roll in progress: the StatefulSet is held", input(cluster(5, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Status.Rollout = &v1alpha1.RolloutStatus{Pod: "g-secondary-0"}
		}), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, waiting: "scale-out waits for the roll in progress"}},
		{"no poll yet: nothing shrinks, scale-in waits", input(cluster(3, 1), 5, 1, nil),
			want{replicas: [2]int32{5, 1}, waiting: "waiting for Neo4j"}},
		{"scale-out starts: the StatefulSet grows at once", input(cluster(5, 1), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepEnableServers, pods: []string{"g-primary-3", "g-primary-4"}, transition: true}},
		{"scale-out: free servers are enabled, secondaries with their mode",
			input(cluster(5, 2, scaling(v1alpha1.ScaleOut, "primary", v1alpha1.StepEnableServers, 5, "g-primary-3", "g-primary-4")), 5, 2,
				with(healthy(3, 1), func(o *observer.Observation) {
					setServer("g-primary-3", srv("g-primary-3", neo4j.StateFree))(o)
					setServer("g-secondary-1", srv("g-secondary-1", neo4j.StateFree))(o)
				})),
			want{replicas: [2]int32{5, 2}, step: v1alpha1.StepEnableServers, pods: []string{"g-primary-3", "g-primary-4"},
				commands: []Command{{Kind: Enable, Server: "id-g-primary-3", Mode: "NONE"}, {Kind: Enable, Server: "id-g-secondary-1", Mode: "SECONDARY"}},
				waiting:  "enabled and Available: g-primary-3, g-primary-4"}},
		{"scale-out: commands wait for a poll newer than the last command",
			func() Input {
				i := input(cluster(5, 1), 5, 1, with(healthy(4, 1), setServer("g-primary-4", srv("g-primary-4", neo4j.StateFree))))
				i.Fresh = false
				return i
			}(),
			want{replicas: [2]int32{5, 1}, waiting: "newer than the last command"}},
		{"scale-out done: the operation ends, topology follows the secondaries",
			input(cluster(5, 2, scaling(v1alpha1.ScaleOut, "secondary", v1alpha1.StepEnableServers, 2, "g-secondary-1")), 5, 2, healthy(5, 2)),
			want{replicas: [2]int32{5, 2}, transition: true}},
		{"scale-out done, reallocation asked: Reallocate",
			input(cluster(5, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.ReallocateOnScaleOut = true },
				scaling(v1alpha1.ScaleOut, "primary", v1alpha1.StepEnableServers, 5, "g-primary-3", "g-primary-4")), 5, 1, healthy(5, 1)),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepReallocate, pods: []string{"g-primary-3", "g-primary-4"}, transition: true}},
		{"Reallocate: sent once, and the operation ends",
			input(cluster(5, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.ReallocateOnScaleOut = true },
				scaling(v1alpha1.ScaleOut, "primary", v1alpha1.StepReallocate, 5, "g-primary-3", "g-primary-4")), 5, 1, healthy(5, 1)),
			want{replicas: [2]int32{5, 1}, transition: true, commands: []Command{{Kind: Reallocate}}}},
		{"scale-in starts with the highest ordinal, secondaries first", input(cluster(3, 1), 5, 2, healthyN(5, 2, 1)),
			want{replicas: [2]int32{5, 2}, step: v1alpha1.StepCordon, pods: []string{"g-secondary-1"}, transition: true}},
		{"scale-in waits for a healthy cluster", input(cluster(3, 1), 5, 1, with(healthy(5, 1), setServer("g-primary-1", down(srv("g-primary-1", neo4j.StateEnabled, "neo4j"))))),
			want{replicas: [2]int32{5, 1}, waiting: "every enabled server is Available"}},
		{"Neo4j unreachable mid-operation: the step holds, nothing is sent, nothing shrinks",
			input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, &observer.Observation{At: now, Failure: neo4j.Unavailable, Message: "none answered"}),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, waiting: "waiting for Neo4j to answer"}},
		{"Neo4j unreachable at Drop: the shrunk StatefulSet stays shrunk",
			input(cluster(3, 1, in(v1alpha1.StepDrop, p4, 3)), 4, 1, &observer.Observation{At: now, Failure: neo4j.Timeout}),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepDrop, pods: []string{p4}, waiting: "waiting for Neo4j to answer"}},
		{"Cordon: cordons the server", input(cluster(3, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, healthy(5, 1)),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepCordon, pods: []string{p4}, commands: []Command{{Kind: DryRun, Server: "id-" + p4}, {Kind: Cordon, Server: "id-" + p4}}}},
		{"Cordon: a dry run Neo4j refused is reported, and neither it nor the cordon is sent again before its backoff", func() Input {
			i := input(cluster(3, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, healthy(5, 1))
			i.Refused = &observer.Refusal{Kind: "dryrun-deallocate", Server: "id-" + p4, At: now.Add(-5 * time.Second), Attempts: 1, Message: "Neo.ClientError.Cluster.X: a hosted database is offline"}
			return i
		}(), want{replicas: [2]int32{5, 1}, step: v1alpha1.StepCordon, pods: []string{p4}, reason: "DeallocationRefused",
			issue: "Neo4j's dry run refuses to deallocate g-primary-4: Neo.ClientError.Cluster.X: a hosted database is offline; it is not cordoned", waiting: "Neo4j refused dryrun-deallocate id-g-primary-4 1 times"}},
		{"Cordon: a stale poll sends nothing",
			func() Input {
				i := input(cluster(3, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, healthy(5, 1))
				i.Fresh = false
				return i
			}(),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepCordon, pods: []string{p4}, waiting: "newer than the last command"}},
		{"Cordon done (seen after a restart too): Deallocate",
			input(cluster(3, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned)))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, transition: true}},
		{"Cordon refused: it would cost the system quorum",
			input(cluster(2, 0, in(v1alpha1.StepCordon, "g-primary-2", 2)), 3, 0, with(healthy(3, 0), func(o *observer.Observation) {
				for i := range o.Databases {
					if o.Databases[i].Name == "system" && strings.HasPrefix(o.Databases[i].Address, "g-primary-1") {
						o.Databases[i].CurrentStatus = "unknown"
					}
				}
			})),
			want{replicas: [2]int32{3, 0}, step: v1alpha1.StepCordon, pods: []string{"g-primary-2"}, reason: "SystemQuorum",
				issue: "removing g-primary-2 would lose the system database's quorum: 1 of its 3 primaries would be online, a majority is 2"}},
		{"refused at the start: the system quorum would not survive the first removal",
			input(cluster(2, 0), 3, 0, with(healthy(3, 0), func(o *observer.Observation) {
				for i := range o.Databases {
					if o.Databases[i].Name == "system" && strings.HasPrefix(o.Databases[i].Address, "g-primary-1") {
						o.Databases[i].CurrentStatus = "unknown"
					}
				}
			})),
			want{replicas: [2]int32{3, 0}, reason: "SystemQuorum", issue: "removing g-primary-2 would lose the system database's quorum",
				waiting: "the topology of neo4j is lowered once"}},
		{"Cordon cancelled: the spec keeps the server", input(cluster(5, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned)))),
			want{replicas: [2]int32{5, 1}, transition: true, commands: []Command{{Kind: Enable, Server: "id-" + p4}}}},
		{"a server someone else cordoned is left alone", input(cluster(5, 1), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned)))),
			want{replicas: [2]int32{5, 1}}},
		{"Deallocate called off while still only cordoned: enabled again", input(cluster(5, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned, "neo4j")))),
			want{replicas: [2]int32{5, 1}, transition: true, commands: []Command{{Kind: Enable, Server: "id-" + p4}}}},
		// Issue 26, point 8: Deallocated is the signal; a composite database
		// stays in hosting on every server (servers.adoc).
		{"Deallocated with a composite database in hosting: Drop", input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocated, "library")))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDrop, pods: []string{p4}, transition: true}},
		{"Deallocating cannot be called off: the removal goes on", input(cluster(5, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocating, "neo4j")))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, waiting: "still hosts neo4j"}},
		{"a server with no address stops a removal", input(cluster(3, 1, in(v1alpha1.StepCordon, p4, 3)), 5, 1, with(healthy(5, 1), func(o *observer.Observation) {
			for i := range o.Servers {
				if strings.HasPrefix(o.Servers[i].Address, p4) {
					o.Servers[i].Address = ""
				}
			}
		})),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepCordon, pods: []string{p4}, reason: "ServerUnknown", issue: "1 servers in SHOW SERVERS have no address"}},
		{"a refused CREATE is reported and held back", func() Input {
			i := input(cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales"}}
			}), 3, 1, healthy(3, 1))
			i.Refused = &observer.Refusal{Kind: "create-database", Server: "sales", At: now.Add(-20 * time.Second), Attempts: 2, Message: "Neo.ClientError.Database.Nope: no"}
			return i
		}(), want{replicas: [2]int32{3, 1}, waiting: "Neo4j refused create-database sales 2 times; trying again after 30s",
			reason: "TopologyRefused", issue: "Neo4j refused to create database sales (3 primaries, 1 secondaries): Neo.ClientError.Database.Nope: no"}},
		{"Deallocate: deallocates", input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned, "neo4j")))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, commands: []Command{{Kind: Deallocate, Server: "id-" + p4}}}},
		{"Deallocate refused: the condition says Neo4j's words, nothing shrinks",
			func() Input {
				i := input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateCordoned, "neo4j"))))
				i.Refused = &observer.Refusal{Kind: "deallocate", Server: "id-" + p4, At: now.Add(-time.Minute), Attempts: 1,
					Message: "Neo.ClientError.Cluster.NotEnoughServers: deallocating would leave foo with too few primary servers"}
				return i
			}(),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, commands: []Command{{Kind: Deallocate, Server: "id-" + p4}},
				reason: "DeallocationRefused", issue: "Neo4j refused to deallocate g-primary-4: Neo.ClientError.Cluster.NotEnoughServers: deallocating would leave foo"}},
		{"Deallocating: waits, naming what it still hosts", input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocating, "neo4j", "foo")))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, waiting: "deallocating g-primary-4: it still hosts foo, neo4j"}},
		{"Deallocating too long: DeallocationStuck names the databases",
			func() Input {
				i := input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocating, "neo4j"))))
				i.StuckAfter = 30 * time.Second
				return i
			}(),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDeallocate, pods: []string{p4}, waiting: "still hosts neo4j",
				reason: "DeallocationStuck", issue: "g-primary-4 has been deallocating for more than 30s and still hosts neo4j"}},
		// The manual's order: DROP SERVER while the process runs, then the
		// process stops (servers.adoc: "Once this command has been executed
		// successfully, the Neo4j process on the server in question may be
		// stopped").
		{"Deallocated: Drop, the StatefulSet kept", input(cluster(3, 1, in(v1alpha1.StepDeallocate, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocated)))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDrop, pods: []string{p4}, transition: true}},
		{"Drop: drops the running server", input(cluster(3, 1, in(v1alpha1.StepDrop, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocated)))),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDrop, pods: []string{p4}, commands: []Command{{Kind: Drop, Server: "id-" + p4}}}},
		{"Drop refused: the condition says so, no further server",
			func() Input {
				i := input(cluster(3, 1, in(v1alpha1.StepDrop, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDeallocated))))
				i.Refused = &observer.Refusal{Kind: "drop", Server: "id-" + p4, At: now.Add(-5 * time.Second), Attempts: 1,
					Message: "Neo.ClientError.Cluster.InvalidServerState: no"}
				return i
			}(),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepDrop, pods: []string{p4}, waiting: "Neo4j refused drop id-g-primary-4 1 times; trying again after 15s",
				reason: "DropRefused", issue: "Neo4j refused to drop server g-primary-4 (Deallocated): Neo.ClientError.Cluster.InvalidServerState: no"}},
		{"Dropped, still running: Shrink, by one, and no ServerDropped issue for the leaving pod", input(cluster(3, 1, in(v1alpha1.StepDrop, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDropped)))),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepShrink, pods: []string{p4}, transition: true}},
		{"Shrink: the StatefulSet is written to 4", input(cluster(3, 1, in(v1alpha1.StepShrink, p4, 3)), 5, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDropped)))),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepShrink, pods: []string{p4}, waiting: "shrinking the primary StatefulSet to 4"}},
		{"Shrink seen but the cache is behind our last write: waits",
			func() Input {
				i := input(cluster(3, 1, in(v1alpha1.StepShrink, p4, 3)), 4, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDropped))))
				i.CacheSynced = false
				return i
			}(),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepShrink, pods: []string{p4}, waiting: "cache"}},
		{"Shrink done: WaitPodGone", input(cluster(3, 1, in(v1alpha1.StepShrink, p4, 3)), 4, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDropped)))),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepWaitPodGone, pods: []string{p4}, transition: true}},
		{"WaitPodGone: waits for the pod", input(cluster(3, 1, in(v1alpha1.StepWaitPodGone, p4, 3)), 4, 1, with(healthy(5, 1), setServer(p4, srv(p4, neo4j.StateDropped)))),
			want{replicas: [2]int32{4, 1}, step: v1alpha1.StepWaitPodGone, pods: []string{p4}, waiting: "pod g-primary-4 to be gone"}},
		{"pod gone, its dropped server with it: the next server, from Cordon", func() Input {
			i := input(cluster(3, 1, in(v1alpha1.StepWaitPodGone, p4, 3)), 4, 1, healthy(4, 1))
			i.PodGone = true
			return i
		}(), want{replicas: [2]int32{4, 1}, step: v1alpha1.StepCordon, pods: []string{"g-primary-3"}, transition: true}},
		{"the last one gone: the scale-in ends", func() Input {
			i := input(cluster(3, 1, in(v1alpha1.StepWaitPodGone, "g-primary-3", 3)), 3, 1, healthy(3, 1))
			i.PodGone = true
			return i
		}(), want{replicas: [2]int32{3, 1}, transition: true}},
		// An operator of the older order stopped the pod before the DROP:
		// dropped now, then the removal goes on.
		{"stopped before its DROP (the older order): dropped now", func() Input {
			i := input(cluster(3, 1, in(v1alpha1.StepWaitPodGone, p4, 3)), 4, 1, with(healthy(5, 1), setServer(p4, down(srv(p4, neo4j.StateDeallocated)))))
			i.PodGone = true
			return i
		}(), want{replicas: [2]int32{4, 1}, step: v1alpha1.StepWaitPodGone, pods: []string{p4}, commands: []Command{{Kind: Drop, Server: "id-" + p4}}}},
		{"refused: a declared database needs more servers than are left",
			input(cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: ptr(3), Secondaries: ptr(2)}}}
			}), 3, 2, with(healthy(3, 2), func(o *observer.Observation) {
				o.Databases = append(o.Databases, db("sales", 3, 2, pods("primary", 3), pods("secondary", 2))...)
			})),
			want{replicas: [2]int32{3, 2}, reason: "ScaleInRefused", waiting: "the topology of neo4j is lowered once",
				issue: "scale-in to 3 primaries and 0 secondaries refused: database sales needs 3 primaries and 2 secondaries (5 servers, 3 of them primaries); lower it in spec.databases first. Nothing was changed"}},
		{"refused: an undeclared database keeps its topology",
			input(cluster(3, 1), 5, 2, with(healthy(5, 2), func(o *observer.Observation) {
				o.Databases = append(o.Databases, db("foo", 3, 2, pods("primary", 3), pods("secondary", 2))...)
			})),
			want{replicas: [2]int32{5, 2}, reason: "ScaleInRefused", waiting: "the topology of neo4j is lowered once", issue: "database foo needs 3 primaries and 2 secondaries (5 servers, 3 of them primaries); it is not in spec.databases"}},
		{"refused: neo4j cannot go to one primary, so one primary server is not enough", input(cluster(1, 0), 3, 0, healthy(3, 0)),
			want{replicas: [2]int32{3, 0}, reason: "ScaleInRefused", issue: "database neo4j needs 3 primaries"}},
		// Issue 26, point 2: the leaving server is cordoned before neo4j's
		// topology is lowered, so Neo4j drops its copy (servers.adoc:
		// "allocations on cordoned servers are removed first").
		{"cordon first: a scale-in that lowers neo4j's secondaries starts with the cordon, no ALTER", input(cluster(3, 1), 3, 2, healthy(3, 2)),
			want{replicas: [2]int32{3, 2}, step: v1alpha1.StepCordon, pods: []string{"g-secondary-1"}, transition: true}},
		{"cordon first: no dry run while a lowering is pending (it would count the old topology)", input(cluster(3, 1, in(v1alpha1.StepCordon, "g-secondary-1", 1)), 3, 2, healthy(3, 2)),
			want{replicas: [2]int32{3, 2}, step: v1alpha1.StepCordon, pods: []string{"g-secondary-1"}, commands: []Command{{Kind: Cordon, Server: "id-g-secondary-1"}}}},
		{"then the topology is lowered, before any deallocation", input(cluster(3, 1, in(v1alpha1.StepDeallocate, "g-secondary-1", 1)), 3, 2,
			with(healthy(3, 2), setServer("g-secondary-1", srv("g-secondary-1", neo4j.StateCordoned, "neo4j")))),
			want{replicas: [2]int32{3, 2}, step: v1alpha1.StepDeallocate, pods: []string{"g-secondary-1"}, commands: []Command{{Kind: Alter, Database: "neo4j", Primaries: 3, Secondaries: 1}}, waiting: "lowering database topologies before deallocating g-secondary-1"}},
		{"the lowering goes one server at a time: 4 secondaries to 3 while g-secondary-3 leaves, not straight to 1", input(cluster(3, 1, in(v1alpha1.StepDeallocate, "g-secondary-3", 1)), 3, 4,
			with(healthy(3, 4), setServer("g-secondary-3", srv("g-secondary-3", neo4j.StateCordoned, "neo4j")))),
			want{replicas: [2]int32{3, 4}, step: v1alpha1.StepDeallocate, pods: []string{"g-secondary-3"}, commands: []Command{{Kind: Alter, Database: "neo4j", Primaries: 3, Secondaries: 3}}, waiting: "lowering database topologies before deallocating g-secondary-3"}},
		{"then deallocated once lowered", input(cluster(3, 1, in(v1alpha1.StepDeallocate, "g-secondary-1", 1)), 3, 2,
			with(healthyN(3, 2, 1), setServer("g-secondary-1", srv("g-secondary-1", neo4j.StateCordoned)))),
			want{replicas: [2]int32{3, 2}, step: v1alpha1.StepDeallocate, pods: []string{"g-secondary-1"}, commands: []Command{{Kind: Deallocate, Server: "id-g-secondary-1"}}}},
		{"a lowering alone, with no server leaving, is sent at once", input(cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "neo4j", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, commands: []Command{{Kind: Alter, Database: "neo4j", Primaries: 3, Secondaries: 0}}}},
		// Issue 26, point 1: no administration command during a roll.
		{"during a roll, a database to create waits, and says so", input(cluster(3, 1, rollingNow, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, waiting: "administration commands wait for the roll to finish (Neo4j forbids them during a rolling upgrade): create-database sales"}},
		{"during a roll, a Free server is not enabled", input(cluster(3, 1, rollingNow), 3, 1, with(healthy(3, 1), setServer("g-secondary-0", srv("g-secondary-0", neo4j.StateFree)))),
			want{replicas: [2]int32{3, 1}, waiting: "administration commands wait for the roll to finish (Neo4j forbids them during a rolling upgrade): enable id-g-secondary-0"}},
		{"during a roll, a lowering waits too", input(cluster(3, 1, rollingNow, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "neo4j", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, waiting: "wait for the roll to finish (Neo4j forbids them during a rolling upgrade): set-topology neo4j"}},
		// Issue 26, point 3: at most 20 secondaries (clustering/introduction.adoc).
		{"the default secondaries of neo4j stop at 20", input(cluster(3, 25), 3, 25, healthy(3, 25)),
			want{replicas: [2]int32{3, 25}, commands: []Command{{Kind: Alter, Database: "neo4j", Primaries: 3, Secondaries: 20}}}},
		// Issue 26, point 10: servers' allowed and denied databases.
		{"a database waits when the servers that may host it are too few", input(cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), 3, 1, with(healthy(3, 1), func(o *observer.Observation) { o.Servers[2].Denied = []string{"sales"} })),
			want{replicas: [2]int32{3, 1}, waiting: "database sales waits for enough enabled servers: it needs 3 primaries and 0 secondaries; 3 servers are enabled, 2 of them can host primaries"}},
		{"a Free server with no address is enabled as the one pod without a server", input(cluster(3, 1), 3, 1, with(healthy(3, 1), func(o *observer.Observation) {
			o.Servers[3].State, o.Servers[3].Address = neo4j.StateFree, ""
		})), want{replicas: [2]int32{3, 1}, commands: []Command{{Kind: Enable, Server: "id-g-secondary-0", Mode: "SECONDARY"}}}},
		{"a declared database is created", input(cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, commands: []Command{{Kind: Create, Database: "sales", Primaries: 3, Secondaries: 0}}}},
		{"a seeded database is created from its seed", func() Input {
			i := input(cluster(3, 1, seededSales), 3, 1, healthy(3, 1))
			i.Seeds = map[string]Seed{"sales": {URI: "s3://b/p/sales-1/", Config: "region=eu-west-1"}}
			return i
		}(), want{replicas: [2]int32{3, 1}, commands: []Command{{Kind: Create, Database: "sales", Primaries: 3, Secondaries: 1, SeedURI: "s3://b/p/sales-1/", SeedConfig: "region=eu-west-1"}}}},
		{"a seeded database is never created empty: no seed yet", input(cluster(3, 1, seededSales), 3, 1, healthy(3, 1)),
			want{replicas: [2]int32{3, 1}, waiting: "database sales waits for its seed to be resolved"}},
		{"a seeded database waits for its backup", func() Input {
			i := input(cluster(3, 1, seededSales), 3, 1, healthy(3, 1))
			i.Seeds = map[string]Seed{"sales": {Wait: "Neo4jBackup sales-1 has not completed"}}
			return i
		}(), want{replicas: [2]int32{3, 1}, waiting: "database sales waits for its seed: Neo4jBackup sales-1 has not completed"}},
		{"an unusable seed is an issue", func() Input {
			i := input(cluster(3, 1, seededSales), 3, 1, healthy(3, 1))
			i.Seeds = map[string]Seed{"sales": {Problem: "Neo4jBackup sales-1 failed"}}
			return i
		}(), want{replicas: [2]int32{3, 1}, reason: "SeedUnusable", issue: "database sales is not created: Neo4jBackup sales-1 failed"}},
		{"a topology too big for the enabled servers waits for them", input(cluster(5, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "neo4j", Topology: v1alpha1.DatabaseTopology{Primaries: ptr(5)}}}
		}, scaling(v1alpha1.ScaleOut, "primary", v1alpha1.StepEnableServers, 5, "g-primary-3", "g-primary-4")), 5, 1, healthy(3, 1)),
			want{replicas: [2]int32{5, 1}, step: v1alpha1.StepEnableServers, pods: []string{"g-primary-3", "g-primary-4"}, waiting: "enabled and Available"}},
		{"a pod running a dropped server is reported", input(cluster(3, 1), 3, 1, with(healthy(3, 1), setServer("g-secondary-0", srv("g-secondary-0", neo4j.StateDropped)))),
			want{replicas: [2]int32{3, 1}, reason: "ServerDropped", issue: "pod g-secondary-0 runs server id-g-secondary-0, which Neo4j dropped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if got := [2]int32{d.Replicas[P], d.Replicas[S]}; got != tc.want.replicas {
				t.Errorf("replicas = %v, want %v", got, tc.want.replicas)
			}
			var step v1alpha1.ScalingStep
			var pods []string
			if d.Scaling != nil {
				step, pods = d.Scaling.Step, d.Scaling.Servers
			}
			if step != tc.want.step || !reflect.DeepEqual(pods, tc.want.pods) {
				t.Errorf("scaling = %q %v, want %q %v", step, pods, tc.want.step, tc.want.pods)
			}
			if d.Transition != tc.want.transition {
				t.Errorf("transition = %v, want %v", d.Transition, tc.want.transition)
			}
			if !reflect.DeepEqual(d.Commands, tc.want.commands) {
				t.Errorf("commands = %+v, want %+v", d.Commands, tc.want.commands)
			}
			if !strings.Contains(d.Waiting, tc.want.waiting) || (tc.want.waiting == "") != (d.Waiting == "") {
				t.Errorf("waiting = %q, want %q", d.Waiting, tc.want.waiting)
			}
			switch {
			case tc.want.issue == "" && len(d.Issues) > 0:
				t.Errorf("issues = %+v, want none", d.Issues)
			case tc.want.issue != "" && (len(d.Issues) == 0 || d.Issues[0].Reason != tc.want.reason || !strings.Contains(d.Issues[0].Message, tc.want.issue)):
				t.Errorf("issues = %+v, want %s: %q", d.Issues, tc.want.reason, tc.want.issue)
			}
		})
	}
}

func TestTransitionTimes(t *testing.T) {
	d := Decide(input(cluster(3, 1), 5, 1, healthy(5, 1)))
	if !d.Scaling.StartedAt.Time.Equal(now) || !d.Scaling.LastTransitionTime.Time.Equal(now) {
		t.Fatalf("a new operation starts now: %+v", d.Scaling)
	}
	c := cluster(3, 1, scaling(v1alpha1.ScaleIn, "primary", v1alpha1.StepCordon, 3, "g-primary-4"))
	d = Decide(input(c, 5, 1, with(healthy(5, 1), setServer("g-primary-4", srv("g-primary-4", neo4j.StateCordoned)))))
	if !d.Scaling.StartedAt.Time.Equal(now.Add(-time.Minute)) || !d.Scaling.LastTransitionTime.Time.Equal(now) {
		t.Fatalf("a step keeps the start and moves the transition: %+v", d.Scaling)
	}
}

func TestDeclared(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    *v1alpha1.Neo4jEnterpriseCluster
		want []Database
	}{
		{"neo4j by default, following the cluster", cluster(5, 2), []Database{{"neo4j", 3, 2, false}}},
		{"one primary", cluster(1, 0), []Database{{"neo4j", 1, 0, false}}},
		{"listed neo4j wins; others after", cluster(3, 1, func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", Topology: v1alpha1.DatabaseTopology{Primaries: ptr(1)}},
				{Name: "neo4j", Topology: v1alpha1.DatabaseTopology{Secondaries: ptr(0)}}}
		}), []Database{{"sales", 1, 1, false}, {"neo4j", 3, 0, false}}},
	} {
		if got := Declared(tc.c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPlacement(t *testing.T) {
	c := cluster(3, 1)
	o := with(healthy(3, 1), func(o *observer.Observation) {
		o.Databases = append(o.Databases, db("legacy", 1, 0, pods("primary", 1), nil)...)
	})
	d := Decide(input(c, 3, 1, o))
	want := Placement{Placed: true, Reason: "AsDeclared", Declared: map[string]bool{"neo4j": true},
		Message: "1 declared databases placed; not in spec.databases, kept as they are: legacy"}
	if !reflect.DeepEqual(d.Placement, want) {
		t.Fatalf("placement = %+v", d.Placement)
	}
	o.Databases[len(o.Databases)-2].CurrentStatus = "store copying" // a neo4j copy
	for i := range o.Databases {
		if o.Databases[i].Name == "neo4j" && o.Databases[i].Role == "secondary" {
			o.Databases[i].CurrentStatus = "store copying"
		}
	}
	d = Decide(input(c, 3, 1, o))
	if d.Placement.Placed || d.Placement.Reason != "Allocating" || !strings.HasPrefix(d.Placement.Message, "neo4j is not online on g-secondary-0 (store copying)") {
		t.Fatalf("placement = %+v", d.Placement)
	}
}

func ptr(n int32) *int32 { return &n }

func seededSales(c *v1alpha1.Neo4jEnterpriseCluster) {
	c.Spec.Databases = []v1alpha1.DatabaseSpec{{Name: "sales", SeedFrom: &v1alpha1.SeedSource{Backup: "sales-1"}}}
}

func restoreNeo4j(c *v1alpha1.Neo4jEnterpriseCluster) {
	c.Spec.Bootstrap = &v1alpha1.BootstrapSpec{FromBackup: []v1alpha1.DatabaseRestore{
		{Database: "neo4j", SeedSource: v1alpha1.SeedSource{URI: "s3://b/lost/neo4j-1/"}},
		{Database: "sales", SeedSource: v1alpha1.SeedSource{Backup: "sales-1"}},
	}}
}

func bootstrapped(state v1alpha1.BootstrapState) func(*v1alpha1.Neo4jEnterpriseCluster) {
	return func(c *v1alpha1.Neo4jEnterpriseCluster) {
		c.Status.Bootstrap = &v1alpha1.BootstrapStatus{State: state, SeedURI: "s3://b/lost/neo4j-1/", Since: metav1.NewTime(now), Message: "no such key"}
	}
}

// The restore of neo4j at bootstrap: once, on a fresh poll, with nothing
// else sent, once neo4j is online everywhere; reported, never resent,
// once recorded.
func TestBootstrap(t *testing.T) {
	seeds := map[string]Seed{"neo4j": {URI: "s3://b/lost/neo4j-1/"}, "sales": {URI: "s3://b/lost/sales-1/"}}
	in := func(c *v1alpha1.Neo4jEnterpriseCluster, o *observer.Observation, fresh bool, seeds map[string]Seed) Input {
		i := input(c, 3, 1, o)
		i.Fresh, i.Seeds = fresh, seeds
		return i
	}
	withSales := func(o *observer.Observation) {
		o.Databases = append(o.Databases, db("sales", 3, 1, pods("primary", 3), pods("secondary", 1))...)
	}
	recreate := &Command{Kind: Recreate, Database: "neo4j", Primaries: 3, Secondaries: 1, SeedURI: "s3://b/lost/neo4j-1/"}
	for _, tc := range []struct {
		name      string
		in        Input
		bootstrap *Command
		commands  []Command
		waiting   string
		issue     string
		skip      string
	}{
		{name: "the annotation without a status (status lost): skipped, never run twice",
			in: in(cluster(3, 1, restoreNeo4j, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Annotations = map[string]string{v1alpha1.AnnotationBootstrapped: "s3://b/lost/neo4j-1/ at 2026-12-01T00:00:00Z"}
			}), with(healthy(3, 1), withSales), true, seeds),
			skip: "says neo4j was restored already (s3://b/lost/neo4j-1/ at 2026-12-01T00:00:00Z) and status.bootstrap was lost"},
		{name: "neo4j older than the cluster object (kept volumes, a snapshot): skipped",
			in: in(cluster(3, 1, restoreNeo4j, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.CreationTimestamp = metav1.NewTime(now) }),
				with(with(healthy(3, 1), withSales), func(o *observer.Observation) {
					for i := range o.Databases {
						o.Databases[i].CreationTime = now.Add(-time.Hour)
					}
				}), true, seeds),
			skip: "neo4j was created at " + now.Add(-time.Hour).UTC().Format(time.RFC3339) + ", before this cluster object"},
		{name: "neo4j created after the cluster object: restored",
			in: in(cluster(3, 1, restoreNeo4j, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.CreationTimestamp = metav1.NewTime(now.Add(-time.Minute)) }),
				with(with(healthy(3, 1), withSales), func(o *observer.Observation) {
					for i := range o.Databases {
						o.Databases[i].CreationTime = now
					}
				}), true, seeds),
			bootstrap: recreate},
		{name: "a roll under way: waits",
			in: in(cluster(3, 1, restoreNeo4j, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Status.Rollout = &v1alpha1.RolloutStatus{Pod: "g-primary-0"}
			}),
				with(healthy(3, 1), withSales), true, seeds),
			waiting: "the restore of neo4j waits for the roll to finish"},
		{name: "formed, sales restored: neo4j is recreated from its seed",
			in: in(cluster(3, 1, restoreNeo4j), with(healthy(3, 1), withSales), true, seeds), bootstrap: recreate},
		{name: "the other restored databases are created from their seeds first, alone",
			in:       in(cluster(3, 1, restoreNeo4j), healthy(3, 1), true, seeds),
			commands: []Command{{Kind: Create, Database: "sales", Primaries: 3, Secondaries: 1, SeedURI: "s3://b/lost/sales-1/"}},
			waiting:  "the restore of neo4j waits for a quiet, fresh poll"},
		{name: "not on a stale poll",
			in: in(cluster(3, 1, restoreNeo4j), with(healthy(3, 1), withSales), false, seeds), waiting: "the restore of neo4j waits for a quiet, fresh poll"},
		{name: "neo4j not online everywhere yet",
			in: in(cluster(3, 1, restoreNeo4j), with(with(healthy(3, 1), withSales), func(o *observer.Observation) {
				for i := range o.Databases {
					if o.Databases[i].Name == "neo4j" && strings.HasPrefix(o.Databases[i].Address, "g-secondary-0") {
						o.Databases[i].CurrentStatus = "store copying"
					}
				}
			}), true, seeds), waiting: "waits for the database to be online on every allocation"},
		{name: "the seed is a backup not completed yet",
			in:      in(cluster(3, 1, restoreNeo4j), with(healthy(3, 1), withSales), true, map[string]Seed{"neo4j": {Wait: "Neo4jBackup neo4j-1 has not completed"}, "sales": seeds["sales"]}),
			waiting: "the restore of neo4j waits for its seed: Neo4jBackup neo4j-1 has not completed"},
		{name: "restored: nothing more",
			in: in(cluster(3, 1, restoreNeo4j, bootstrapped(v1alpha1.BootstrapRestored)), with(healthy(3, 1), withSales), true, seeds)},
		{name: "requested but unanswered: reported, never resent",
			in:    in(cluster(3, 1, restoreNeo4j, bootstrapped(v1alpha1.BootstrapRequested)), with(healthy(3, 1), withSales), true, seeds),
			issue: "the operator stopped while restoring neo4j from s3://b/lost/neo4j-1/"},
		{name: "refused: reported",
			in:    in(cluster(3, 1, restoreNeo4j, bootstrapped(v1alpha1.BootstrapFailed)), with(healthy(3, 1), withSales), true, seeds),
			issue: "Neo4j refused to restore neo4j from s3://b/lost/neo4j-1/: no such key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if !reflect.DeepEqual(d.Bootstrap, tc.bootstrap) {
				t.Errorf("bootstrap = %+v, want %+v", d.Bootstrap, tc.bootstrap)
			}
			if !strings.Contains(d.BootstrapSkip, tc.skip) || (tc.skip == "") != (d.BootstrapSkip == "") {
				t.Errorf("skip = %q, want %q", d.BootstrapSkip, tc.skip)
			}
			if !reflect.DeepEqual(d.Commands, tc.commands) {
				t.Errorf("commands = %+v, want %+v", d.Commands, tc.commands)
			}
			if !strings.Contains(d.Waiting, tc.waiting) || (tc.waiting == "") != (d.Waiting == "") {
				t.Errorf("waiting = %q, want %q", d.Waiting, tc.waiting)
			}
			switch {
			case tc.issue == "" && len(d.Issues) > 0:
				t.Errorf("issues = %+v, want none", d.Issues)
			case tc.issue != "" && (len(d.Issues) != 1 || !strings.Contains(d.Issues[0].Message, tc.issue)):
				t.Errorf("issues = %+v, want %q", d.Issues, tc.issue)
			}
		})
	}
}

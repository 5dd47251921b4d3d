package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// Poller is the Bolt poller's column: the same N clusters, each now
// backed by a FAKE Neo4j cluster (internal/testing/fake/cluster: one fake Bolt
// server per Neo4j server, in this process), the operator restarted with
// observation on at its deployed poll intervals.
type Poller struct {
	FakeServers int `json:"fakeServers"`
	// ReadySeconds is from the restart until every cluster reports Ready
	// with Neo4j's word (ServersHealthy).
	ReadySeconds float64 `json:"readySeconds"`
	// The steady window that follows.
	Seconds  float64  `json:"steadySeconds"`
	Requests Requests `json:"steadyRequests"`
	// PollsPerMin are SHOW SERVERS calls a minute; each poll opens one
	// Bolt connection (internal/observer) and sends SHOW SERVERS and SHOW
	// DATABASES on it. FailedPolls are those that did not answer ok;
	// Commands are Bolt calls other than the two SHOWs (0 when calm).
	PollsPerMin float64 `json:"pollsPerMinute"`
	FailedPolls float64 `json:"failedPolls"`
	Commands    float64 `json:"commands"`
	// CallP50ms and CallP99ms are the SHOW SERVERS calls' latency,
	// connection included (neo4j_operator_bolt_call_duration_seconds).
	CallP50ms float64 `json:"showServersP50ms"`
	CallP99ms float64 `json:"showServersP99ms"`
	// Sockets and goroutines of the operator, sampled every second of the
	// window (sockets: its /proc/<pid>/fd entries that are sockets: the
	// API server's connections, the metrics and probe listeners, and open
	// Bolt connections; goroutines: the total of pprof's goroutine
	// profile, far cheaper for the operator than a scrape of its metrics,
	// which at 1,000 clusters costs about 26 ms of CPU). Baselines are from
	// the steady state without observation.
	SocketsMax         int     `json:"socketsMax"`
	SocketsBaseline    int     `json:"socketsWithoutObservation"`
	GoroutinesMax      int     `json:"goroutinesMax"`
	GoroutinesBaseline int     `json:"goroutinesWithoutObservation"`
	CPUSecondsMin      float64 `json:"cpuSecondsPerMinute"`
	Reconciles         float64 `json:"reconciles"`
	RSSMiB             float64 `json:"rssMiB"`
	HeapMiB            float64 `json:"heapMiB"`
}

// sockets counts the process's open sockets.
func sockets(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// goroutines is the operator's goroutine count, from the first line of
// pprof's goroutine profile ("goroutine profile: total N").
func goroutines(pprofAddr string) (int, error) {
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscanf(line, "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("pprof goroutine profile: %q: %w", line, err)
	}
	return n, nil
}

// baseline records the operator's sockets and goroutines without
// observation, for the poller's column to be read against.
func (b *bench) baseline() error {
	var err error
	if b.report.Poller.GoroutinesBaseline, err = goroutines(b.pprof); err != nil {
		return err
	}
	b.report.Poller.SocketsBaseline, err = sockets(b.op.PID())
	return err
}

// poller backs every cluster with a fake Neo4j cluster, marks its
// StatefulSets' pods ready (no controller manager runs here), restarts
// the operator with observation on, waits until every cluster is Ready
// on Neo4j's word, and measures a steady window.
func (b *bench) poller(ctx context.Context) error {
	resolve := filepath.Join(b.lc.Dir, "neo4j-resolve")
	fakes, err := b.fakeNeo4j(ctx, resolve)
	defer func() {
		for _, f := range fakes {
			f.Close()
		}
	}()
	if err != nil {
		return err
	}
	if err := b.podsReady(ctx); err != nil {
		return err
	}
	b.op.Args = append(slices.DeleteFunc(b.op.Args, func(a string) bool { return a == "--neo4j-observe=false" }),
		"--neo4j-fake-resolve="+resolve)
	start := time.Now()
	if err := b.op.Restart(ctx); err != nil {
		return err
	}
	p := &b.report.Poller
	if p.ReadySeconds, err = b.waitReady(ctx, start, 15*time.Minute); err != nil {
		return err
	}
	say("poller: %d clusters Ready on Neo4j's word after %.1fs", len(b.clusters), p.ReadySeconds)
	time.Sleep(5 * time.Second) // the last status writes' events
	return b.pollerSteady(ctx)
}

// fakeNeo4j starts a fake Neo4j cluster per cluster, with the password of
// the Secret the operator generated, and writes the operator's resolve
// file: every advertised Bolt address to its fake listener.
func (b *bench) fakeNeo4j(ctx context.Context, resolve string) ([]*fakecluster.Cluster, error) {
	var fakes []*fakecluster.Cluster
	var lines []string
	for _, c := range b.clusters {
		fresh := &v1alpha1.Neo4jEnterpriseCluster{}
		if err := b.admin.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
			return fakes, err
		}
		secret := &corev1.Secret{}
		if err := b.admin.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: fresh.AuthSecretName()}, secret); err != nil {
			return fakes, fmt.Errorf("the auth Secret the operator generated: %w", err)
		}
		_, password, _ := strings.Cut(string(secret.Data[fresh.WithDefaults().Spec.Auth.SecretKey]), "/")
		t := fresh.Spec.Topology
		f := fakecluster.New(fakecluster.Options{Password: password, AutoEnable: true,
			DefaultPrimaries: int(t.Primaries), DefaultSecondaries: int(t.Secondaries), InitialPrimaries: int(t.Primaries)})
		fakes = append(fakes, f)
		addrs := render.BoltAddresses(fresh)
		for i, pod := range render.PodNames(fresh) {
			if err := f.SetPod(pod, addrs[i], strings.Contains(pod, "-secondary-"), true); err != nil {
				return fakes, err
			}
			lines = append(lines, addrs[i]+" "+f.Addr(pod))
		}
	}
	b.report.Poller.FakeServers = len(lines)
	sort.Strings(lines)
	return fakes, os.WriteFile(resolve, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// podsReady writes what the StatefulSet controller would once every pod
// of the current revision is Ready.
func (b *bench) podsReady(ctx context.Context) error {
	for _, c := range b.clusters {
		for _, role := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
			sts := &appsv1.StatefulSet{}
			if err := b.admin.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: render.StatefulSetName(c, role)}, sts); err != nil {
				return err
			}
			n := ptr.Deref(sts.Spec.Replicas, 1)
			sts.Status = appsv1.StatefulSetStatus{ObservedGeneration: sts.Generation, Replicas: n, ReadyReplicas: n,
				CurrentReplicas: n, UpdatedReplicas: n, AvailableReplicas: n,
				CurrentRevision: sts.Name + "-bench", UpdateRevision: sts.Name + "-bench"}
			if err := b.admin.Status().Update(ctx, sts); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitReady waits until every cluster is Ready with its servers healthy.
func (b *bench) waitReady(ctx context.Context, start time.Time, timeout time.Duration) (float64, error) {
	for {
		var list v1alpha1.Neo4jEnterpriseClusterList
		if err := b.admin.List(ctx, &list); err != nil {
			return 0, err
		}
		notReady, example := 0, ""
		for _, c := range list.Items {
			if !meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady) ||
				!meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionServersHealthy) {
				notReady++
				if cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady); cond != nil && example == "" {
					example = c.Name + ": " + cond.Message
				}
			}
		}
		if notReady == 0 {
			return round(time.Since(start).Seconds()), nil
		}
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("poller: %d clusters not Ready after %s (%s); operator log %s", notReady, timeout, example, b.op.LogPath)
		}
		time.Sleep(time.Second)
	}
}

// pollerSteady measures the steady window with observation on.
func (b *bench) pollerSteady(ctx context.Context) error {
	window := b.cfg.PollerSteady
	say("poller steady state for %s", window)
	before, err := b.sample()
	if err != nil {
		return err
	}
	p := &b.report.Poller
	start := time.Now()
	cpu := make(chan error, 1) // the window's CPU profile, when asked for
	go func() { cpu <- b.profile("poller-cpu", fmt.Sprintf("profile?seconds=%d", int(window.Seconds()))) }()
	for time.Since(start) < window {
		time.Sleep(time.Second)
		n, err := sockets(b.op.PID())
		if err != nil {
			return err
		}
		g, err := goroutines(b.pprof)
		if err != nil {
			return err
		}
		p.SocketsMax = max(p.SocketsMax, n)
		p.GoroutinesMax = max(p.GoroutinesMax, g)
	}
	end := time.Now()
	if err := <-cpu; err != nil {
		say("poller CPU profile: %v", err)
	}
	after, err := b.sample()
	if err != nil {
		return err
	}
	minutes := end.Sub(start).Minutes()
	delta := func(name string, want map[string]string) float64 {
		return sum(after.metrics, name, want) - sum(before.metrics, name, want)
	}
	p.Seconds = round(end.Sub(start).Seconds())
	if p.Requests, err = requests(b.lc, operatorproc.User, start, end); err != nil {
		return err
	}
	polls := delta("neo4j_operator_bolt_calls_total", map[string]string{"query": "show-servers"})
	p.PollsPerMin = round(polls / minutes)
	p.FailedPolls = polls - delta("neo4j_operator_bolt_calls_total", map[string]string{"query": "show-servers", "outcome": "ok"})
	p.Commands = delta("neo4j_operator_bolt_calls_total", nil) - polls - delta("neo4j_operator_bolt_calls_total", map[string]string{"query": "show-databases"})
	lat := histogram(before.metrics, after.metrics, "neo4j_operator_bolt_call_duration_seconds", map[string]string{"query": "show-servers"})
	p.CallP50ms, p.CallP99ms = lat.P50ms, lat.P99ms
	p.CPUSecondsMin = round((after.cpu - before.cpu) / minutes)
	p.Reconciles = delta("controller_runtime_reconcile_total", map[string]string{"controller": "neo4jenterprisecluster"})
	m, err := b.memory()
	p.RSSMiB, p.HeapMiB = m.RSSMiB, m.HeapMiB
	say("poller steady: %.1f polls/min, %d writes, %v, %.3f CPU s/min, sockets ≤ %d, goroutines ≤ %d",
		p.PollsPerMin, p.Requests.Writes, p.Requests.ByVerb, p.CPUSecondsMin, p.SocketsMax, p.GoroutinesMax)
	return err
}

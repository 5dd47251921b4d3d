// Command benchscale is `make bench-scale`: one operator, N clusters of 3
// primaries and 2 secondaries, on a local API server (etcd and
// kube-apiserver with an audit log of writes and reads; no controller
// manager, so StatefulSets get no pods and the operator's own requests are
// all there is). The operator runs out of process as deployed, under its
// ServiceAccount's RBAC, first with --neo4j-observe=false (no Neo4j behind
// the pods). It measures the build-up, a steady state, a full resync, one
// spec change on every cluster, and the operator's memory as N grows and
// with unrelated objects in the cluster. Then every cluster gets a FAKE
// Neo4j cluster (internal/testing/fake/cluster) and ready StatefulSets, and the
// operator is restarted with observation on, to measure the Bolt poller.
// It writes bench/scale-<N>.json, .md and .png.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

type config struct {
	N           int
	Checkpoints []int // memory is measured when this many clusters exist, and at N
	Batch       int
	PerNS       int
	Steady      time.Duration
	// PollerSteady is the window measured with the Bolt poller on.
	PollerSteady time.Duration
	Unrelated    int
	QPS, Burst   int
	Concurrent   int
	Out          string
	Profiles     string // where pprof profiles go (never the repository); empty: none
	// OperatorFlags are added to the operator's flags; GOGC is its
	// environment's (empty: Go's default).
	OperatorFlags []string
	GOGC          string
	// Naive runs the control group (on by default).
	Naive bool
}

// Report is bench/scale-<N>.json.
type Report struct {
	N        int    `json:"n"`
	Machine  string `json:"machine"`
	Date     string `json:"date"`
	Operator struct {
		QPS                     int      `json:"kubeApiQps"`
		Burst                   int      `json:"kubeApiBurst"`
		MaxConcurrentReconciles int      `json:"maxConcurrentReconciles"`
		Flags                   []string `json:"extraFlags,omitempty"`
		GOGC                    string   `json:"gogc,omitempty"`
	} `json:"operator"`
	BuildUp struct {
		Seconds  float64  `json:"seconds"`
		Requests Requests `json:"requests"`
	} `json:"buildUp"`
	Steady struct {
		Seconds       float64  `json:"seconds"`
		Requests      Requests `json:"requests"`
		WritesPerMin  float64  `json:"writesPerMinute"`
		Reconciles    float64  `json:"reconciles"`
		CPUSecondsMin float64  `json:"cpuSecondsPerMinute"`
	} `json:"steadyState"`
	Resync Resync `json:"resync"`
	// ResyncDefaults is the same restart at the deployed defaults
	// (deployedQPS, deployedBurst, deployedConcurrent).
	ResyncDefaults Resync `json:"resyncAtDeployedDefaults"`
	Change         struct {
		AnnotationRequests Requests `json:"annotationRequests"`
		ConfigSeconds      float64  `json:"configSeconds"`
		ConfigRequests     Requests `json:"configRequests"`
		WritesPerCluster   float64  `json:"writesPerCluster"`
	} `json:"specChange"`
	Naive           Naive    `json:"naive"`
	Memory          []Memory `json:"memory"`
	SlopeKiBPerCl   float64  `json:"rssSlopeKiBPerCluster"`
	Unrelated       int      `json:"unrelatedObjects"`
	UnrelatedMemory Memory   `json:"memoryWithUnrelated"`
	Poller          Poller   `json:"boltPoller"`
}

// Resync is a full resync's figures: from a restart until every cluster
// was reconciled once.
type Resync struct {
	Seconds     float64  `json:"seconds"`
	Requests    Requests `json:"requests"`
	Reconcile   Latency  `json:"reconcile"`
	ThrottledMs float64  `json:"clientThrottleWaitMs"`
}

// The operator's flags as config/manager deploys them.
const deployedQPS, deployedBurst, deployedConcurrent = 20, 30, 2

func main() {
	var cfg config
	var checkpoints string
	flag.IntVar(&cfg.N, "n", 1000, "clusters")
	flag.StringVar(&checkpoints, "checkpoints", "100,300", "cluster counts below -n at which memory is also measured")
	flag.IntVar(&cfg.Batch, "batch", 50, "clusters created per batch")
	flag.IntVar(&cfg.PerNS, "per-namespace", 10, "clusters per namespace")
	flag.DurationVar(&cfg.Steady, "steady", 0, "steady-state window (default 10m at -n 1000 or more, else 1m); the naive column's is at most 2m")
	flag.DurationVar(&cfg.PollerSteady, "poller-steady", 0, "steady-state window with the Bolt poller on (default 3m at -n 1000 or more, else 30s; the deployed calm interval is 60 s, the figures are per minute)")
	flag.IntVar(&cfg.Unrelated, "unrelated", -1, "unrelated ConfigMaps, Secrets, Services and Pods created for the memory check (default 10000 at -n 1000 or more, else 2000)")
	flag.IntVar(&cfg.QPS, "qps", 100, "the operator's --kube-api-qps (deployed default 20: at 1,000 clusters the build-up would take 17 min on it)")
	flag.IntVar(&cfg.Burst, "burst", 200, "the operator's --kube-api-burst (deployed default 30)")
	flag.IntVar(&cfg.Concurrent, "concurrent", 4, "the operator's --max-concurrent-reconciles (deployed default 2)")
	flag.StringVar(&cfg.Out, "out", "bench", "report folder")
	flag.Func("operator-flag", "a flag added to the operator's (repeatable), e.g. -operator-flag=--neo4j-secret-recheck=1ns", func(v string) error {
		cfg.OperatorFlags = append(cfg.OperatorFlags, v)
		return nil
	})
	flag.StringVar(&cfg.GOGC, "gogc", "", "the operator's GOGC (default: Go's, 100)")
	flag.BoolVar(&cfg.Naive, "naive", true, "run the naive control group (off: this operator's column only, for a quick comparison of its own flags)")
	flag.StringVar(&cfg.Profiles, "profiles", "", "folder for the operator's heap profile at N and CPU profile of the full resync (keep it outside the repository)")
	flag.Parse()
	for _, s := range strings.Split(checkpoints, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 && n < cfg.N {
			cfg.Checkpoints = append(cfg.Checkpoints, n)
		}
	}
	sort.Ints(cfg.Checkpoints)
	if cfg.Steady == 0 {
		cfg.Steady = time.Minute
		if cfg.N >= 1000 {
			cfg.Steady = 10 * time.Minute
		}
	}
	if cfg.Unrelated < 0 {
		cfg.Unrelated = 2000 // N = 100 in under 5 minutes
		if cfg.N >= 1000 {
			cfg.Unrelated = 10000
		}
	}
	if cfg.PollerSteady == 0 {
		cfg.PollerSteady = 30 * time.Second // N = 100 in under 5 minutes
		if cfg.N >= 1000 {
			cfg.PollerSteady = 3 * time.Minute
		}
	}
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) {
	fmt.Printf("%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, cfg config) error {
	lc, admin, err := apiServer(ctx)
	if err != nil {
		return err
	}
	defer lc.Stop()
	root := testenv.RepoRoot()
	kubeconfig, err := lc.UserKubeconfig(operatorproc.User, operatorproc.Groups)
	if err != nil {
		return err
	}
	pprof, err := operatorproc.FreeAddr()
	if err != nil {
		return err
	}
	op := &operatorproc.Operator{Binary: filepath.Join(root, "bin", "manager"), Kubeconfig: kubeconfig,
		LogPath: filepath.Join(lc.Dir, "operator.log"),
		Args: []string{"--zap-log-level=error", "--neo4j-observe=false", "--pprof-bind-address=" + pprof,
			fmt.Sprintf("--kube-api-qps=%d", cfg.QPS), fmt.Sprintf("--kube-api-burst=%d", cfg.Burst),
			fmt.Sprintf("--max-concurrent-reconciles=%d", cfg.Concurrent)}}
	op.Args = append(op.Args, cfg.OperatorFlags...)
	if cfg.GOGC != "" {
		op.Env = []string{"GOGC=" + cfg.GOGC}
	}
	if err := op.Start(ctx); err != nil {
		return err
	}
	defer op.Stop()
	b := &bench{cfg: cfg, lc: lc, admin: admin, op: op, pprof: pprof}
	b.report.N = cfg.N
	b.report.Date = time.Now().UTC().Format(time.DateOnly)
	b.report.Machine = machine()
	b.report.Operator.QPS, b.report.Operator.Burst, b.report.Operator.MaxConcurrentReconciles = cfg.QPS, cfg.Burst, cfg.Concurrent
	b.report.Operator.Flags, b.report.Operator.GOGC = cfg.OperatorFlags, cfg.GOGC
	phases := []func(context.Context) error{b.buildUp, b.steady, b.resync, b.change, b.unrelated, b.poller}
	if cfg.Naive {
		phases = append(phases, b.naive)
	}
	for _, phase := range phases {
		if err := phase(ctx); err != nil {
			lc.MarkFailed()
			return err
		}
	}
	return b.write()
}

type bench struct {
	cfg      config
	lc       *localcluster.Cluster
	admin    client.Client
	op       *operatorproc.Operator
	pprof    string
	clusters []*v1alpha1.Neo4jEnterpriseCluster
	report   Report
}

func (b *bench) newCluster(i int) *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{
		Namespace: fmt.Sprintf("scale-%03d", i/b.cfg.PerNS), Name: fmt.Sprintf("graph-%04d", i)}}
	c.Spec.AcceptLicenseAgreement = "eval"
	c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 2}
	return c
}

// apiServer starts etcd and an audited kube-apiserver, with the
// operator's CRDs and RBAC installed, and the benchmark's own client:
// unthrottled enough that creating the workload is not what is measured.
func apiServer(ctx context.Context) (*localcluster.Cluster, client.Client, error) {
	lc, err := localcluster.Start(ctx, localcluster.Options{APIServerOnly: true, AuditReads: true, StartTimeout: 3 * time.Minute})
	if err != nil {
		return nil, nil, err
	}
	cfg := *lc.Config
	cfg.QPS, cfg.Burst = 1000, 2000
	admin, err := client.New(&cfg, client.Options{Scheme: testenv.Scheme})
	if err == nil {
		root := testenv.RepoRoot()
		err = operatorproc.Install(ctx, admin, filepath.Join(root, "bin", "kustomize"), filepath.Join(root, "config", "default"))
	}
	if err != nil {
		_ = lc.Stop()
		return nil, nil, err
	}
	return lc, admin, nil
}

// buildUp creates the clusters in batches and waits, at each checkpoint
// and at N, until the operator has observed every generation.
func (b *bench) buildUp(ctx context.Context) error {
	start := time.Now()
	var building time.Duration // creating and observing, not measuring
	targets := append(append([]int{}, b.cfg.Checkpoints...), b.cfg.N)
	for _, target := range targets {
		segment := time.Now()
		for len(b.clusters) < target {
			end := min(len(b.clusters)+b.cfg.Batch, target)
			for i := len(b.clusters); i < end; i++ {
				c := b.newCluster(i)
				if i%b.cfg.PerNS == 0 {
					if err := b.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace}}); err != nil {
						return err
					}
				}
				if err := b.admin.Create(ctx, c); err != nil {
					return err
				}
				b.clusters = append(b.clusters, c)
			}
		}
		if err := b.waitObserved(ctx, 30*time.Minute); err != nil {
			return err
		}
		building += time.Since(segment)
		say("%d clusters observed, %.1fs of building", target, building.Seconds())
		if target == b.cfg.N {
			b.report.BuildUp.Seconds = round(building.Seconds())
		}
		time.Sleep(5 * time.Second) // let the last writes' watch events settle
		m, err := b.memory()
		if err != nil {
			return err
		}
		if target < b.cfg.N { // at N, the resync phase measures it in full
			if m.ResyncSeconds, err = b.restartAndWait(ctx); err != nil {
				return err
			}
		}
		b.report.Memory = append(b.report.Memory, m)
	}
	var err error
	b.report.BuildUp.Requests, err = requests(b.lc, operatorproc.User, start, time.Time{})
	return err
}

// waitObserved waits until every cluster's status has caught up with its
// generation.
func (b *bench) waitObserved(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var list v1alpha1.Neo4jEnterpriseClusterList
		if err := b.admin.List(ctx, &list); err != nil {
			return err
		}
		behind := 0
		for _, c := range list.Items {
			if c.Status.ObservedGeneration != c.Generation {
				behind++
			}
		}
		if behind == 0 && len(list.Items) == len(b.clusters) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d clusters not observed after %s; operator log %s", behind, len(list.Items), timeout, b.op.LogPath)
		}
		time.Sleep(time.Second)
	}
}

func (b *bench) memory() (Memory, error) {
	m := Memory{Clusters: len(b.clusters)}
	live, retained, err := heapAfterGC(b.pprof)
	if err != nil {
		return m, err
	}
	rss, file, err := rssMiB(b.op.PID())
	m.RSSMiB, m.RSSFileMiB, m.HeapMiB, m.HeapRetainedMiB = round(rss), round(file), round(live), round(retained)
	return m, err
}

// sample is the operator's metrics and CPU time at one moment.
type sample struct {
	metrics map[string]*dto.MetricFamily
	cpu     float64
}

func (b *bench) sample() (sample, error) {
	m, err := scrape(b.op.MetricsURL())
	if err != nil {
		return sample{}, err
	}
	cpu, err := cpuSeconds(b.op.PID())
	return sample{m, cpu}, err
}

func (b *bench) steady(ctx context.Context) error {
	before, err := b.sample()
	if err != nil {
		return err
	}
	start := time.Now()
	say("steady state for %s", b.cfg.Steady)
	time.Sleep(b.cfg.Steady)
	end := time.Now()
	after, err := b.sample()
	if err != nil {
		return err
	}
	s := &b.report.Steady
	s.Seconds = round(end.Sub(start).Seconds())
	if s.Requests, err = requests(b.lc, operatorproc.User, start, end); err != nil {
		return err
	}
	s.WritesPerMin = round(float64(s.Requests.Writes) / end.Sub(start).Minutes())
	cl := map[string]string{"controller": "neo4jenterprisecluster"}
	s.Reconciles = sum(after.metrics, "controller_runtime_reconcile_total", cl) - sum(before.metrics, "controller_runtime_reconcile_total", cl)
	s.CPUSecondsMin = round((after.cpu - before.cpu) / end.Sub(start).Minutes())
	say("steady: %d writes, %v", s.Requests.Writes, s.Requests.ByVerb)
	return b.baseline()
}

// restartAndWait restarts the operator and waits until it has reconciled
// every cluster once: a full resync's time, counted from the restart.
func (b *bench) restartAndWait(ctx context.Context) (float64, error) {
	start := time.Now()
	if err := b.op.Restart(ctx); err != nil {
		return 0, err
	}
	return b.waitReconciled(start)
}

// waitReconciled waits until the operator started at start has reconciled
// every cluster once.
func (b *bench) waitReconciled(start time.Time) (float64, error) {
	cl := map[string]string{"controller": "neo4jenterprisecluster"}
	for {
		after, err := scrape(b.op.MetricsURL())
		if err != nil {
			return 0, err
		}
		n := sum(after, "controller_runtime_reconcile_total", cl)
		if n >= float64(len(b.clusters)) {
			return round(time.Since(start).Seconds()), nil
		}
		if time.Since(start) > 30*time.Minute {
			return 0, fmt.Errorf("resync: %.0f of %d clusters reconciled after 30 min", n, len(b.clusters))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// resync restarts the operator at N and measures the full resync: time,
// writes, reconcile latency and client-side throttling; then again at the
// deployed defaults, and back to the benchmark's flags.
func (b *bench) resync(ctx context.Context) error {
	if err := b.profile("heap", "heap?gc=1"); err != nil {
		say("heap profile: %v", err) // a profile is an aid; the figures stand without it
	}
	var err error
	if b.report.Resync, err = b.measureResync(ctx, true); err != nil {
		return err
	}
	b.report.Memory[len(b.report.Memory)-1].ResyncSeconds = b.report.Resync.Seconds
	flags := b.op.Args
	b.op.Args = withClientFlags(flags, deployedQPS, deployedBurst, deployedConcurrent)
	if b.report.ResyncDefaults, err = b.measureResync(ctx, false); err != nil {
		return err
	}
	b.op.Args = flags
	_, err = b.restartAndWait(ctx)
	return err
}

// measureResync restarts the operator and measures until every cluster
// was reconciled once; with profile, it also saves the resync's CPU
// profile.
func (b *bench) measureResync(ctx context.Context, profile bool) (Resync, error) {
	r := Resync{}
	start := time.Now()
	if err := b.op.Restart(ctx); err != nil {
		return r, err
	}
	// The CPU profile starts once the restarted operator answers its
	// health check, a fraction of a second into the resync, and runs for a
	// fixed 20 s, past its end at every N measured here.
	cpu := make(chan error, 1)
	if profile {
		go func() { cpu <- b.profile("resync-cpu", "profile?seconds=20") }()
	} else {
		cpu <- nil
	}
	seconds, err := b.waitReconciled(start)
	if err != nil {
		return r, err
	}
	if err := <-cpu; err != nil {
		say("resync CPU profile: %v", err)
	}
	r.Seconds = seconds
	cl := map[string]string{"controller": "neo4jenterprisecluster"}
	empty := map[string]*dto.MetricFamily{} // a fresh process: its counters start at 0
	time.Sleep(5 * time.Second)             // writes the last reconciles may still send
	after, err := scrape(b.op.MetricsURL())
	if err != nil {
		return r, err
	}
	r.Reconcile = histogram(empty, after, "controller_runtime_reconcile_time_seconds", cl)
	r.ThrottledMs = round(1000 * sumHistogram(after, "rest_client_rate_limiter_duration_seconds"))
	r.Requests, err = requests(b.lc, operatorproc.User, start, time.Time{})
	say("resync (%s): %.1fs, %d writes, reconcile p50 %.2f ms p99 %.2f ms", strings.Join(clientFlags(b.op.Args), " "),
		r.Seconds, r.Requests.Writes, r.Reconcile.P50ms, r.Reconcile.P99ms)
	return r, err
}

var clientFlagNames = []string{"--kube-api-qps=", "--kube-api-burst=", "--max-concurrent-reconciles="}

// withClientFlags is args with the client's rate and the workers set.
func withClientFlags(args []string, qps, burst, concurrent int) []string {
	out := slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return slices.ContainsFunc(clientFlagNames, func(n string) bool { return strings.HasPrefix(a, n) })
	})
	return append(out, fmt.Sprintf("--kube-api-qps=%d", qps), fmt.Sprintf("--kube-api-burst=%d", burst),
		fmt.Sprintf("--max-concurrent-reconciles=%d", concurrent))
}

// clientFlags are the client's rate and worker flags among args.
func clientFlags(args []string) []string {
	return slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return !slices.ContainsFunc(clientFlagNames, func(n string) bool { return strings.HasPrefix(a, n) })
	})
}

// change edits every cluster at once: an annotation (no new generation:
// nothing to do), then a setting (a new ConfigMap and template for each
// role: the writes a real change needs).
func (b *bench) change(ctx context.Context) error {
	start := time.Now()
	if err := b.patchAll(ctx, `{"metadata":{"annotations":{"bench.graphops.dev/touched":"1"}}}`); err != nil {
		return err
	}
	time.Sleep(10 * time.Second)
	var err error
	if b.report.Change.AnnotationRequests, err = requests(b.lc, operatorproc.User, start, time.Time{}); err != nil {
		return err
	}
	start = time.Now()
	if err := b.patchAll(ctx, `{"spec":{"config":{"db.transaction.timeout":"61s"}}}`); err != nil {
		return err
	}
	if err := b.waitObserved(ctx, 30*time.Minute); err != nil {
		return err
	}
	ch := &b.report.Change
	ch.ConfigSeconds = round(time.Since(start).Seconds())
	time.Sleep(5 * time.Second)
	if ch.ConfigRequests, err = requests(b.lc, operatorproc.User, start, time.Time{}); err != nil {
		return err
	}
	ch.WritesPerCluster = round(float64(ch.ConfigRequests.Writes) / float64(len(b.clusters)))
	say("change: annotation %d writes; config %.1fs, %.2f writes per cluster", ch.AnnotationRequests.Writes, ch.ConfigSeconds, ch.WritesPerCluster)
	return nil
}

// patchAll merge-patches every cluster, one after the other.
func (b *bench) patchAll(ctx context.Context, patch string) error {
	for _, c := range b.clusters {
		if err := b.admin.Patch(ctx, c, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			return err
		}
	}
	return nil
}

// unrelated creates objects the operator does not own, in a namespace of
// their own, and measures the memory again.
func (b *bench) unrelated(ctx context.Context) error {
	ns := "unrelated"
	if err := b.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	// No controller manager makes it here, and pods are not admitted without.
	if err := b.admin.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}); err != nil {
		return err
	}
	data := map[string]string{"payload": strings.Repeat("x", 512)}
	for i := range b.cfg.Unrelated {
		meta := metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("obj-%05d", i), Labels: map[string]string{"app": "unrelated"}}
		var obj client.Object
		switch i % 4 {
		case 0:
			obj = &corev1.ConfigMap{ObjectMeta: meta, Data: data}
		case 1:
			obj = &corev1.Secret{ObjectMeta: meta, StringData: data}
		case 2:
			obj = &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
				Ports: []corev1.ServicePort{{Name: "p", Port: 80}}}}
		case 3:
			obj = &corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		}
		if err := b.admin.Create(ctx, obj); err != nil {
			return fmt.Errorf("unrelated object %d: %w", i, err)
		}
	}
	time.Sleep(10 * time.Second)
	m, err := b.memory()
	b.report.Unrelated, b.report.UnrelatedMemory = b.cfg.Unrelated, m
	say("with %d unrelated objects: RSS %.1f MiB, heap %.1f MiB", b.cfg.Unrelated, m.RSSMiB, m.HeapMiB)
	return err
}

func (b *bench) write() error {
	b.report.SlopeKiBPerCl = round(slope(b.report.Memory) * 1024)
	if err := os.MkdirAll(b.cfg.Out, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(b.report, "", "  ")
	if err != nil {
		return err
	}
	base := filepath.Join(b.cfg.Out, fmt.Sprintf("scale-%d", b.cfg.N))
	if err := os.WriteFile(base+".json", append(j, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(b.report)
	fmt.Print(md)
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	return drawPlot(b.report, base+".png")
}

// slope is the least-squares RSS growth per cluster, in MiB.
func slope(ms []Memory) float64 {
	if len(ms) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, m := range ms {
		x, y := float64(m.Clusters), m.RSSMiB
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(ms))
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

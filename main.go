// Command manager runs the Neo4j Enterprise operator.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/memlimit"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	// rest_client_rate_limiter_duration_seconds: how long requests waited
	// for --kube-api-qps/--kube-api-burst (opt-in in controller-runtime).
	crmetrics.RegisterRESTClientMetrics(crmetrics.MetricRateLimiterLatency)
}

type options struct {
	metricsAddr, probeAddr string
	secureMetrics          bool
	enableHTTP2            bool
	leaderElect            bool
	leaderElectionID       string
	leaderElectionNS       string
	namespaces             string
	maxConcurrent          int
	pprofAddr              string
	qps                    float64
	burst                  int
	memoryLimitRatio       float64
	neo4j                  neo4jOptions
	kinds                  []apply.Kind // discovered, not a flag
}

// neo4jOptions configure the Neo4j observers.
type neo4jOptions struct {
	observe          bool
	calm, busy, call time.Duration
	workers          int
	secretRecheck    time.Duration
	accessRecheck    time.Duration
	fakeResolve      string
	stuckAfter       time.Duration
	rollStuckAfter   time.Duration
	rollMaxLag       int64
	tlsReloadDelay   time.Duration
}

func parseFlags() (options, zap.Options) {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "Address of the metrics endpoint: :8443 for HTTPS, :8080 for HTTP, 0 to disable.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server (off by default: CVE-2023-44487, CVE-2023-39325).")
	flag.BoolVar(&o.leaderElect, "leader-elect", true, "Elect a leader so that only one replica writes.")
	flag.StringVar(&o.leaderElectionID, "leader-election-id", "neo4j-operator.graphops.dev", "Name of the leader-election Lease.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader-election Lease; in a pod it defaults to the pod's own namespace.")
	flag.StringVar(&o.namespaces, "watch-namespaces", os.Getenv("WATCH_NAMESPACES"), "Comma-separated namespaces to watch; empty watches all namespaces. Defaults to $WATCH_NAMESPACES.")
	flag.IntVar(&o.maxConcurrent, "max-concurrent-reconciles", 2, "Clusters reconciled at once. One cluster is never reconciled twice at once.")
	flag.Float64Var(&o.qps, "kube-api-qps", 20, "Requests per second the operator's client may send to the API server (client-side rate limit; controller-runtime's default).")
	flag.IntVar(&o.burst, "kube-api-burst", 30, "Requests the client may send at once above --kube-api-qps.")
	flag.Float64Var(&o.memoryLimitRatio, "memory-limit-ratio", 0.8, "Go's soft memory limit as a fraction of the container's memory limit (cgroup), so the GC works harder before the limit is reached; the rest is for the binary's own pages, which the limit counts and Go's does not. 0 disables it; GOMEMLIMIT, when set, wins.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "Address of Go's pprof endpoints (/debug/pprof), for profiling; 0 disables them.")
	flag.BoolVar(&o.neo4j.observe, "neo4j-observe", true, "Poll Neo4j over Bolt (SHOW SERVERS, SHOW DATABASES); Ready then needs Neo4j's word. Off: Ready means Kubernetes Ready only.")
	flag.DurationVar(&o.neo4j.calm, "neo4j-poll-interval", 60*time.Second, "Interval between polls of a calm cluster's Neo4j.")
	flag.DurationVar(&o.neo4j.busy, "neo4j-busy-poll-interval", 10*time.Second, "Interval between polls while pods are not all ready or Neo4j reports a problem.")
	flag.DurationVar(&o.neo4j.call, "neo4j-timeout", 10*time.Second, "Bound of every Bolt call, connection included.")
	flag.IntVar(&o.neo4j.workers, "neo4j-poll-workers", 8, "Polls running at once, over all clusters.")
	flag.DurationVar(&o.neo4j.secretRecheck, "neo4j-secret-recheck", 10*time.Minute, "How long polls use credentials Neo4j accepted before reading the auth Secret again (they are read again at once when Neo4j refuses them or a reconcile sees the Secret change); 0: only then. Where Secrets are not watched (all namespaces), it bounds how long an edited or deleted auth Secret goes unreported.")
	flag.DurationVar(&o.neo4j.accessRecheck, "access-recheck", 10*time.Minute, "How often a cluster's users and roles (Neo4jUser, Neo4jRole) are read again from Neo4j to report drift, and their password Secrets where Secrets are not watched; reads only. Changes of the objects are applied at once.")
	flag.DurationVar(&o.neo4j.stuckAfter, "neo4j-deallocation-stuck-after", 30*time.Minute, "How long a server removed by a scale-in may take to move its databases away before the DeallocationStuck condition reports it; the scale-in keeps waiting either way.")
	flag.DurationVar(&o.neo4j.rollStuckAfter, "rollout-stuck-after", 10*time.Minute, "How long a roll may stay at one pod (its eviction refused or failing, or its replacement failing the health gate) before the RolloutStuck condition reports it; the roll stays halted either way.")
	flag.DurationVar(&o.neo4j.tlsReloadDelay, "tls-reload-delay", 90*time.Second, "How long after a TLS Secret changed the servers are told to reload their certificates: the kubelet updates mounted Secrets within about a minute (its sync period plus its cache).")
	flag.Int64Var(&o.neo4j.rollMaxLag, "rollout-max-lag", 1000, "How many transactions a restarted server's databases may be behind their writer (SHOW DATABASES replicationLag) for the roll to go on to the next pod.")
	flag.StringVar(&o.neo4j.fakeResolve, "neo4j-fake-resolve", "", "TEST HOOK, off when empty, never for production: a file of \"host:port dial-address\" lines, reread when it changes, that points servers' advertised addresses (and the admin password) at fake Neo4j servers.")
	zo := zap.Options{Development: false}
	zo.BindFlags(flag.CommandLine)
	flag.Parse()
	if o.neo4j.busy <= 0 || o.neo4j.calm < o.neo4j.busy || o.neo4j.call <= 0 || o.neo4j.workers < 1 || o.neo4j.secretRecheck < 0 || o.neo4j.accessRecheck <= 0 {
		fmt.Fprintln(os.Stderr, "want 0 < --neo4j-busy-poll-interval <= --neo4j-poll-interval, a positive --neo4j-timeout, --neo4j-poll-workers >= 1 --neo4j-secret-recheck >= 0 and a positive --access-recheck")
		os.Exit(2)
	}
	return o, zo
}

func main() {
	o, zo := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("setup")
	setMemoryLimit(o.memoryLimitRatio)

	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts}
	if o.secureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(o.qps), o.burst
	kinds, err := controllers.DiscoverKinds(cfg)
	if err != nil {
		log.Error(err, "unable to discover the API server's kinds")
		os.Exit(1)
	}
	o.kinds = kinds
	log.Info("owned kinds discovered", "certManager", apply.Has(kinds, "Certificate"))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metrics,
		WebhookServer:                 webhook.NewServer(webhook.Options{TLSOpts: tlsOpts}),
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              o.leaderElectionID,
		LeaderElectionNamespace:       o.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(watchNamespaces(o.namespaces), kinds),
		// Reads of the optional kinds (unstructured) come from the cache
		// too, like every other owned kind.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
	})
	if err != nil {
		log.Error(err, "unable to create the manager")
		os.Exit(1)
	}
	ctx := ctrl.SetupSignalHandler()
	if err := setupControllers(ctx, mgr, o); err != nil {
		log.Error(err, "unable to set up the controllers")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up the health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up the ready check")
		os.Exit(1)
	}
	log.Info("starting the manager", "namespaces", o.namespaces, "leaderElection", o.leaderElect)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "the manager stopped with an error")
		os.Exit(1)
	}
}

// setMemoryLimit sets Go's soft memory limit from the container's limit;
// see internal/memlimit.
func setMemoryLimit(ratio float64) {
	log := ctrl.Log.WithName("setup")
	container, err := memlimit.ContainerLimit(os.DirFS("/"))
	if err != nil {
		log.Error(err, "unable to read the container's memory limit; Go's memory limit left unset")
		return
	}
	limit := memlimit.Limit(container, ratio, os.Getenv("GOMEMLIMIT"))
	if limit == 0 {
		log.Info("Go memory limit left as it is", "containerLimitBytes", container, "ratio", ratio, "GOMEMLIMIT", os.Getenv("GOMEMLIMIT"))
		return
	}
	debug.SetMemoryLimit(limit)
	log.Info("Go memory limit set", "bytes", limit, "containerLimitBytes", container)
}

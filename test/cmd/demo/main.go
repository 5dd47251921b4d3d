// Command demo is `make demo`: it brings up a local cluster (see
// test/support/localcluster), installs the operator's CRDs and RBAC as deployed,
// runs the manager binary as its own process under its ServiceAccount's
// identity (test/support/operatorproc), creates a Neo4jEnterpriseCluster of
// three primaries and two secondaries, prints progress until the cluster is
// Ready, then a summary: servers, StatefulSet revisions, the operator's
// writes and conflicts, endpoints and a kubeconfig to look around with.
//
// It then runs until Ctrl-C (SIGINT or SIGTERM). With DEMO_TIMEOUT=<seconds>
// it exits 0 as soon as the summary is printed, or 1 if the cluster is not
// Ready in time. Either way it stops the operator and the cluster; a failed
// run keeps the cluster's folder (component logs, operator log, audit log)
// and prints its path.
//
// The pods are kwok's: they become Ready without running Neo4j. A FAKE Neo4j
// cluster (internal/testing/fake/cluster) on loopback answers the operator's Bolt
// polls, following the pods, so the status's servers and databases come
// from it; the demo says so.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	fakecluster "github.com/graphops-dev/neo4j-operator/internal/testing/fake/cluster"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// namespace is where the demo cluster lives; the demo creates it.
const namespace = "neo4j-demo"

// demoPassword is the neo4j password of the demo: the demo writes the auth
// Secret itself, so the fake Neo4j cluster can check it.
const demoPassword = "demo-password-not-secret"

// pollInterval paces the status polling: fast enough that progress lines
// appear as things happen, cheap for a local apiserver.
const pollInterval = 200 * time.Millisecond

// errInterrupted ends a run that Ctrl-C stopped before the cluster was Ready.
var errInterrupted = errors.New("interrupted before the cluster was Ready")

// config is what the command line and environment decide.
type config struct {
	root       string        // repository root: config/default is read from it
	binDir     string        // control-plane binaries and kustomize
	manager    string        // the operator binary
	sample     string        // the Neo4jEnterpriseCluster to create
	kubeconfig string        // where to copy the admin kubeconfig for the user
	timeout    time.Duration // DEMO_TIMEOUT; 0 runs until Ctrl-C
}

func main() {
	cfg, err := parseConfig()
	if err == nil {
		err = run(cfg)
	}
	switch {
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
}

func parseConfig() (config, error) {
	var c config
	flag.StringVar(&c.root, "root", ".", "repository root (config/default is built from it)")
	flag.StringVar(&c.binDir, "bin-dir", os.Getenv("LOCALCLUSTER_BIN_DIR"), "folder of etcd, kube-*, kwok, kustomize and manager (default $LOCALCLUSTER_BIN_DIR, else <root>/bin)")
	flag.StringVar(&c.manager, "manager", "", "operator binary (default <bin-dir>/manager)")
	flag.StringVar(&c.sample, "sample", "", "Neo4jEnterpriseCluster to create (default <root>/test/cmd/demo/demo-cluster.yaml)")
	flag.StringVar(&c.kubeconfig, "kubeconfig", "", "copy the admin kubeconfig here while the demo runs (default <bin-dir>/demo.kubeconfig)")
	flag.Parse()

	if c.binDir == "" {
		c.binDir = filepath.Join(c.root, "bin")
	}
	if c.manager == "" {
		c.manager = filepath.Join(c.binDir, "manager")
	}
	if c.sample == "" {
		c.sample = filepath.Join(c.root, "test", "cmd", "demo", "demo-cluster.yaml")
	}
	if c.kubeconfig == "" {
		c.kubeconfig = filepath.Join(c.binDir, "demo.kubeconfig")
	}
	if s := os.Getenv("DEMO_TIMEOUT"); s != "" {
		secs, err := strconv.Atoi(s)
		if err != nil || secs <= 0 {
			return c, fmt.Errorf("DEMO_TIMEOUT=%q: want a positive number of seconds", s)
		}
		c.timeout = time.Duration(secs) * time.Second
	}
	for _, p := range []string{c.manager, filepath.Join(c.binDir, "kustomize"), c.sample} {
		if _, err := os.Stat(p); err != nil {
			return c, fmt.Errorf("%w (run `make demo`, which builds what it needs)", err)
		}
	}
	return c, nil
}

// run is the whole demo. Everything it starts is stopped by its defers, in
// reverse order: the operator before the cluster, so the operator never
// logs errors about an apiserver that went away under it.
func run(cfg config) (err error) {
	t0 := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The timeout bounds the way to Ready, cluster start-up included.
	readyCtx, cancelReady := ctx, context.CancelFunc(func() {})
	if cfg.timeout > 0 {
		readyCtx, cancelReady = context.WithTimeout(ctx, cfg.timeout)
	}
	defer cancelReady()
	// why names the reason a step failed when it was cut short, so the user
	// reads "interrupted" or "not Ready within DEMO_TIMEOUT" rather than a
	// "context canceled" or the last error of a poll.
	why := func(err error) error {
		switch {
		case ctx.Err() != nil:
			return errInterrupted
		case readyCtx.Err() != nil:
			return fmt.Errorf("not Ready within DEMO_TIMEOUT=%s: %w", cfg.timeout, err)
		}
		return err
	}

	sample, err := readSample(cfg.sample)
	if err != nil {
		return err
	}

	say("starting a local cluster (3 fake nodes)")
	cluster, err := startCluster(readyCtx, sample)
	if err != nil {
		return why(err)
	}
	defer func() {
		if err != nil {
			// Keep the component, operator and audit logs of a failed run;
			// Stop prints the folder.
			cluster.MarkFailed()
		}
		_ = cluster.Stop()
	}()
	tCluster := time.Since(t0)
	if err := copyFile(cluster.Kubeconfig, cfg.kubeconfig); err != nil {
		return err
	}
	// The copy names a cluster that is about to disappear; leaving it
	// would only confuse a later kubectl.
	defer os.Remove(cfg.kubeconfig)

	say("installing CRDs, namespace, ServiceAccount and RBAC from config/default")
	kustomize := filepath.Join(cfg.binDir, "kustomize")
	if err := operatorproc.Install(readyCtx, cluster.Client, kustomize, filepath.Join(cfg.root, "config", "default")); err != nil {
		return why(err)
	}
	if err := waitCRDServed(readyCtx, cluster.Client); err != nil {
		return why(err)
	}

	// kwok runs no Neo4j behind the pods: a FAKE Neo4j cluster
	// (internal/testing/fake/cluster) answers the operator's Bolt polls instead,
	// following the pods as they become Ready.
	say("starting a FAKE Neo4j cluster on loopback (no Neo4j runs here: internal/testing/fake/cluster answers SHOW SERVERS and SHOW DATABASES)")
	fake := fakecluster.New(fakecluster.Options{Password: demoPassword, CatchUp: time.Second, AutoEnable: true,
		DefaultPrimaries: int(min(sample.Spec.Topology.Primaries, 3)), DefaultSecondaries: int(sample.Spec.Topology.Secondaries),
		InitialPrimaries: int(min(sample.Spec.Topology.Primaries, 3))})
	defer fake.Close()
	resolve := filepath.Join(cluster.Dir, "neo4j-resolve")
	if err := os.WriteFile(resolve, nil, 0o600); err != nil {
		return err
	}
	followCtx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	go fake.FollowPods(followCtx, cluster.Client, namespace, "cluster.local", resolve)

	say("starting the operator as %s", operatorproc.User)
	op, err := startOperator(readyCtx, cluster, cfg.manager, resolve)
	if err != nil {
		return why(err)
	}
	defer op.Stop()
	tOperator := time.Since(t0)

	say("creating Neo4jEnterpriseCluster %s/%s (%d primaries, %d secondaries)",
		namespace, sample.Name, sample.Spec.Topology.Primaries, sample.Spec.Topology.Secondaries)
	if err := createCluster(readyCtx, cluster.Client, sample); err != nil {
		return why(err)
	}
	tApplied := time.Since(t0)
	key := client.ObjectKeyFromObject(sample)

	w := &watcher{client: cluster.Client, key: key, op: op, start: t0}
	if err := w.untilReady(readyCtx, cluster.Died()); err != nil {
		return why(fmt.Errorf("%w (last status: %s; operator log %s)", err, w.last, op.LogPath))
	}
	tReady := time.Since(t0)
	say("Ready: cluster up %.1fs, operator healthy %.1fs, sample applied %.1fs, Ready %.1fs (%.1fs after apply)",
		tCluster.Seconds(), tOperator.Seconds(), tApplied.Seconds(), tReady.Seconds(), (tReady - tApplied).Seconds())

	if err := printSummary(ctx, cluster, op, key, cfg.kubeconfig); err != nil {
		return err
	}
	if cfg.timeout > 0 {
		say("DEMO_TIMEOUT set: stopping now that the cluster is Ready")
		return nil
	}

	say("running; Ctrl-C stops the operator and the cluster")
	if err := w.untilInterrupted(ctx, cluster.Died()); err != nil {
		return err
	}
	say("stopping the operator and the cluster")
	return nil
}

// say prints one line of the demo's own narrative, apart from the
// localcluster lines on stderr.
func say(format string, args ...any) {
	fmt.Printf("demo: "+format+"\n", args...)
}

// readSample decodes the sample into the typed API, so a typo in it fails
// here with a clear message rather than as a rejected create later.
func readSample(path string) (*v1alpha1.Neo4jEnterpriseCluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c v1alpha1.Neo4jEnterpriseCluster
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Kind != "Neo4jEnterpriseCluster" || c.Name == "" {
		return nil, fmt.Errorf("%s: want one named Neo4jEnterpriseCluster, got kind %q name %q", path, c.Kind, c.Name)
	}
	c.Namespace = namespace
	return &c, nil
}

// startCluster starts the local cluster with the volumes the sample's
// claims need. Nothing provisions volumes there: a claim binds only to a
// pre-created PersistentVolume of its class, and a StatefulSet pod waits
// until its claims are bound.
func startCluster(ctx context.Context, sample *v1alpha1.Neo4jEnterpriseCluster) (*localcluster.Cluster, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))

	classes, perClass := volumesFor(sample)
	return localcluster.Start(ctx, localcluster.Options{
		Nodes:             3,
		StorageClasses:    classes,
		PersistentVolumes: perClass,
		Scheme:            scheme,
		Log:               os.Stderr,
	})
}

// volumesFor returns the storage classes the sample's claims use and how
// many volumes to create for each: twice the largest need, and at least
// ten, so the cluster can be scaled up from another terminal. Claims that
// name no class use class "" volumes (the local cluster has no default
// StorageClass, as many bare clusters don't).
func volumesFor(c *v1alpha1.Neo4jEnterpriseCluster) ([]string, int) {
	c = c.WithDefaults()
	servers := int(c.Spec.Topology.Primaries + c.Spec.Topology.Secondaries)
	need := map[string]int{}
	for _, v := range []*v1alpha1.VolumeSpec{&c.Spec.Storage.Data, c.Spec.Storage.Logs, c.Spec.Storage.Backups} {
		if v == nil {
			continue
		}
		class := ""
		if v.StorageClassName != nil {
			class = *v.StorageClassName
		}
		need[class] += servers
	}
	classes, most := []string{}, 0
	for class, n := range need {
		classes = append(classes, class)
		most = max(most, n)
	}
	return classes, max(10, 2*most)
}

// waitCRDServed waits until the apiserver serves the new CRD: creating a
// cluster, or starting the operator's informers, before that fails.
func waitCRDServed(ctx context.Context, c client.Client) error {
	for {
		err := c.List(ctx, &v1alpha1.Neo4jEnterpriseClusterList{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Neo4jEnterpriseCluster CRD is not served: %w", err)
		case <-time.After(pollInterval):
		}
	}
}

// startOperator runs the manager binary under the ServiceAccount's identity
// (a client certificate for its user name and groups), so the RBAC that
// config/rbac grants is exactly what it can do, as when deployed. Its log
// goes into the cluster's folder, which a failed run keeps.
func startOperator(ctx context.Context, c *localcluster.Cluster, binary, resolve string) (*operatorproc.Operator, error) {
	kubeconfig, err := c.UserKubeconfig(operatorproc.User, operatorproc.Groups)
	if err != nil {
		return nil, err
	}
	op := &operatorproc.Operator{
		Binary:     binary,
		Kubeconfig: kubeconfig,
		LogPath:    filepath.Join(c.Dir, "logs", "operator.log"),
		// The test hook points the servers' addresses at the fake Neo4j
		// cluster; polls are quicker than the defaults, for the demo.
		Args: []string{"--neo4j-fake-resolve=" + resolve, "--neo4j-poll-interval=10s", "--neo4j-busy-poll-interval=1s", "--neo4j-timeout=2s"},
	}
	if err := op.Start(ctx); err != nil {
		op.Stop()
		return nil, err
	}
	return op, nil
}

// createCluster creates the namespace and the cluster in it. It waits for
// the namespace's default ServiceAccount first: until the controller
// manager has made it, pods are not admitted there and the StatefulSet
// controller would back off and retry, slowing the demo for no reason.
func createCluster(ctx context.Context, c client.Client, sample *v1alpha1.Neo4jEnterpriseCluster) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	for {
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "default"}, &corev1.ServiceAccount{})
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the default ServiceAccount of %s: %w", namespace, err)
		case <-time.After(pollInterval):
		}
	}
	// The auth Secret the operator would otherwise generate, with the
	// password the fake Neo4j cluster checks.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: sample.AuthSecretName()},
		StringData: map[string]string{"NEO4J_AUTH": "neo4j/" + demoPassword}}
	if err := c.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating Secret %s: %w", secret.Name, err)
	}
	if err := c.Create(ctx, sample); err != nil {
		return fmt.Errorf("creating Neo4jEnterpriseCluster %s: %w", sample.Name, err)
	}
	return nil
}

// copyFile writes a copy readable only by the user (the kubeconfig holds a
// client key).
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

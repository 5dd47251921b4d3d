package localcluster

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Cluster is a running local cluster. Its exported fields are set by Start
// and must not be changed.
type Cluster struct {
	// Dir is the cluster's own folder: certificates (pki/), kubeconfigs
	// (*.kubeconfig, users/), component logs (logs/), etcd data, volumes and
	// the audit log.
	Dir string
	// Host is the apiserver URL, https://127.0.0.1:<port>.
	Host string
	// Kubeconfig is the admin kubeconfig (user AdminUser, in
	// system:masters).
	Kubeconfig string
	// AuditLog is the apiserver's JSON-lines audit log of writes; see
	// AuditEvents.
	AuditLog string
	// Config, Clientset and Client act as the admin.
	Config    *rest.Config
	Clientset *kubernetes.Clientset
	Client    client.Client

	opts     Options
	ca       *authority
	procs    []*process
	pvSeq    atomic.Int64
	failed   atomic.Bool
	stopping atomic.Bool
	stopOnce sync.Once
	died     chan error
	// args and envs are each component's arguments and environment (nil:
	// this process's), to start it again.
	args map[string][]string
	envs map[string][]string
}

// Start brings a cluster up and returns once its nodes are Ready and
// untainted and pods can be admitted in the default namespace. On error
// everything started is stopped and the folder is kept for its logs; the
// error names the folder.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(opts.TempDir, "localcluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, opts: opts, died: make(chan error, 1), args: map[string][]string{}, envs: map[string][]string{}}
	defer func() {
		if err != nil {
			c.MarkFailed()
			_ = c.Stop()
			err = fmt.Errorf("local cluster: %w (logs kept in %s)", err, dir)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	t0 := time.Now()
	step := func(format string, args ...any) {
		fmt.Fprintf(opts.Log, "localcluster: %-52s %5.2fs\n", fmt.Sprintf(format, args...), time.Since(t0).Seconds())
	}

	for _, sub := range []string{"logs", "pki", "users", "volumes"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.Host = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	kubeconfigs, err := c.writePKI()
	if err != nil {
		return nil, err
	}
	step("certificates and kubeconfigs written")

	if err := c.start("etcd", etcdArgs(dir, etcdURL, peerURL)); err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, func(ctx context.Context) (bool, error) { return httpOK(ctx, http.DefaultClient, etcdURL+"/health") }); err != nil {
		return nil, fmt.Errorf("etcd /health: %w", err)
	}
	step("etcd healthy")

	c.AuditLog = filepath.Join(dir, "audit.log")
	if err := os.WriteFile(filepath.Join(dir, "audit-policy.yaml"), []byte(auditPolicy(opts.AuditReads)), 0o644); err != nil {
		return nil, err
	}
	if err := c.start("kube-apiserver", apiserverArgs(dir, etcdURL, ports[2])); err != nil {
		return nil, err
	}
	if err := c.connect(); err != nil {
		return nil, err
	}
	httpClient, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, func(ctx context.Context) (bool, error) { return httpOK(ctx, httpClient, c.Host+"/readyz") }); err != nil {
		return nil, fmt.Errorf("kube-apiserver /readyz: %w", err)
	}
	step("kube-apiserver ready")
	if opts.APIServerOnly {
		step("ready (API server only)")
		return c, nil
	}

	stages, err := writeStages(dir)
	if err != nil {
		return nil, err
	}
	for _, comp := range []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", controllerManagerArgs(dir, kubeconfigs[ControllerManagerUser], opts.OLM)},
		{"kube-scheduler", schedulerArgs(kubeconfigs[SchedulerUser])},
		{"kwok", kwokArgs(kubeconfigs[KwokUser], stages)},
	} {
		if err := c.start(comp.name, comp.args); err != nil {
			return nil, err
		}
	}
	if err := c.createStorage(ctx); err != nil {
		return nil, err
	}
	if err := c.createNodes(ctx, opts.Nodes); err != nil {
		return nil, err
	}
	step("controllers started, %d nodes and volumes created", opts.Nodes)

	if err := c.waitFor(ctx, func(ctx context.Context) (bool, error) { return c.nodesReady(ctx, opts.Nodes) }); err != nil {
		return nil, fmt.Errorf("nodes Ready and untainted: %w", err)
	}
	step("nodes ready")
	// Pods are admitted only once their namespace's default ServiceAccount
	// exists; waiting for it in "default" also proves the controller
	// manager is working.
	if err := c.waitFor(ctx, func(ctx context.Context) (bool, error) { return c.defaultServiceAccount(ctx) }); err != nil {
		return nil, fmt.Errorf("default service account: %w", err)
	}
	if opts.OLM {
		if err := c.startOLM(ctx); err != nil {
			return nil, fmt.Errorf("OLM: %w", err)
		}
		step("OLM's olm and catalog operators started")
	}
	step("ready")
	return c, nil
}

// connect builds the admin clients. They are lazy: nothing is requested
// until the apiserver is ready.
func (c *Cluster) connect() error {
	var err error
	c.Config, err = c.UserConfig(AdminUser, []string{MastersGroup})
	if err != nil {
		return err
	}
	if c.Clientset, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}
	c.Client, err = client.New(c.Config, client.Options{Scheme: c.opts.Scheme})
	return err
}

// writePKI makes the CA, the apiserver's serving cert, the service-account
// key pair, the admin kubeconfig and one kubeconfig per component, and
// returns the component kubeconfig paths by user.
func (c *Cluster) writePKI() (map[string]string, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	c.ca = ca
	serving, err := ca.servingCert()
	if err != nil {
		return nil, err
	}
	saKey, saPub, err := serviceAccountKey()
	if err != nil {
		return nil, err
	}
	pki := filepath.Join(c.Dir, "pki")
	if err := writeFiles(map[string][]byte{
		filepath.Join(pki, "ca.crt"):        ca.certPEM,
		filepath.Join(pki, "apiserver.crt"): serving.CertPEM,
		filepath.Join(pki, "apiserver.key"): serving.KeyPEM,
		filepath.Join(pki, "sa.key"):        saKey,
		filepath.Join(pki, "sa.pub"):        saPub,
	}); err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for user, file := range map[string]string{
		AdminUser:             "admin.kubeconfig",
		ControllerManagerUser: "kube-controller-manager.kubeconfig",
		SchedulerUser:         "kube-scheduler.kubeconfig",
		KwokUser:              "kwok.kubeconfig",
	} {
		kp, err := ca.clientCert(user, []string{MastersGroup})
		if err != nil {
			return nil, err
		}
		paths[user] = filepath.Join(c.Dir, file)
		if err := writeKubeconfig(paths[user], c.Host, ca.certPEM, kp, user); err != nil {
			return nil, err
		}
	}
	c.Kubeconfig = paths[AdminUser]
	return paths, nil
}

// start runs one component and watches it: an exit before Stop is reported
// on Died and fails any wait in progress.
func (c *Cluster) start(name string, args []string) error {
	return c.startWithEnv(name, args, nil)
}

// startWithEnv is start with env as the component's whole environment
// (nil: this process's).
func (c *Cluster) startWithEnv(name string, args, env []string) error {
	p, err := startProcess(name, filepath.Join(c.opts.BinDir, name), args, c.Dir, env)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	c.args[name], c.envs[name] = args, env
	go func() {
		<-p.done
		if !c.stopping.Load() && !p.restarting.Load() {
			select {
			case c.died <- p.exitError():
			default:
			}
		}
	}()
	return nil
}

// Restart stops the named components (SIGTERM) and starts them again,
// in the order given, with the same arguments (same ports, etcd and
// certificates); after kube-apiserver it waits until the apiserver is
// ready. Restarting kube-apiserver is what an apiserver upgrade or a
// control-plane node reboot does to clients. Not safe to call
// concurrently with Stop.
func (c *Cluster) Restart(ctx context.Context, components ...string) error {
	for _, name := range components {
		for i, p := range c.procs {
			if p.name == name {
				p.restarting.Store(true)
				p.stop(10 * time.Second)
				c.procs = append(c.procs[:i:i], c.procs[i+1:]...)
				break
			}
		}
		if err := c.startWithEnv(name, c.args[name], c.envs[name]); err != nil {
			return err
		}
		if name == "kube-apiserver" {
			if err := c.waitReady(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	httpClient, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	return c.waitFor(ctx, func(ctx context.Context) (bool, error) { return httpOK(ctx, httpClient, c.Host+"/readyz") })
}

// Died delivers an error when a component exits on its own, which makes the
// cluster unusable; a long-running caller (the CLI) stops on it.
func (c *Cluster) Died() <-chan error { return c.died }

// LogPath is the log file of a component: "etcd", "kube-apiserver",
// "kube-controller-manager", "kube-scheduler" or "kwok".
func (c *Cluster) LogPath(component string) string {
	return filepath.Join(c.Dir, "logs", component+".log")
}

// MarkFailed makes Stop keep the cluster's folder, so the logs of a failed
// test can be read afterwards. Call it from a test's failure handling.
func (c *Cluster) MarkFailed() { c.failed.Store(true) }

// Stop stops the components this cluster started, and only those, by their
// process groups: kwok, the scheduler and the controller manager together,
// then the apiserver, then etcd, so no client outlives its server and logs
// end cleanly. It then removes the folder unless the run failed or Keep is
// set, in which case it prints the folder's path to stderr. Stop is safe to
// call more than once.
func (c *Cluster) Stop() error {
	var err error
	c.stopOnce.Do(func() {
		c.stopping.Store(true)
		byName := map[string][]*process{}
		for _, p := range c.procs {
			byName[p.name] = append(byName[p.name], p)
		}
		stopAll := func(names ...string) {
			var wg sync.WaitGroup
			for _, n := range names {
				for _, p := range byName[n] {
					wg.Go(func() { p.stop(5 * time.Second) })
				}
			}
			wg.Wait()
		}
		stopAll("opm")
		stopAll("olm", "catalog")
		stopAll("kwok", "kube-scheduler", "kube-controller-manager")
		stopAll("kube-apiserver")
		stopAll("etcd")
		if c.failed.Load() || c.opts.Keep {
			fmt.Fprintf(os.Stderr, "localcluster: kept %s (logs in logs/, audit log audit.log)\n", c.Dir)
			return
		}
		err = os.RemoveAll(c.Dir)
	})
	return err
}

package operatorproc

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Operator is the manager binary running as a local process.
type Operator struct {
	Binary     string
	Kubeconfig string // the ServiceAccount identity's kubeconfig
	LogPath    string
	// Args are extra flags, for example --max-concurrent-reconciles.
	Args []string
	// LeaseNamespace holds the leader-election Lease; default Namespace.
	LeaseNamespace string
	// Env is added to the environment, for example WATCH_NAMESPACES as a
	// Deployment sets it.
	Env []string

	metricsAddr, probeAddr string
	cmd                    *exec.Cmd
	exited                 chan struct{}
}

// Start launches the manager with leader election on, as deployed, and
// returns once its health endpoint answers. Its metrics and probe ports
// are picked free just before; another process can take one in between,
// so a start that fails on a taken port is tried again with new ones.
func (o *Operator) Start(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := o.start(ctx)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
	}
}

func (o *Operator) start(ctx context.Context) error {
	var err error
	if o.metricsAddr, err = FreeAddr(); err != nil {
		return err
	}
	if o.probeAddr, err = FreeAddr(); err != nil {
		return err
	}
	logFile, err := os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append([]string{
		"--kubeconfig=" + o.Kubeconfig,
		"--leader-elect=true",
		"--leader-election-namespace=" + cmp.Or(o.LeaseNamespace, Namespace),
		"--metrics-bind-address=" + o.metricsAddr,
		"--metrics-secure=false",
		"--health-probe-bind-address=" + o.probeAddr,
	}, o.Args...)
	o.cmd = exec.Command(o.Binary, args...)
	o.cmd.Stdout, o.cmd.Stderr = logFile, logFile
	o.cmd.Env = append(os.Environ(), o.Env...)
	// Pdeathsig: a test binary killed by its timeout takes the operator
	// with it.
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := o.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", o.Binary, err)
	}
	o.exited = make(chan struct{})
	go func() { _ = o.cmd.Wait(); logFile.Close(); close(o.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-o.exited:
			// The log's tail is in the error: a failed CI run deletes the
			// cluster's folder unless a spec failed.
			return fmt.Errorf("the operator exited at start; see %s; its last lines:\n%s", o.LogPath, tail(o.LogPath, 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get("http://" + o.probeAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("the operator did not become healthy in 30s; see %s", o.LogPath)
}

// Stop sends SIGTERM (the manager releases its Lease on the way out) and
// waits for the process to exit.
func (o *Operator) Stop() {
	if o.cmd == nil || o.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-o.exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGKILL)
		<-o.exited
	}
	o.cmd = nil
}

// Kill sends SIGKILL, as a node failure or the OOM killer would: no
// cleanup runs, the Lease is not released. It waits for the exit.
func (o *Operator) Kill() {
	if o.cmd == nil || o.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGKILL)
	<-o.exited
	o.cmd = nil
}

// Exited is true when the process started last has exited on its own (a
// leader-elected manager exits when it loses its Lease).
func (o *Operator) Exited() bool {
	if o.cmd == nil {
		return false
	}
	select {
	case <-o.exited:
		return true
	default:
		return false
	}
}

// Restart stops and starts the operator.
func (o *Operator) Restart(ctx context.Context) error {
	o.Stop()
	return o.Start(ctx)
}

// Metrics scrapes the operator's Prometheus endpoint. It returns each
// neo4j_operator_* family (and controller_runtime_reconcile_total) summed
// over all series under its name, and per kind and verb under
// "name{kind=K}{verb=V}", per cluster under
// "name{name=N}{namespace=NS}" (labels in the exposition's order).
func (o *Operator) Metrics() (map[string]float64, error) {
	resp, err := http.Get("http://" + o.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for name, f := range families {
		if !strings.HasPrefix(name, "neo4j_operator_") && name != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" || l.GetName() == "verb" || l.GetName() == "name" || l.GetName() == "namespace" {
					key += "{" + l.GetName() + "=" + l.GetValue() + "}"
				}
			}
			v := m.GetCounter().GetValue()
			out[key] += v
			out[name] += v
		}
	}
	return out, nil
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// FreeAddr is a free loopback address (host:port) to listen on.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// PID is the running operator's process ID (0 when it is not running).
func (o *Operator) PID() int {
	if o.cmd == nil || o.cmd.Process == nil || o.Exited() {
		return 0
	}
	return o.cmd.Process.Pid
}

// MetricsURL is the address of its Prometheus endpoint.
func (o *Operator) MetricsURL() string { return "http://" + o.metricsAddr + "/metrics" }

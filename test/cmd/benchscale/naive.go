package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

// Naive is the control group's column: the seed's reconciler
// (test/support/naive) on a fresh API server, with the same clusters, client
// rate limit and window.
type Naive struct {
	BuildUpSeconds float64  `json:"buildUpSeconds"` // until every StatefulSet exists
	BuildUp        Requests `json:"buildUpRequests"`
	Steady         Requests `json:"steadyRequests"`
	Seconds        float64  `json:"steadySeconds"`
	WritesPerMin   float64  `json:"writesPerMinute"`
	RSSMiB         float64  `json:"rssMiB"`
}

const naiveUser = "naive-operator"

// naive runs the control group: a new API server (nothing of ours on it),
// the N clusters, the naive reconciler out of process as a user of its
// own, and the same steady-state window.
func (b *bench) naive(ctx context.Context) error {
	b.op.Stop()
	lc, admin, err := apiServer(ctx)
	if err != nil {
		return err
	}
	defer lc.Stop()
	root := testenv.RepoRoot()
	start := time.Now()
	for i := range b.cfg.N {
		c := b.newCluster(i)
		if i%b.cfg.PerNS == 0 {
			if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace}}); err != nil {
				return err
			}
		}
		if err := admin.Create(ctx, c); err != nil {
			return err
		}
	}
	kubeconfig, err := lc.UserKubeconfig(naiveUser, []string{localcluster.MastersGroup})
	if err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(lc.Dir, "naive.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin", "naiveoperator"), "--kubeconfig="+kubeconfig,
		fmt.Sprintf("--max-concurrent-reconciles=%d", b.cfg.Concurrent),
		fmt.Sprintf("--kube-api-qps=%d", b.cfg.QPS), fmt.Sprintf("--kube-api-burst=%d", b.cfg.Burst))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	nv := &b.report.Naive
	for {
		var sets appsv1.StatefulSetList
		if err := admin.List(ctx, &sets); err != nil {
			return err
		}
		if len(sets.Items) >= 2*b.cfg.N {
			break
		}
		if time.Since(start) > 30*time.Minute {
			return fmt.Errorf("naive: %d of %d StatefulSets after 30 min", len(sets.Items), 2*b.cfg.N)
		}
		time.Sleep(time.Second)
	}
	nv.BuildUpSeconds = round(time.Since(start).Seconds())
	if nv.BuildUp, err = requests(lc, naiveUser, start, time.Time{}); err != nil {
		return err
	}
	window := min(b.cfg.Steady, 2*time.Minute) // its rate is the figure; it never settles
	say("naive: every StatefulSet after %.1fs; steady state for %s", nv.BuildUpSeconds, window)
	steady := time.Now()
	time.Sleep(window)
	end := time.Now()
	if nv.Steady, err = requests(lc, naiveUser, steady, end); err != nil {
		return err
	}
	nv.Seconds = round(end.Sub(steady).Seconds())
	nv.WritesPerMin = round(float64(nv.Steady.Writes) / end.Sub(steady).Minutes())
	rss, _, err := rssMiB(cmd.Process.Pid)
	nv.RSSMiB = round(rss)
	say("naive: %d writes in the window (%.0f/min), %d conflicts", nv.Steady.Writes, nv.WritesPerMin, nv.Steady.Conflicts)
	return err
}

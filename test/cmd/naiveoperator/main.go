// Command naiveoperator runs the control group (test/support/naive, a FAKE of
// the seed's operator) out of process, for the scale benchmark's naive
// column. Never run it against a cluster you care about.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/naive"
)

func main() {
	metrics := flag.String("metrics-bind-address", "0", "address of the metrics endpoint")
	concurrent := flag.Int("max-concurrent-reconciles", 2, "clusters reconciled at once")
	qps := flag.Float64("kube-api-qps", 20, "client-side rate limit, as the operator's flag")
	burst := flag.Int("kube-api-burst", 30, "client-side burst, as the operator's flag")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fail(err)
	}
	cfg.UserAgent = naive.Manager
	cfg.QPS, cfg.Burst = float32(*qps), *burst
	// FIFO, as in the controller-runtime the seed's operator ran: with
	// today's default priority queue, the clusters it keeps re-queueing
	// (each of its own StatefulSet updates is an event) starve the initial
	// list, and in a 20-cluster run here it never got past the first 3.
	fifo := false
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: testenv.Scheme,
		Metrics: metricsserver.Options{BindAddress: *metrics}, HealthProbeBindAddress: "0",
		Controller: config.Controller{UsePriorityQueue: &fifo}})
	if err != nil {
		fail(err)
	}
	if _, err := naive.Setup(mgr, *concurrent); err != nil {
		fail(err)
	}
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "naiveoperator:", err)
	os.Exit(1)
}

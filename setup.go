package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	accessctl "github.com/graphops-dev/neo4j-operator/controllers/access"
	backupctl "github.com/graphops-dev/neo4j-operator/controllers/backup"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/expectations"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
)

// setupControllers registers the operator's controllers with the manager.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o options) error {
	clusters := &controllers.Neo4jEnterpriseClusterReconciler{
		Observers:      observers(mgr, o.neo4j),
		Expectations:   expectations.New(),
		Written:        expectations.NewRecords(5 * time.Second),
		StuckAfter:     o.neo4j.stuckAfter,
		Kinds:          o.kinds,
		TLSReloadDelay: o.neo4j.tlsReloadDelay,
		Rollout:        controllers.RolloutOptions{StuckAfter: o.neo4j.rollStuckAfter, MaxLag: o.neo4j.rollMaxLag},
		// Confined to namespaces, the operator may list Secrets there
		// (a namespaced Role); cluster-wide it may only get them by name.
		WatchSecrets:            len(watchNamespaces(o.namespaces)) > 0,
		Client:                  apply.Counted(mgr.GetClient(), true),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("neo4j-operator"),
		MaxConcurrentReconciles: o.maxConcurrent,
	}
	if err := clusters.SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	if err := backupctl.SetupWithManager(mgr, o.maxConcurrent); err != nil {
		return err
	}
	if clusters.Observers == nil {
		return nil // users and roles need Neo4j observed: the leader is found from the polls
	}
	return (&accessctl.Reconciler{
		Client: apply.Counted(mgr.GetClient(), false), APIReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("neo4j-operator"), Recheck: o.neo4j.accessRecheck,
		Admin: func(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (accessctl.Conn, error) {
			return clusters.AdminConn(ctx, c)
		},
	}).SetupWithManager(ctx, mgr, clusters.WatchSecrets, o.maxConcurrent)
}

// watchNamespaces splits the --watch-namespaces flag (or the
// WATCH_NAMESPACES environment variable OLM sets from the OperatorGroup).
func watchNamespaces(flagValue string) []string {
	var out []string
	for _, ns := range strings.Split(flagValue, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			out = append(out, ns)
		}
	}
	return out
}

// observers are the Neo4j pollers, or nil when --neo4j-observe=false.
func observers(mgr ctrl.Manager, o neo4jOptions) *observer.Observers {
	if !o.observe {
		return nil
	}
	d := neo4j.Dialer{Timeout: o.call}
	if o.fakeResolve != "" {
		ctrl.Log.WithName("setup").Info("TEST HOOK ON: Neo4j addresses are resolved through a file, to reach fake servers", "file", o.fakeResolve)
		d.Resolve = fileResolver(o.fakeResolve)
	}
	obs := observer.New(mgr.GetAPIReader(), d, o.calm, o.busy)
	obs.Workers = o.workers
	obs.SecretRecheck = o.secretRecheck
	return obs
}

// fileResolver resolves through a file of "host:port dial-address" lines;
// an address not in the file is dialled as it is. The file is parsed again
// only when it changed (a stat per dial: another file, as a rename makes,
// another size or modification time): the
// scale benchmark's file has a line for each of 5,000 fake servers, and
// parsing it at every dial would be what its CPU figure measured.
func fileResolver(path string) func(string) string {
	var (
		mu    sync.Mutex
		read  os.FileInfo
		table map[string]string
	)
	return func(hostport string) string {
		mu.Lock()
		defer mu.Unlock()
		info, err := os.Stat(path)
		if err != nil {
			return hostport
		}
		if read == nil || !os.SameFile(read, info) || info.Size() != read.Size() || !info.ModTime().Equal(read.ModTime()) {
			data, err := os.ReadFile(path)
			if err != nil {
				return hostport
			}
			table = map[string]string{}
			for _, l := range strings.Split(string(data), "\n") {
				if f := strings.Fields(l); len(f) == 2 {
					table[f[0]] = f[1]
				}
			}
			read = info
		}
		if to, ok := table[hostport]; ok {
			return to
		}
		return hostport
	}
}

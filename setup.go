package main

import (
	"context"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/graphops-dev/neo4j-operator/controllers"
)

// setupControllers registers the operator's controllers with the manager.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o options) error {
	return (&controllers.Neo4jEnterpriseClusterReconciler{
		// Confined to namespaces, the operator may list Secrets there
		// (a namespaced Role); cluster-wide it may only get them by name.
		WatchSecrets:            len(watchNamespaces(o.namespaces)) > 0,
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("neo4j-operator"),
		MaxConcurrentReconciles: o.maxConcurrent,
	}).SetupWithManager(ctx, mgr)
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

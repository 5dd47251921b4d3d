package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/graphops-dev/neo4j-operator/internal/helmmigrate"
)

func newMigrate(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var releases []string
	var name string
	var apply, dryRun bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "migrate-from-helm",
		Short: "Move a cluster installed with Neo4j's Helm chart to a Neo4jEnterpriseCluster that keeps its volumes",
		Long: "migrate-from-helm reads the chart's releases (one per server) and prints the Neo4jEnterpriseCluster that matches them, " +
			"the claims that take over their volumes, and the steps. With --apply it runs them: volumes to Retain, the password Secret copied, " +
			"the releases scaled to 0, each volume bound to the claim the new StatefulSet adopts, the cluster created. It deletes nothing. " +
			"See docs/migrate-from-helm.md.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if apply && dryRun && cmd.Flags().Changed("dry-run") {
				return fmt.Errorf("--apply and --dry-run: choose one")
			}
			c, ns, err := clientFor(flags)
			if err != nil {
				return err
			}
			found, err := helmmigrate.Gather(cmd.Context(), c, ns, releases)
			if err != nil {
				return err
			}
			plan, err := helmmigrate.Build(found, helmmigrate.Options{Namespace: ns, ClusterName: name})
			if err != nil {
				return err
			}
			a := helmmigrate.Applier{Client: c, Out: streams.Out, Timeout: timeout, Interval: time.Second}
			if !apply {
				if err := plan.Print(streams.Out); err != nil {
					return err
				}
				return a.Preflight(cmd.Context(), plan)
			}
			return a.Apply(cmd.Context(), plan)
		},
	}
	cmd.Flags().StringSliceVar(&releases, "release", nil, "The chart's releases, one per server (default: every release of the chart in the namespace).")
	cmd.Flags().StringVar(&name, "name", "", "Name of the new cluster (default: the chart's neo4j.name).")
	cmd.Flags().BoolVar(&dryRun, "dry-run", true, "Print the cluster, the claims and the steps; change nothing (the default).")
	cmd.Flags().BoolVar(&apply, "apply", false, "Run the steps.")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "How long to wait for the chart's pods to stop, and for each claim to bind.")
	return cmd
}

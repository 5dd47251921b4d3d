package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/graphops-dev/neo4j-operator/internal/doctor"
)

func newDoctor(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var allNamespaces bool
	var since time.Duration
	var output string
	var operatorMetrics bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Look for pod churn in StatefulSets: new revisions, recreated pods, two writers of a pod template, write conflicts",
		Long: "doctor reads every StatefulSet of the namespace (or all of them), their ControllerRevisions and the Events of the window, " +
			"and reports revisions created, pods recreated by ordinal, the field managers that own the pod template, and write conflicts. " +
			"It also reads this operator's write and conflict counters through the API server's service proxy, where RBAC and the endpoint allow. " +
			"It ends with a verdict line; the exit code is 0 for calm, 1 for churn found.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ns, err := clientFor(flags)
			if err != nil {
				return err
			}
			if allNamespaces {
				ns = ""
			}
			in, err := doctor.Gather(cmd.Context(), c, ns, since, time.Now())
			if err != nil {
				return err
			}
			if operatorMetrics {
				cs, err := clientsetFor(flags)
				if err != nil {
					return err
				}
				in.Operators = doctor.ReadOperatorMetrics(cmd.Context(), c, cs)
			}
			r := doctor.Examine(in)
			switch output {
			case "json":
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			case "text", "":
				fmt.Fprint(streams.Out, doctor.Print(r))
			default:
				return fmt.Errorf("-o %s: want text or json", output)
			}
			if r.Churning {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "Look at every namespace.")
	cmd.Flags().DurationVar(&since, "since", time.Hour, "How far back to look.")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json.")
	cmd.Flags().BoolVar(&operatorMetrics, "operator-metrics", true, "Also read this operator's write and conflict counters through the API server's service proxy (needs get on services/proxy).")
	return cmd
}

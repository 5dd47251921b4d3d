// Command kubectl-neo4j is a kubectl plugin (kubectl neo4j ...): the
// status of Neo4jEnterpriseClusters at a glance, and a churn doctor for
// any StatefulSet in the cluster, whoever manages it.
//
//	go install github.com/graphops-dev/neo4j-operator/cmd/kubectl-neo4j@latest
//	kubectl neo4j status [NAME] [-o table|json|yaml]
//	kubectl neo4j doctor [--all-namespaces] [--since 1h] [-o text|json]
//	kubectl neo4j migrate-from-helm [--release R1,R2,...] [--name NAME] [--dry-run | --apply]
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	root := newRoot(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	if err := root.Execute(); err != nil {
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
}

// version is set at release (make plugin, make plugin-release).
var version = "dev"

// exitCode ends the command with that code and nothing more to say.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func newRoot(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:           "kubectl-neo4j",
		Short:         "Neo4j clusters at a glance, a churn doctor for any StatefulSet, and the move from the Helm chart",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	flags.AddFlags(root.PersistentFlags())
	root.AddCommand(newDoctor(flags, streams), newMigrate(flags, streams), newStatus(flags, streams))
	return root
}

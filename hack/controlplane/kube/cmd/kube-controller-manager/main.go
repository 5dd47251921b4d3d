// Command kube-controller-manager runs the upstream kube-controller-manager, built from k8s.io/kubernetes at
// the version pinned in go.mod. It mirrors upstream's cmd/kube-controller-manager.
package main

import (
	"os"
	_ "time/tzdata" // time zone data, as upstream embeds it

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}

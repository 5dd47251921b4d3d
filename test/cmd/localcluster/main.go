// Command localcluster starts a local cluster (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok fake nodes; see
// test/support/localcluster), writes an admin kubeconfig, prints how to use it,
// and stops the cluster on Ctrl-C. `make localcluster` runs it; `make demo`
// builds on it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

func main() {
	var (
		nodes      = flag.Int("nodes", 3, "number of fake kwok nodes")
		volumes    = flag.Int("volumes", 10, "pre-created PersistentVolumes per storage class")
		classes    = flag.String("storage-classes", ",standard", "comma-separated storage classes of the volumes (an empty item: claims without a class)")
		kubeconfig = flag.String("kubeconfig", "", "also copy the admin kubeconfig here (e.g. bin/localcluster.kubeconfig)")
		users      = flag.String("user", "", "comma-separated extra identities to mint kubeconfigs for, each user[=group+group...], e.g. neo4j-operator=system:masters")
		keep       = flag.Bool("keep", false, "keep the cluster's folder (logs, audit log) after stopping")
		olm        = flag.Bool("olm", false, "also run OLM's olm and catalog operators (make olm-tools builds them); serve a catalog with bin/opm serve and point a CatalogSource at it by spec.address")
	)
	flag.Parse()
	if err := run(*nodes, *volumes, strings.Split(*classes, ","), *kubeconfig, *users, *keep, *olm); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(nodes, volumes int, classes []string, kubeconfig, users string, keep, olm bool) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	t0 := time.Now()
	c, err := localcluster.Start(ctx, localcluster.Options{
		Nodes:             nodes,
		PersistentVolumes: volumes,
		StorageClasses:    classes,
		Keep:              keep,
		OLM:               olm,
		Log:               os.Stderr,
	})
	if err != nil {
		return err
	}
	defer func() { _ = c.Stop() }()
	fmt.Fprintf(os.Stderr, "localcluster: up in %.1fs\n", time.Since(t0).Seconds())

	if kubeconfig != "" {
		b, err := os.ReadFile(c.Kubeconfig)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(kubeconfig, b, 0o600); err != nil {
			return err
		}
	} else {
		kubeconfig = c.Kubeconfig
	}
	abs, _ := filepath.Abs(kubeconfig)

	fmt.Printf("export KUBECONFIG=%s\n", abs)
	fmt.Printf("# server:    %s\n# folder:    %s\n# audit log: %s\n# logs:      %s\n", c.Host, c.Dir, c.AuditLog, filepath.Dir(c.LogPath("etcd")))
	for _, spec := range strings.Split(users, ",") {
		if spec == "" {
			continue
		}
		user, groups := parseUser(spec)
		path, err := c.UserKubeconfig(user, groups)
		if err != nil {
			return err
		}
		fmt.Printf("# user %s %v: %s\n", user, groups, path)
	}
	fmt.Fprintln(os.Stderr, "localcluster: running; Ctrl-C stops it")

	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "localcluster: stopping")
		return nil
	case err := <-c.Died():
		c.MarkFailed()
		return err
	}
}

// parseUser splits "name=group+group". "=" and "+" separate because user
// and group names contain colons (system:serviceaccount:ns:sa).
func parseUser(spec string) (string, []string) {
	user, groups, ok := strings.Cut(spec, "=")
	if !ok || groups == "" {
		return user, nil
	}
	return user, strings.Split(groups, "+")
}

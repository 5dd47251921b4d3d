package cluster

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FollowPods makes the fake follow a namespace's pods until ctx ends: every
// 200 ms it tells the fake which pods are Ready (a "-secondary-" pod is a
// secondary) and which pods of the previous list are gone (RemovePod; a
// pod listed under a new UID was replaced between two lists, so its server
// is removed and comes back, as a restart), and rewrites resolveFile, the
// operator's --neo4j-fake-resolve file: one
// "<pod>-internals.<ns>.svc.<domain>:7687 <fake listener>" line per pod
// listed.
func (c *Cluster) FollowPods(ctx context.Context, k client.Client, ns, domain, resolveFile string) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	written := ""
	seen := map[string]types.UID{} // the pods of the last list
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pods := &corev1.PodList{}
		if err := k.List(ctx, pods, client.InNamespace(ns)); err != nil {
			continue
		}
		var lines []string
		listed := map[string]types.UID{}
		revisions := map[string]string{}
		for _, p := range pods.Items {
			listed[p.Name] = p.UID
		}
		// What stopped first, then what runs: one list is one moment, and
		// a server whose pod is gone or terminating must not count as
		// running beside one that (re)started.
		for _, name := range slices.Sorted(maps.Keys(seen)) {
			if _, ok := listed[name]; !ok {
				c.RemovePod(name)
			}
		}
		for _, p := range pods.Items {
			if uid, ok := seen[p.Name]; ok && uid != p.UID {
				// Replaced between two lists: its server restarted.
				c.RemovePod(p.Name)
			}
			c.SetClusterPolicy(p.Name, mountsClusterTLS(&p), p.DeletionTimestamp != nil)
		}
		for _, p := range pods.Items {
			if len(p.Spec.Containers) > 0 {
				revisions[p.Name] = p.Labels["controller-revision-hash"] + "|" + p.Spec.Containers[0].Image
			}
			ready := false
			for _, cond := range p.Status.Conditions {
				ready = ready || (cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue)
			}
			addr := fmt.Sprintf("%s-internals.%s.svc.%s:7687", p.Name, ns, domain)
			_ = c.SetPod(p.Name, addr, strings.Contains(p.Name, "-secondary-"), ready)
			if a := c.Addr(p.Name); a != "" {
				lines = append(lines, addr+" "+a)
			}
		}
		seen = listed
		c.SetRevisions(revisions)
		sort.Strings(lines)
		content := strings.Join(lines, "\n") + "\n"
		if content == written {
			continue
		}
		// Replaced whole (rename), so a reader never sees half a file.
		if os.WriteFile(resolveFile+".tmp", []byte(content), 0o600) == nil && os.Rename(resolveFile+".tmp", resolveFile) == nil {
			written = content
		}
	}
}

// mountsClusterTLS: the pod mounts the cluster channel's certificates,
// which the operator does exactly when it configures that channel's SSL
// policy (the volume "tls-cluster", internal/render's ClusterTLS).
func mountsClusterTLS(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.Name == "tls-cluster" {
			return true
		}
	}
	return false
}

// FollowTLSSecret plays the kubelet for the pods' Bolt TLS volume until
// ctx ends (FollowChannelSecret for the bolt channel): a tls.crt or
// tls.key that changed is written into the volume (SetMountedCertificate)
// lag later; the first content seen is mounted at once.
func (c *Cluster) FollowTLSSecret(ctx context.Context, k client.Client, key types.NamespacedName, lag time.Duration) {
	c.FollowChannelSecret(ctx, k, channelBolt, key, lag)
}

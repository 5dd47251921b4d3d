package localcluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Fake nodes are plain Node objects that kwok adopts through the annotation
// below: it marks them Ready, keeps their lease fresh and "runs" every pod
// scheduled to them. The capacity is generous so scheduling never fails for
// resources, only for what a test sets up on purpose (affinity, taints).

// NodeName is the name of the i-th fake node.
func NodeName(i int) string { return fmt.Sprintf("kwok-node-%d", i) }

func fakeNode(i int) *corev1.Node {
	name := NodeName(i)
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Annotations: map[string]string{
				"kwok.x-k8s.io/node":           "fake",
				"node.alpha.kubernetes.io/ttl": "0",
			},
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
				// Three zones round-robin, so zone spreading can be tested
				// as well as hostname anti-affinity.
				"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3),
			},
		},
		Status: corev1.NodeStatus{Capacity: resources, Allocatable: resources},
	}
}

// createNodes creates the fake nodes; kwok and the node-lifecycle controller
// do the rest (Ready condition, removal of the not-ready taint).
func (c *Cluster) createNodes(ctx context.Context, n int) error {
	for i := range n {
		if _, err := c.Clientset.CoreV1().Nodes().Create(ctx, fakeNode(i), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %d: %w", i, err)
		}
	}
	return nil
}

// nodesReady is true when n nodes are Ready and carry no taints: a new Node
// gets node.kubernetes.io/not-ready:NoSchedule on admission, and pods
// schedule only once the node-lifecycle controller has removed it.
func (c *Cluster) nodesReady(ctx context.Context, n int) (bool, error) {
	list, err := c.Clientset.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err
	}
	ready := 0
	for _, node := range list.Items {
		if len(node.Spec.Taints) > 0 {
			continue
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	return ready >= n, nil
}

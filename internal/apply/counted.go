package apply

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Counted wraps a client so that every write it sends is counted here and
// nowhere else: Writes by kind and verb, once the API server accepted it,
// and, when perCluster is set, ClusterWrites for the cluster it concerns
// (the cluster object itself, or an object carrying the cluster label).
// The figures the README and the benchmarks quote come from this one
// place, so they cannot drift from the code. Reads pass through.
func Counted(c client.Client, perCluster bool) client.Client {
	if w, ok := c.(*counted); ok && w.perCluster == perCluster {
		return c
	}
	return &counted{Client: c, perCluster: perCluster}
}

type counted struct {
	client.Client
	perCluster bool
}

func (c *counted) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	return c.count(obj, "create", c.Client.Create(ctx, obj, opts...))
}

func (c *counted) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	return c.count(obj, "update", c.Client.Update(ctx, obj, opts...))
}

func (c *counted) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return c.count(obj, "patch", c.Client.Patch(ctx, obj, patch, opts...))
}

func (c *counted) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	return c.count(obj, "delete", c.Client.Delete(ctx, obj, opts...))
}

// Status writes count as verb "status".
func (c *counted) Status() client.SubResourceWriter {
	return &countedSub{SubResourceWriter: c.Client.Status(), c: c, verb: "status"}
}

// SubResource writes count under the subresource's verb: "evict" for
// a pod's eviction, else the subresource's name.
func (c *counted) SubResource(sub string) client.SubResourceClient {
	verb := sub
	if sub == "eviction" {
		verb = "evict"
	}
	inner := c.Client.SubResource(sub)
	return &countedSubClient{SubResourceClient: inner, w: countedSub{SubResourceWriter: inner, c: c, verb: verb}}
}

// count records a write the API server accepted and returns its error.
func (c *counted) count(obj client.Object, verb string, err error) error {
	if err != nil {
		return err
	}
	Writes.WithLabelValues(c.kindOf(obj), verb).Inc()
	if ns, name, ok := c.clusterOf(obj); ok {
		ClusterWrites.WithLabelValues(ns, name).Inc()
	}
	return nil
}

func (c *counted) kindOf(obj client.Object) string {
	if gvk, err := apiutil.GVKForObject(obj, c.Scheme()); err == nil {
		return gvk.Kind
	}
	return "Unknown"
}

// clusterOf is the cluster a write concerns, when counted per cluster.
func (c *counted) clusterOf(obj client.Object) (ns, name string, ok bool) {
	if !c.perCluster {
		return "", "", false
	}
	if _, isCluster := obj.(*v1alpha1.Neo4jEnterpriseCluster); isCluster {
		return obj.GetNamespace(), obj.GetName(), true
	}
	name, ok = obj.GetLabels()[render.LabelCluster]
	return obj.GetNamespace(), name, ok
}

type countedSub struct {
	client.SubResourceWriter
	c    *counted
	verb string
}

func (s *countedSub) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return s.c.count(obj, s.verb, s.SubResourceWriter.Create(ctx, obj, sub, opts...))
}

func (s *countedSub) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.c.count(obj, s.verb, s.SubResourceWriter.Update(ctx, obj, opts...))
}

func (s *countedSub) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.c.count(obj, s.verb, s.SubResourceWriter.Patch(ctx, obj, patch, opts...))
}

// countedSubClient reads as the subresource client does and writes
// through countedSub.
type countedSubClient struct {
	client.SubResourceClient
	w countedSub
}

func (s *countedSubClient) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return s.w.Create(ctx, obj, sub, opts...)
}

func (s *countedSubClient) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.w.Update(ctx, obj, opts...)
}

func (s *countedSubClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.w.Patch(ctx, obj, patch, opts...)
}

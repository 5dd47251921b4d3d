package controllers

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/status"
)

// reconcileObjects renders the desired objects, applies each one, then
// removes owned objects that are no longer desired (the per-server Services
// of removed servers, the secondary StatefulSet scaled to zero). It never
// deletes a PersistentVolumeClaim.
func (r *Neo4jEnterpriseClusterReconciler) reconcileObjects(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, obs *status.Observed) error {
	objs, err := render.Render(c)
	if err != nil {
		obs.Issues = append(obs.Issues, status.Issue{Reason: "InvalidSpec", Message: err.Error()})
		return nil
	}
	a := r.applier()
	desired := map[string]bool{}
	var failed error
	for _, obj := range objs.All() {
		desired[r.objectKey(obj)] = true
		res, err := a.Apply(ctx, c, obj)
		if err != nil {
			// One object the API refuses (a webhook, a quota) must not
			// block the others, nor hide from the status.
			obs.Issues = append(obs.Issues, status.Issue{Reason: "ApplyFailed", Message: err.Error()})
			failed = errors.Join(failed, err)
			continue
		}
		for _, note := range res.Notes {
			obs.Issues = append(obs.Issues, status.Issue{Reason: "ImmutableFieldChanged", Message: note})
		}
		if res.Outcome == apply.ReplacePending {
			obs.Pending = true
		}
		if res.Outcome == apply.NotOwned {
			// Deleting the squatter sends this cluster no event (it is
			// not ours, and likely not in the cache): look again later.
			obs.Recheck = true
			obs.Issues = append(obs.Issues, status.Issue{Reason: "ObjectNotOwned", Message: fmt.Sprintf(
				"%s %s exists and is not controlled by this cluster; it was left alone",
				r.kindOf(obj), client.ObjectKeyFromObject(obj))})
		}
		if res.Outcome == apply.Created || res.Outcome == apply.Updated || res.Outcome == apply.Replaced {
			log.FromContext(ctx).Info("wrote object", "outcome", res.Outcome, "object", r.objectKey(obj), "conflicts", res.Conflicts)
		}
	}
	if failed != nil {
		return failed // pruning waits until every desired object is in place
	}
	return r.prune(ctx, c, desired)
}

// prunable are the kinds whose count follows the topology.
func prunable() []client.ObjectList {
	return []client.ObjectList{&appsv1.StatefulSetList{}, &corev1.ServiceList{}, &policyv1.PodDisruptionBudgetList{}}
}

func (r *Neo4jEnterpriseClusterReconciler) prune(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, desired map[string]bool) error {
	for _, list := range prunable() {
		if err := r.List(ctx, list, client.InNamespace(c.Namespace), client.MatchingLabels{render.LabelCluster: c.Name}); err != nil {
			return fmt.Errorf("listing owned objects: %w", err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return err
		}
		for _, item := range items {
			obj := item.(client.Object)
			if desired[r.objectKey(obj)] || !metav1.IsControlledBy(obj, c) {
				continue
			}
			// A UID precondition deletes exactly the object that was looked
			// at; not its resourceVersion, which a StatefulSet's status
			// moves all the time.
			uid := obj.GetUID()
			err := r.Delete(ctx, obj, client.Preconditions{UID: &uid})
			if client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("deleting %s: %w", r.objectKey(obj), err)
			}
			apply.Writes.WithLabelValues(r.kindOf(obj), "delete").Inc()
			log.FromContext(ctx).Info("deleted object no longer desired", "object", r.objectKey(obj))
		}
	}
	return nil
}

func (r *Neo4jEnterpriseClusterReconciler) objectKey(obj client.Object) string {
	return r.kindOf(obj) + "/" + obj.GetName()
}

func (r *Neo4jEnterpriseClusterReconciler) kindOf(obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, r.Scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

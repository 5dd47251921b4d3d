package doctor

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Gather lists what the doctor reads, in one namespace ("" for all):
// StatefulSets, ControllerRevisions and Events, for the window ending
// now. It needs list on those three, nothing more.
func Gather(ctx context.Context, c client.Reader, ns string, window time.Duration, now time.Time) (Input, error) {
	in := Input{Since: now.Add(-window), Now: now, Namespace: ns}
	var opts []client.ListOption
	if ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	sets := &appsv1.StatefulSetList{}
	revs := &appsv1.ControllerRevisionList{}
	events := &corev1.EventList{}
	for _, l := range []client.ObjectList{sets, revs, events} {
		if err := c.List(ctx, l, opts...); err != nil {
			return in, err
		}
	}
	in.StatefulSets, in.Revisions, in.Events = sets.Items, revs.Items, events.Items
	return in, nil
}

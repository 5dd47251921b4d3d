package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Outcome is what Apply did.
type Outcome string

// Outcomes of Apply.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	// NotOwned: the object exists but another owner (or nobody) controls
	// it. It was left alone.
	NotOwned Outcome = "not-owned"
	// Replaced: an immutable field the operator owns had to change, so the
	// object was deleted and created again (only Services, whose clusterIP
	// moves between none and allocated: see mustReplace).
	Replaced Outcome = "replaced"
	// ReplacePending: a replacement is due but was left for a later
	// reconcile (MaxReplacements reached, or the old object is still
	// terminating).
	ReplacePending Outcome = "replace-pending"
)

// Result of one Apply.
type Result struct {
	Outcome Outcome
	// Notes are changes that could not be applied (immutable fields).
	Notes []string
	// Conflicts is how many attempts were refused with 409.
	Conflicts int
	// Generation of the object written (Created, Updated, Replaced): the
	// expectation the cache must meet before a step builds on the write.
	Generation int64
}

// Backoff between conflicting attempts. Eight attempts cover a burst of
// writers; past that the reconcile fails and is requeued with backoff.
var Backoff = wait.Backoff{Steps: 8, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.1}

// Applier writes owned objects.
type Applier struct {
	// Client writes, and reads through the informer cache.
	Client client.Client
	// APIReader reads the API server directly, for retries.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	// MaxReplacements bounds the deletes-and-creates of one Applier (zero:
	// none are bounded); past it, Apply returns ReplacePending.
	MaxReplacements int
	replacements    int
}

// Apply makes the live object match the fields the operator owns in
// desired, controlled by owner. desired is not modified.
func (a *Applier) Apply(ctx context.Context, owner, desired client.Object) (Result, error) {
	kind, err := a.kind(desired)
	if err != nil {
		return Result{}, err
	}
	var res Result
	reader := client.Reader(a.Client)
	err = retry.RetryOnConflict(Backoff, func() error {
		var err error
		res.Outcome, res.Notes, res.Generation, err = a.attempt(ctx, reader, kind, owner, desired)
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			res.Conflicts++
			WriteConflicts.WithLabelValues(kind).Inc()
			log.FromContext(ctx).V(1).Info("write conflict, retrying from a fresh read",
				"kind", kind, "name", desired.GetName(), "attempt", res.Conflicts)
			reader = a.APIReader // the cache was stale: read the source
			return apierrors.NewConflict(schema.GroupResource{Resource: kind}, desired.GetName(), err)
		}
		return err
	})
	if err != nil {
		return res, fmt.Errorf("applying %s %s/%s: %w", kind, desired.GetNamespace(), desired.GetName(), err)
	}
	return res, nil
}

// attempt is one get → mutate → compare → write cycle.
func (a *Applier) attempt(ctx context.Context, reader client.Reader, kind string, owner, desired client.Object) (Outcome, []string, int64, error) {
	out, notes, written, err := a.write(ctx, reader, kind, owner, desired)
	if written == nil {
		return out, notes, 0, err
	}
	return out, notes, written.GetGeneration(), err
}

// write reads, compares and writes; it returns the object written, if any.
func (a *Applier) write(ctx context.Context, reader client.Reader, kind string, owner, desired client.Object) (Outcome, []string, client.Object, error) {
	live := desired.DeepCopyObject().(client.Object)
	err := reader.Get(ctx, client.ObjectKeyFromObject(desired), live)
	if apierrors.IsNotFound(err) {
		obj := desired.DeepCopyObject().(client.Object)
		if err := controllerutil.SetControllerReference(owner, obj, a.Scheme); err != nil {
			return "", nil, nil, err
		}
		if err := a.Client.Create(ctx, obj); err != nil {
			return "", nil, nil, err // AlreadyExists: retried from a fresh read
		}
		return Created, nil, obj, nil
	}
	if err != nil {
		return "", nil, nil, err
	}
	if !metav1.IsControlledBy(live, owner) {
		return NotOwned, nil, nil, nil
	}
	if mustReplace(live, desired) {
		if !live.GetDeletionTimestamp().IsZero() || (a.MaxReplacements > 0 && a.replacements >= a.MaxReplacements) {
			return ReplacePending, nil, nil, nil
		}
		return a.replace(ctx, kind, owner, live, desired)
	}
	before := live.DeepCopyObject().(client.Object)
	notes, err := mutateOwned(live, desired)
	if err != nil {
		return "", nil, nil, err
	}
	if equality.Semantic.DeepEqual(before, live) {
		WritesSkipped.WithLabelValues(kind).Inc()
		return Unchanged, notes, nil, nil
	}
	log.FromContext(ctx).V(1).Info("owned fields differ", "kind", kind, "name", live.GetName(),
		"diff", cmp.Diff(before, live))
	if err := a.Client.Update(ctx, live); err != nil {
		return "", notes, nil, err
	}
	return Updated, notes, live, nil
}

// replace deletes exactly the object that was read (UID precondition) and
// creates the desired one. A conflict on either step is retried from a
// fresh read by Apply.
func (a *Applier) replace(ctx context.Context, kind string, owner, live, desired client.Object) (Outcome, []string, client.Object, error) {
	uid := live.GetUID()
	if err := a.Client.Delete(ctx, live, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
		return "", nil, nil, err
	}
	obj := desired.DeepCopyObject().(client.Object)
	obj.SetLabels(mergeStrings(live.GetLabels(), desired.GetLabels()))
	obj.SetAnnotations(mergeStrings(live.GetAnnotations(), desired.GetAnnotations()))
	if err := controllerutil.SetControllerReference(owner, obj, a.Scheme); err != nil {
		return "", nil, nil, err
	}
	if err := a.Client.Create(ctx, obj); err != nil {
		return "", nil, nil, err
	}
	a.replacements++
	log.FromContext(ctx).Info("replaced object: an immutable field changed", "kind", kind, "name", obj.GetName())
	return Replaced, nil, obj, nil
}

func (a *Applier) kind(obj client.Object) (string, error) {
	gvk, err := apiutil.GVKForObject(obj, a.Scheme)
	if err != nil {
		return "", fmt.Errorf("apply: %w", err)
	}
	return gvk.Kind, nil
}

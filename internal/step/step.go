// Package step is the one result type of the reconcile's steps: whether to
// look again, when, why, and what failed.
package step

import (
	"errors"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

// Result of a step. The zero value means done, nothing to come back for.
type Result struct {
	// RequeueAfter asks for another reconcile after this long (zero: none).
	RequeueAfter time.Duration
	// Reason says why, for the log.
	Reason string
	// Err is a failure to retry with backoff.
	Err error
}

// After is a result that asks to come back after d, for reason.
func After(d time.Duration, reason string) Result { return Result{RequeueAfter: d, Reason: reason} }

// Failed is a result that failed with err.
func Failed(err error) Result { return Result{Err: err} }

// Merge combines two results: errors are joined, and the sooner requeue
// wins, with its reason.
func (r Result) Merge(o Result) Result {
	out := Result{Err: errors.Join(r.Err, o.Err), RequeueAfter: r.RequeueAfter, Reason: r.Reason}
	if o.RequeueAfter > 0 && (out.RequeueAfter == 0 || o.RequeueAfter < out.RequeueAfter) {
		out.RequeueAfter, out.Reason = o.RequeueAfter, o.Reason
	}
	return out
}

// Outcome is what controller-runtime takes. It drops RequeueAfter when an
// error is returned (the error's backoff applies instead), so an error
// wins: it is retried sooner than any requeue the operator asks for.
func (r Result) Outcome() (ctrl.Result, error) {
	if r.Err != nil {
		return ctrl.Result{}, r.Err
	}
	return ctrl.Result{RequeueAfter: r.RequeueAfter}, nil
}

// Report logs, at level 1, why the reconcile looks again and when: the
// reasons the steps give would otherwise be lost (the conditions carry
// what the user must know; this is for whoever reads the operator's log).
func (r Result) Report(log logr.Logger) {
	if r.Err == nil && r.RequeueAfter > 0 {
		log.V(1).Info("looking again", "after", r.RequeueAfter.String(), "reason", r.Reason)
	}
}

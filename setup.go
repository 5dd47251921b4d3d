package main

import (
	ctrl "sigs.k8s.io/controller-runtime"
)

// setupControllers registers the operator's controllers with the manager.
func setupControllers(mgr ctrl.Manager, o options) error {
	_ = mgr
	_ = o
	return nil
}

package localcluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pollInterval is short because every step of start-up is fast here and the
// whole start is meant to take seconds.
const pollInterval = 50 * time.Millisecond

// waitFor polls cond until it is true, the context ends, or a component
// exits; the last case fails at once with that component's log tail instead
// of waiting out the timeout.
func (c *Cluster) waitFor(ctx context.Context, cond func(context.Context) (bool, error)) error {
	var last error
	for {
		for _, p := range c.procs {
			if p.exited() {
				return p.exitError()
			}
		}
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
			}
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// httpOK is true when GET url answers 200: etcd's /health and the
// apiserver's /readyz, which is 200 only after every post-start hook (RBAC
// bootstrap roles, system priority classes, ...) has run.
func httpOK(ctx context.Context, hc *http.Client, url string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: %s: %s", url, resp.Status, body)
	}
	return true, nil
}

func (c *Cluster) defaultServiceAccount(ctx context.Context) (bool, error) {
	_, err := c.Clientset.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

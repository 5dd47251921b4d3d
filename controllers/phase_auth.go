package controllers

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/status"
)

// reconcileAuth makes sure the Secret the servers read NEO4J_AUTH from
// exists and is usable. Without it a server would crash-loop, so nothing
// else is created until it is. It returns whether to go on.
//
// Secrets are read from the API server, never from the cache: the operator
// caches only Secrets' metadata (to notice changes), not their contents.
func (r *Neo4jEnterpriseClusterReconciler) reconcileAuth(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, obs *status.Observed) (bool, error) {
	name := c.AuthSecretName()
	key := c.WithDefaults().Spec.Auth.SecretKey
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, secret)
	if apierrors.IsNotFound(err) && c.GeneratesAuthSecret() {
		return r.generateAuthSecret(ctx, c, key)
	}
	switch {
	case apierrors.IsNotFound(err):
		obs.Issues = append(obs.Issues, status.Issue{Reason: "AuthSecretMissing",
			Message: fmt.Sprintf("auth Secret %s/%s not found; create it with key %s=neo4j/<password>", c.Namespace, name, key)})
		return false, nil
	case err != nil:
		// A timeout or a 5xx is not the user's problem: retry with backoff.
		return false, fmt.Errorf("reading auth Secret %s/%s: %w", c.Namespace, name, err)
	}
	value, ok := secret.Data[key]
	if !ok {
		obs.Issues = append(obs.Issues, status.Issue{Reason: "AuthSecretInvalid",
			Message: fmt.Sprintf("auth Secret %s/%s has no key %s", c.Namespace, name, key)})
		return false, nil
	}
	// The value itself is never logged nor copied anywhere.
	if err := neo4jconf.CheckAuth(string(value)); err != nil {
		obs.Issues = append(obs.Issues, status.Issue{Reason: "AuthSecretInvalid",
			Message: fmt.Sprintf("auth Secret %s/%s key %s: %v", c.Namespace, name, key, err)})
		return false, nil
	}
	return true, nil
}

// generateAuthSecret creates "<cluster>-auth" once, with a random password.
// It is never rewritten: Neo4j reads NEO4J_AUTH only when a server first
// initialises its store. It carries no owner reference, so it outlives the
// cluster: the data on the retained volumes is protected by this very
// password, and a cluster recreated under the same name finds both.
func (r *Neo4jEnterpriseClusterReconciler) generateAuthSecret(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, key string) (bool, error) {
	password := rand.Text() // 26 base32 characters, 130 bits
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: c.AuthSecretName(), Namespace: c.Namespace, Labels: render.ClusterLabels(c)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{key: []byte("neo4j/" + password)},
	}
	err := r.Create(ctx, secret)
	if apierrors.IsAlreadyExists(err) {
		return true, nil // another reconcile made it; nothing generated here
	}
	if err != nil {
		return false, fmt.Errorf("creating auth Secret %s/%s: %w", c.Namespace, secret.Name, err)
	}
	apply.Writes.WithLabelValues("Secret", "create").Inc()
	r.event(c, corev1.EventTypeNormal, "AuthSecretGenerated", "GenerateSecret",
		"generated auth Secret %s with a random password", secret.Name)
	return true, nil
}

package operatorproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

// Deployed names, as config/default lays them out.
const (
	Namespace      = "neo4j-operator-system"
	ServiceAccount = "neo4j-operator-controller-manager"
	// User is the identity the API server sees for the ServiceAccount.
	User = "system:serviceaccount:" + Namespace + ":" + ServiceAccount
)

// Groups of a ServiceAccount, as the API server authenticates it.
var Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + Namespace, "system:authenticated"}

// Install applies everything `kustomize build config/default` renders except
// the manager Deployment (the operator runs as a local process instead).
func Install(ctx context.Context, c client.Client, kustomize, configDir string) error {
	out, err := exec.CommandContext(ctx, kustomize, "build", configDir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("kustomize build %s: %w: %s", configDir, err, ee.Stderr)
		}
		return fmt.Errorf("kustomize build %s: %w", configDir, err)
	}
	objs, err := localcluster.Decode(out)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			continue
		}
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			if err := waitEstablished(ctx, c, o.GetName()); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitEstablished waits until the API server serves a CRD: an operator
// started before that fails at once ("no matches for kind"), which once
// made an e2e suite fail at start.
func waitEstablished(ctx context.Context, c client.Client, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ok, _ := localcluster.Established(ctx, c, name); ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRD %s not Established within 30s", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ApplyFile creates every object of a YAML file (a sample, say) in ns.
func ApplyFile(ctx context.Context, c client.Client, data []byte, ns string) ([]*unstructured.Unstructured, error) {
	objs, err := localcluster.Decode(data)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		o.SetNamespace(ns)
		if err := c.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return objs, nil
}

// GrantNamespace lets the operator watch Secrets in ns, as an operator
// started with --watch-namespaces needs: it copies the namespaced part of
// the installed manager role into ns and binds it to the ServiceAccount,
// which is what docs/install.md asks of a kustomize user.
func GrantNamespace(ctx context.Context, c client.Client, ns string) error {
	const role = "neo4j-operator-manager-role"
	installed := &rbacv1.Role{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: role}, installed); err != nil {
		return fmt.Errorf("reading the installed Role %s/%s: %w", Namespace, role, err)
	}
	copied := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: role}, Rules: installed.Rules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: role},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: ServiceAccount}},
	}
	for _, o := range []client.Object{copied, binding} {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s in %s: %w", o.GetName(), ns, err)
		}
	}
	return nil
}

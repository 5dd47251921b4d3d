// Package access holds the reconcile story of a cluster's users and
// roles: the Neo4jUser and Neo4jRole objects that name it. It reconciles
// per cluster, since Neo4j answers for all its users and roles at once:
// observe (the objects, their Secrets, and Neo4j's SHOW USERS, SHOW ROLES
// and SHOW ROLE … PRIVILEGES AS COMMANDS), plan (internal/access, pure),
// act (the commands, then each object's status). Nothing is sent while
// the cluster is not Ready or a roll or scaling step is under way: the
// Operations Manual forbids administration commands during a rolling
// upgrade (dev, database-administration/index.adoc).
package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	plan "github.com/graphops-dev/neo4j-operator/internal/access"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
)

// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jusers;neo4jroles,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jusers/status;neo4jroles/status,verbs=get;update
// +kubebuilder:rbac:groups=neo4j.graphops.dev,resources=neo4jusers/finalizers;neo4jroles/finalizers,verbs=update

// Finalizer keeps a Neo4jUser or Neo4jRole with deletionPolicy Delete
// until Neo4j dropped it.
const Finalizer = "neo4j.graphops.dev/drop"

// Conn is what the reconciler asks of Neo4j (a *neo4j.Conn to the system
// leader).
type Conn interface {
	ShowUsers(ctx context.Context) ([]neo4j.User, error)
	ShowRoles(ctx context.Context) ([]string, error)
	ShowRolePrivileges(ctx context.Context, role string) ([]string, error)
	Administer(ctx context.Context, cypher string, params map[string]any) error
	Close(ctx context.Context) error
}

// Reconciler makes a cluster's users and roles match its Neo4jUsers and
// Neo4jRoles.
type Reconciler struct {
	// Client reads through the cache and writes (counted).
	client.Client
	// APIReader reads Secrets by name: their data is never cached.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Admin opens a connection to the cluster's system leader.
	Admin func(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (Conn, error)
	// Recheck is how often Neo4j is read again for drift (and Secrets
	// for rotations, where they are not watched). Only reads.
	Recheck time.Duration
}

// Reconcile handles one cluster's users and roles.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	users, roles, err := r.objects(ctx, req.Namespace, req.Name)
	if err != nil || len(users)+len(roles) == 0 {
		return ctrl.Result{}, err
	}
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := r.Get(ctx, req.NamespacedName, c); err != nil {
		if apierrors.IsNotFound(err) {
			// Nothing to drop from: deleted objects are let go.
			if err := r.release(ctx, users, roles); err != nil {
				return ctrl.Result{}, err
			}
			return ctrl.Result{}, r.report(ctx, users, roles, waiting("ClusterNotFound", "cluster "+req.Name+" does not exist in this namespace"))
		}
		return ctrl.Result{}, err
	}
	if reason, msg := notNow(c); reason != "" {
		// The cluster's own transitions wake this reconcile again.
		return ctrl.Result{}, r.report(ctx, users, roles, waiting(reason, msg))
	}
	if err := r.ensureFinalizers(ctx, users, roles); err != nil {
		return ctrl.Result{}, err
	}
	p, err := r.observeAndPlan(ctx, c, users, roles)
	if err != nil {
		log.FromContext(ctx).Info("users and roles not read", "error", err.Error())
		return ctrl.Result{RequeueAfter: 30 * time.Second}, r.report(ctx, users, roles, waiting("Neo4jUnreachable", neo4j.Summary(err)))
	}
	return ctrl.Result{RequeueAfter: r.Recheck}, r.finish(ctx, users, roles, p)
}

// notNow says why no command may be sent now ("" when they may).
func notNow(c *v1alpha1.Neo4jEnterpriseCluster) (string, string) {
	switch {
	case c.Status.Rollout != nil:
		return "WaitingForRoll", "a roll is under way: the Operations Manual forbids administration commands during a rolling upgrade; the change waits for its end"
	case c.Status.Scaling != nil:
		return "WaitingForScaling", "a scaling step is under way; the change waits for its end"
	case !meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady):
		return "WaitingForCluster", "the cluster is not Ready; the change waits"
	}
	return "", ""
}

// objects are the Neo4jUsers and Neo4jRoles naming the cluster.
func (r *Reconciler) objects(ctx context.Context, ns, cluster string) ([]v1alpha1.Neo4jUser, []v1alpha1.Neo4jRole, error) {
	users := &v1alpha1.Neo4jUserList{}
	if err := r.List(ctx, users, client.InNamespace(ns), client.MatchingFields{ClusterIndex: cluster}); err != nil {
		return nil, nil, err
	}
	roles := &v1alpha1.Neo4jRoleList{}
	if err := r.List(ctx, roles, client.InNamespace(ns), client.MatchingFields{ClusterIndex: cluster}); err != nil {
		return nil, nil, err
	}
	return users.Items, roles.Items, nil
}

// observeAndPlan reads the Secrets and Neo4j, and plans.
func (r *Reconciler) observeAndPlan(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole) (*applied, error) {
	conn, err := r.Admin(ctx, c)
	if err != nil {
		return nil, err
	}
	a := &applied{conn: conn, users: map[plan.Ref]*v1alpha1.Neo4jUser{}, roles: map[plan.Ref]*v1alpha1.Neo4jRole{}}
	in := r.inputs(ctx, users, roles, a)
	state, err := readState(ctx, conn, roles)
	if err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	a.plan = plan.Decide(state, in.users, in.roles)
	return a, nil
}

type inputs struct {
	users []plan.UserObject
	roles []plan.RoleObject
}

func (r *Reconciler) inputs(ctx context.Context, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole, a *applied) inputs {
	var in inputs
	for i := range users {
		u := &users[i]
		ref := refOf("Neo4jUser", u)
		a.users[ref] = u
		in.users = append(in.users, plan.UserObject{Object: ref, Spec: u.Spec, Deleting: u.DeletionTimestamp != nil,
			Password: r.password(ctx, u), AppliedPassword: u.Status.ObservedPasswordVersion})
	}
	for i := range roles {
		ro := &roles[i]
		ref := refOf("Neo4jRole", ro)
		a.roles[ref] = ro
		in.roles = append(in.roles, plan.RoleObject{Object: ref, Spec: ro.Spec, Deleting: ro.DeletionTimestamp != nil})
	}
	return in
}

func refOf(kind string, o client.Object) plan.Ref {
	return plan.Ref{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName(), Created: o.GetCreationTimestamp().Unix()}
}

// password reads a user's Secret (nil without passwordSecretRef). The
// version hashes the Secret's UID, resourceVersion and key: never the
// value.
func (r *Reconciler) password(ctx context.Context, u *v1alpha1.Neo4jUser) *plan.Password {
	ref := u.Spec.PasswordSecretRef
	if ref == nil {
		return nil
	}
	s := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: u.Namespace, Name: ref.Name}, s); err != nil {
		return &plan.Password{Problem: fmt.Sprintf("password Secret %s/%s: %s", u.Namespace, ref.Name, apierrors.ReasonForError(err))}
	}
	v, ok := s.Data[ref.Key]
	if !ok || len(v) == 0 {
		return &plan.Password{Problem: fmt.Sprintf("password Secret %s/%s has no key %s", u.Namespace, ref.Name, ref.Key)}
	}
	sum := sha256.Sum256([]byte(string(s.UID) + "/" + s.ResourceVersion + "/" + ref.Key))
	return &plan.Password{Version: hex.EncodeToString(sum[:8]), Value: string(v)}
}

// readState reads users, roles, and the privileges of the declared roles
// that exist and of the roles they copy.
func readState(ctx context.Context, conn Conn, roles []v1alpha1.Neo4jRole) (plan.State, error) {
	s := plan.State{Users: map[string]neo4j.User{}, Roles: map[string]bool{}, Privileges: map[string][]string{}}
	users, err := conn.ShowUsers(ctx)
	if err != nil {
		return s, err
	}
	for _, u := range users {
		s.Users[u.Name] = u
	}
	names, err := conn.ShowRoles(ctx)
	if err != nil {
		return s, err
	}
	for _, n := range names {
		s.Roles[n] = true
	}
	for _, n := range privilegesToRead(roles, s.Roles) {
		if s.Privileges[n], err = conn.ShowRolePrivileges(ctx, n); err != nil {
			return s, err
		}
	}
	return s, nil
}

func privilegesToRead(roles []v1alpha1.Neo4jRole, exist map[string]bool) []string {
	var out []string
	for _, r := range roles {
		for _, n := range []string{r.Spec.Name, r.Spec.CopyOf} {
			if n != "" && exist[n] && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ensureFinalizers adds the finalizer to objects whose deletion must drop
// them from Neo4j, before anything is created there.
func (r *Reconciler) ensureFinalizers(ctx context.Context, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole) error {
	for i := range users {
		if err := r.ensureFinalizer(ctx, &users[i], users[i].Spec.DeletionPolicy); err != nil {
			return err
		}
	}
	for i := range roles {
		if err := r.ensureFinalizer(ctx, &roles[i], roles[i].Spec.DeletionPolicy); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) ensureFinalizer(ctx context.Context, o client.Object, policy v1alpha1.DeletionPolicy) error {
	want := policy == v1alpha1.DeletionDelete && o.GetDeletionTimestamp() == nil
	if want == controllerutil.ContainsFinalizer(o, Finalizer) || (!want && o.GetDeletionTimestamp() != nil) {
		return nil
	}
	if want {
		controllerutil.AddFinalizer(o, Finalizer)
	} else {
		controllerutil.RemoveFinalizer(o, Finalizer)
	}
	return r.Update(ctx, o)
}

// release removes the finalizer of every object being deleted.
func (r *Reconciler) release(ctx context.Context, users []v1alpha1.Neo4jUser, roles []v1alpha1.Neo4jRole) error {
	var objs []client.Object
	for i := range users {
		objs = append(objs, &users[i])
	}
	for i := range roles {
		objs = append(objs, &roles[i])
	}
	for _, o := range objs {
		if o.GetDeletionTimestamp() != nil && controllerutil.RemoveFinalizer(o, Finalizer) {
			if err := r.Update(ctx, o); err != nil {
				return err
			}
		}
	}
	return nil
}

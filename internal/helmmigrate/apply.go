package helmmigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Steps are the migration's steps, in order, as a user reads them.
func (p *Plan) Steps() []string {
	out := []string{}
	for _, s := range p.Servers {
		out = append(out, fmt.Sprintf("set the reclaim policy of volume %s (claim %s, release %s) to Retain", s.Volume, s.OldClaim, s.Release))
	}
	out = append(out, fmt.Sprintf("copy Secret %s (key %s) to %s", p.AuthSource, authKey, p.AuthSecret.Name))
	for _, s := range p.Servers {
		out = append(out, fmt.Sprintf("scale StatefulSet %s to 0 and wait until its pod is gone", s.Release))
	}
	for _, s := range p.Servers {
		out = append(out, fmt.Sprintf("bind volume %s to the new claim %s (pod %s); the old claim %s is left, Lost", s.Volume, s.NewClaim, render.PodName(p.Cluster, s.Role, s.Ordinal), s.OldClaim))
	}
	return append(out,
		fmt.Sprintf("create Neo4jEnterpriseCluster %s", p.Cluster.Name),
		"wait until every new claim is bound to its old volume")
}

// Print writes the plan: the steps, the notes, then the objects it
// creates as YAML (the password left out).
func (p *Plan) Print(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Migration of %d Helm release(s) in namespace %s to Neo4jEnterpriseCluster %s.\n# Nothing is deleted. Steps:\n", len(p.Servers), p.Namespace, p.Cluster.Name)
	for i, s := range p.Steps() {
		fmt.Fprintf(&b, "#  %d. %s\n", i+1, s)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	fmt.Fprintf(&b, "# The password is copied from Secret %s (key %s) to Secret %s, which is not printed.\n", p.AuthSource, authKey, p.AuthSecret.Name)
	objs := []any{redacted(p.Cluster)}
	for _, c := range p.Claims {
		objs = append(objs, c)
	}
	for _, o := range objs {
		y, err := printable(o)
		if err != nil {
			return err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// secretish are the words of setting names whose values are not printed.
var secretish = []string{"password", "secret", "credential", "token"}

// redacted is the cluster as printed: the values of settings that look
// like credentials replaced (the cluster created keeps them).
func redacted(c *v1alpha1.Neo4jEnterpriseCluster) *v1alpha1.Neo4jEnterpriseCluster {
	out := c.DeepCopy()
	for _, conf := range []v1alpha1.Neo4jConfig{out.Spec.Config, out.Spec.Secondary.Config} {
		for k := range conf {
			for _, w := range secretish {
				if strings.Contains(strings.ToLower(k), w) {
					conf[k] = "<redacted: as in the release's ConfigMap>"
				}
			}
		}
	}
	return out
}

// printable is o as YAML without status and the empty fields the Go
// types leave, as a user would write it.
func printable(o any) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return yaml.Marshal(prune(m))
}

// prune drops empty objects and nulls, depth first.
func prune(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, x := range m {
		x = prune(x)
		if sub, ok := x.(map[string]any); (ok && len(sub) == 0) || x == nil {
			delete(m, k)
			continue
		}
		m[k] = x
	}
	return m
}

// Applier runs a plan against a cluster.
type Applier struct {
	Client client.Client
	Out    io.Writer
	// Timeout bounds each wait: for the chart's pods to stop (Neo4j may take
	// long to shut down) and for the claims to bind.
	Timeout  time.Duration
	Interval time.Duration
}

// Preflight checks, before anything changes, that the API server admits
// the cluster and that none of the names it would take is someone else's.
func (a Applier) Preflight(ctx context.Context, p *Plan) error {
	objs, err := render.Render(p.Cluster)
	if err != nil {
		return err
	}
	for _, o := range objs.All() {
		live := o.DeepCopyObject().(client.Object)
		err := a.Client.Get(ctx, client.ObjectKeyFromObject(o), live)
		if err == nil && live.GetLabels()[render.LabelCluster] != p.Cluster.Name {
			return fmt.Errorf("%T %s already exists and is not the cluster's: choose another name with --name", o, o.GetName())
		}
		if err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
			return err
		}
	}
	for _, want := range p.Claims {
		var live corev1.PersistentVolumeClaim
		err := a.Client.Get(ctx, client.ObjectKeyFromObject(want), &live)
		if err == nil && live.Spec.VolumeName != want.Spec.VolumeName {
			return fmt.Errorf("claim %s already exists and names volume %q, not %s: remove it or choose another name with --name", live.Name, live.Spec.VolumeName, want.Spec.VolumeName)
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	var existing v1alpha1.Neo4jEnterpriseCluster
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(p.Cluster), &existing); err == nil {
		// Created by an earlier run, or someone else's.
		if existing.Spec.Topology != p.Cluster.Spec.Topology || existing.Spec.Storage.Data.SubPath != p.Cluster.Spec.Storage.Data.SubPath {
			return fmt.Errorf("Neo4jEnterpriseCluster %s already exists with another topology or data subPath: choose another name with --name", existing.Name)
		}
		return nil
	}
	if err := a.Client.Create(ctx, p.Cluster.DeepCopy(), client.DryRunAll); err != nil {
		return fmt.Errorf("the API server would not admit the cluster: %w", err)
	}
	return nil
}

// Apply runs the steps. Each one checks what is already done, so a second
// run after a failure picks up where the first stopped.
func (a Applier) Apply(ctx context.Context, p *Plan) error {
	if err := a.Preflight(ctx, p); err != nil {
		return err
	}
	steps := []func(context.Context, *Plan) error{a.retainVolumes, a.copySecret, a.stopReleases, a.moveVolumes, a.createCluster, a.waitBound}
	for _, step := range steps {
		if err := step(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (a Applier) say(format string, args ...any) { fmt.Fprintf(a.Out, format+"\n", args...) }

func (a Applier) retainVolumes(ctx context.Context, p *Plan) error {
	for _, s := range p.Servers {
		err := update(ctx, a, &corev1.PersistentVolume{}, s.Volume, "", func(pv *corev1.PersistentVolume) (bool, error) {
			if pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRetain {
				return false, nil
			}
			pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("volume %s: %w", s.Volume, err)
		}
		a.say("volume %s: reclaim policy Retain", s.Volume)
	}
	return nil
}

func (a Applier) copySecret(ctx context.Context, p *Plan) error {
	var live corev1.Secret
	created, err := a.createIfAbsent(ctx, p.AuthSecret, &live)
	if err != nil {
		return err
	}
	if !created && !bytes.Equal(live.Data[authKey], p.AuthSecret.Data[authKey]) {
		return fmt.Errorf("Secret %s exists with another %s: remove it or choose another name with --name", live.Name, authKey)
	}
	a.say("Secret %s: copied from %s", p.AuthSecret.Name, p.AuthSource)
	return nil
}

// createIfAbsent creates want unless an object of its name exists, which
// it reads into live.
func (a Applier) createIfAbsent(ctx context.Context, want, live client.Object) (created bool, err error) {
	err = a.Client.Get(ctx, client.ObjectKeyFromObject(want), live)
	if !apierrors.IsNotFound(err) {
		return false, err
	}
	return true, a.Client.Create(ctx, want.DeepCopyObject().(client.Object))
}

// stopReleases scales each release to 0 and waits for its pod to go: a
// volume is moved only when no server of the chart can write to it.
func (a Applier) stopReleases(ctx context.Context, p *Plan) error {
	for _, s := range p.Servers {
		err := update(ctx, a, &appsv1.StatefulSet{}, s.Release, p.Namespace, func(sts *appsv1.StatefulSet) (bool, error) {
			if sts.Spec.Replicas != nil && *sts.Spec.Replicas == 0 {
				return false, nil
			}
			zero := int32(0)
			sts.Spec.Replicas = &zero
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("StatefulSet %s: %w", s.Release, err)
		}
	}
	for _, s := range p.Servers {
		var users []string
		err := a.poll(ctx, func(ctx context.Context) (bool, error) {
			var err error
			users, err = a.podsUsing(ctx, p.Namespace, s.OldClaim)
			return len(users) == 0, err
		})
		if err != nil {
			return fmt.Errorf("waiting for the pods using claim %s (%s) to stop: %w", s.OldClaim, strings.Join(users, ", "), err)
		}
		a.say("release %s: scaled to 0, no pod uses claim %s", s.Release, s.OldClaim)
	}
	return nil
}

// podsUsing names the pods of the namespace that mount a claim: the
// release's server, and any other (a debug pod, a backup Job's).
func (a Applier) podsUsing(ctx context.Context, ns, claim string) ([]string, error) {
	var pods corev1.PodList
	if err := a.Client.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []string
	for _, pod := range pods.Items {
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
				out = append(out, pod.Name)
			}
		}
	}
	return out, nil
}

// stillStopped checks, just before a volume moves, that its release was
// not scaled up again (helm upgrade, a GitOps sync, a person) and that no
// pod mounts its claim: a volume moves only from under no server.
func (a Applier) stillStopped(ctx context.Context, ns string, s Server) error {
	var sts appsv1.StatefulSet
	err := a.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: s.Release}, &sts)
	if err == nil && ((sts.Spec.Replicas != nil && *sts.Spec.Replicas != 0) || sts.Status.Replicas != 0) {
		return fmt.Errorf("StatefulSet %s was scaled up again (helm upgrade? a GitOps sync?): pause what scales it, then run again", s.Release)
	}
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	users, err := a.podsUsing(ctx, ns, s.OldClaim)
	if err == nil && len(users) > 0 {
		err = fmt.Errorf("pods %s use claim %s: stop them, then run again", strings.Join(users, ", "), s.OldClaim)
	}
	return err
}

// moveVolumes binds each volume to its new claim. The volume's claimRef is
// changed only while it still names the old claim (by UID), under an
// optimistic lock; the new claim names the volume.
func (a Applier) moveVolumes(ctx context.Context, p *Plan) error {
	for i, s := range p.Servers {
		var old corev1.PersistentVolumeClaim
		oldUID := types.UID("")
		switch err := a.Client.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: s.OldClaim}, &old); {
		case err == nil:
			oldUID = old.UID
		case !apierrors.IsNotFound(err):
			return err
		}
		err := update(ctx, a, &corev1.PersistentVolume{}, s.Volume, "", func(pv *corev1.PersistentVolume) (bool, error) {
			ref := pv.Spec.ClaimRef
			if ref != nil && ref.Namespace == p.Namespace && ref.Name == s.NewClaim {
				return false, nil
			}
			if ref == nil || ref.Namespace != p.Namespace || ref.Name != s.OldClaim || (oldUID != "" && ref.UID != oldUID) {
				return false, errMoved{pv.Name, ref}
			}
			if err := a.stillStopped(ctx, p.Namespace, s); err != nil {
				return false, err
			}
			pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: p.Namespace, Name: s.NewClaim}
			if pv.Annotations == nil {
				pv.Annotations = map[string]string{}
			}
			pv.Annotations[AnnotationMigratedFrom] = p.Namespace + "/" + s.OldClaim
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("volume %s: %w", s.Volume, err)
		}
		if err := a.createClaim(ctx, p.Claims[i]); err != nil {
			return err
		}
		a.say("volume %s: reserved for the new claim %s (was %s), which is created", s.Volume, s.NewClaim, s.OldClaim)
	}
	return nil
}

// errMoved stops a volume move: the volume belongs to neither claim.
type errMoved struct {
	volume string
	ref    *corev1.ObjectReference
}

func (e errMoved) Error() string {
	if e.ref == nil {
		return fmt.Sprintf("volume %s is bound to no claim; bind it by hand", e.volume)
	}
	return fmt.Sprintf("volume %s is bound to %s/%s, which is neither the release's claim nor the new one", e.volume, e.ref.Namespace, e.ref.Name)
}

func (a Applier) createClaim(ctx context.Context, want *corev1.PersistentVolumeClaim) error {
	var live corev1.PersistentVolumeClaim
	created, err := a.createIfAbsent(ctx, want, &live)
	if err == nil && !created && live.Spec.VolumeName != want.Spec.VolumeName {
		return fmt.Errorf("claim %s exists and names volume %q, not %s", live.Name, live.Spec.VolumeName, want.Spec.VolumeName)
	}
	return err
}

func (a Applier) createCluster(ctx context.Context, p *Plan) error {
	created, err := a.createIfAbsent(ctx, p.Cluster, &v1alpha1.Neo4jEnterpriseCluster{})
	if err == nil && created {
		a.say("Neo4jEnterpriseCluster %s: created", p.Cluster.Name)
	}
	return err
}

func (a Applier) waitBound(ctx context.Context, p *Plan) error {
	for _, s := range p.Servers {
		err := a.poll(ctx, func(ctx context.Context) (bool, error) {
			var c corev1.PersistentVolumeClaim
			err := a.Client.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: s.NewClaim}, &c)
			return err == nil && c.Status.Phase == corev1.ClaimBound && c.Spec.VolumeName == s.Volume, client.IgnoreNotFound(err)
		})
		if err != nil {
			return fmt.Errorf("waiting for claim %s to bind to volume %s: %w", s.NewClaim, s.Volume, err)
		}
		a.say("claim %s: bound to volume %s", s.NewClaim, s.Volume)
	}
	a.say("done: follow the servers with kubectl neo4j status %s -n %s", p.Cluster.Name, p.Namespace)
	return nil
}

// update gets obj fresh, lets mutate change it, and writes only when it
// did, retrying on conflicts.
func update[T client.Object](ctx context.Context, a Applier, obj T, name, ns string, mutate func(T) (bool, error)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := a.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		changed, err := mutate(obj)
		if err != nil || !changed {
			return err
		}
		return a.Client.Update(ctx, obj)
	})
}

func (a Applier) poll(ctx context.Context, done wait.ConditionWithContextFunc) error {
	return wait.PollUntilContextTimeout(ctx, a.Interval, a.Timeout, true, done)
}

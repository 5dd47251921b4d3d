package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	backupctl "github.com/graphops-dev/neo4j-operator/controllers/backup"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
)

// observe reads what the plan is decided from: the auth Secret, the
// StatefulSets, the owned objects of prunable kinds, and the Neo4j
// observers' last poll (never Neo4j itself: a reconcile does not wait on
// Bolt). It writes nothing.
func (r *Neo4jEnterpriseClusterReconciler) observe(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (plan.Observed, error) {
	o := plan.Observed{Cluster: c}
	var err error
	if o.Auth, err = r.observeAuth(ctx, c); err != nil {
		return o, err
	}
	if o.StatefulSets, err = r.observeStatefulSets(ctx, c); err != nil {
		return o, err
	}
	if o.Owned, err = r.observeOwned(ctx, c); err != nil {
		return o, err
	}
	synced := r.cacheSynced(c, o.StatefulSets)
	if r.Observers != nil {
		last, fresh, ok := r.Observers.LastFresh(client.ObjectKeyFromObject(c))
		if ok {
			o.Neo4j = &last
		}
		if o.Scale, err = r.observeScale(ctx, c, o, fresh, synced); err != nil {
			return o, err
		}
	}
	if o.Rollout, err = r.observeRollout(ctx, c, o, synced); err != nil {
		return o, err
	}
	o.CertManager = apply.Has(r.kinds(), "Certificate")
	o.Monitors = map[string]bool{"ServiceMonitor": apply.Has(r.kinds(), "ServiceMonitor"), "PodMonitor": apply.Has(r.kinds(), "PodMonitor")}
	if o.TLS, err = r.observeTLS(ctx, c, o); err != nil {
		return o, err
	}
	o.LastBackup, err = r.observeBackups(ctx, c)
	return o, err
}

// cacheSynced is true when the cache shows the operator's last write of
// each of the cluster's StatefulSets (expectations).
func (r *Neo4jEnterpriseClusterReconciler) cacheSynced(c *v1alpha1.Neo4jEnterpriseCluster, sets map[neo4jconf.Role]*appsv1.StatefulSet) bool {
	byName := map[string]*appsv1.StatefulSet{}
	for _, sts := range sets {
		byName[plan.Key("StatefulSet", sts.Name)] = sts
	}
	return r.Expectations.Satisfied(client.ObjectKeyFromObject(c), func(object string) (int64, bool) {
		sts, ok := byName[object]
		if !ok {
			return 0, false
		}
		return sts.Generation, true
	})
}

// observeScale gathers what scaling decides from: the StatefulSets'
// replicas, whether the cache shows the operator's last StatefulSet
// writes (expectations), whether the last Neo4j poll follows the last
// command, and, while a scale-in waits for it, whether the removed pod is
// gone (read from the API server: pods are not cached).
func (r *Neo4jEnterpriseClusterReconciler) observeScale(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, o plan.Observed, fresh, synced bool) (*scale.Input, error) {
	key := client.ObjectKeyFromObject(c)
	in := &scale.Input{Cluster: c, Current: map[neo4jconf.Role]int32{}, Neo4j: o.Neo4j, Fresh: fresh,
		Refused: r.Observers.Refusal(key), Now: time.Now(), StuckAfter: r.StuckAfter, Seeds: r.observeSeeds(ctx, c)}
	for role, sts := range o.StatefulSets {
		in.Current[role] = ptr.Deref(sts.Spec.Replicas, 1)
	}
	in.CacheSynced = synced
	if sc := c.Status.Scaling; sc != nil && sc.Step == v1alpha1.StepWaitPodGone {
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: sc.Servers[0]}, &corev1.Pod{})
		switch {
		case apierrors.IsNotFound(err):
			in.PodGone = true
		case err != nil:
			return nil, fmt.Errorf("reading pod %s: %w", sc.Servers[0], err)
		}
	}
	return in, nil
}

// observeAuth checks the auth Secret the servers read their password from,
// the way the image will. Secrets are read from the API server, never from
// the cache: the operator caches only their metadata. The value is never
// logged nor kept.
func (r *Neo4jEnterpriseClusterReconciler) observeAuth(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (plan.Auth, error) {
	name, key := c.AuthSecretName(), c.WithDefaults().Spec.Auth.SecretKey
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return plan.Auth{}, nil
	case err != nil:
		// A timeout or a 5xx is not the user's problem: retry with backoff.
		return plan.Auth{}, fmt.Errorf("reading auth Secret %s/%s: %w", c.Namespace, name, err)
	}
	found := plan.Auth{Found: true, Version: secret.ResourceVersion}
	value, ok := secret.Data[key]
	if !ok {
		found.Problem = fmt.Sprintf("auth Secret %s/%s has no key %s", c.Namespace, name, key)
	} else if err := neo4jconf.CheckAuth(string(value)); err != nil {
		found.Problem = fmt.Sprintf("auth Secret %s/%s key %s: %v", c.Namespace, name, key, err)
	}
	return found, nil
}

// observeStatefulSets reads the cluster's StatefulSets from the cache.
func (r *Neo4jEnterpriseClusterReconciler) observeStatefulSets(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (map[neo4jconf.Role]*appsv1.StatefulSet, error) {
	out := map[neo4jconf.Role]*appsv1.StatefulSet{}
	for _, role := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
		sts := &appsv1.StatefulSet{}
		err := r.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: render.StatefulSetName(c, role)}, sts)
		if apierrors.IsNotFound(err) || (err == nil && !metav1.IsControlledBy(sts, c)) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading StatefulSet: %w", err)
		}
		out[role] = sts
	}
	return out, nil
}

// observeOwned lists, from the cache, the objects of prunable kinds the
// cluster controls.
func (r *Neo4jEnterpriseClusterReconciler) observeOwned(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (map[string]client.Object, error) {
	out := map[string]client.Object{}
	for _, k := range r.kinds() {
		if !k.Prunable {
			continue
		}
		list := k.List()
		if err := r.List(ctx, list, client.InNamespace(c.Namespace), client.MatchingLabels{render.LabelCluster: c.Name}); err != nil {
			return nil, fmt.Errorf("listing owned objects: %w", err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			if obj := item.(client.Object); metav1.IsControlledBy(obj, c) {
				out[plan.Key(k.Name, obj.GetName())] = obj
			}
		}
	}
	return out, nil
}

// observeBackups finds the cluster's newest completed Neo4jBackup, from
// the cache.
func (r *Neo4jEnterpriseClusterReconciler) observeBackups(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) (*v1alpha1.LastBackup, error) {
	list := &v1alpha1.Neo4jBackupList{}
	if err := r.List(ctx, list, client.InNamespace(c.Namespace), client.MatchingFields{backupctl.ClusterIndex: c.Name}); err != nil {
		return nil, err
	}
	if b := backup.NewestCompleted(list.Items); b != nil {
		return &v1alpha1.LastBackup{Name: b.Name, CompletionTime: *b.Status.CompletionTime.DeepCopy()}, nil
	}
	return nil, nil
}

// observeSeeds resolves the seeds of declared databases: a URI as given,
// or a Neo4jBackup's folder once it completed. Only a backup of exactly
// one database (under any name: a restore may make a copy) in its own
// cloud folder can seed it: the servers cannot
// read a Job's claim, and a folder with several databases' chains is
// ambiguous to Neo4j 5.26 (seedSourceDatabase exists from 2025.06 only).
func (r *Neo4jEnterpriseClusterReconciler) observeSeeds(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster) map[string]scale.Seed {
	out := map[string]scale.Seed{}
	for _, d := range c.Spec.Databases {
		if s := d.SeedFrom; s != nil {
			out[d.Name] = r.seed(ctx, c.Namespace, d.Name, s)
		}
	}
	if b := c.Spec.Bootstrap; b != nil {
		for _, rs := range b.FromBackup {
			out[rs.Database] = r.seed(ctx, c.Namespace, rs.Database, &rs.SeedSource)
		}
	}
	return out
}

func (r *Neo4jEnterpriseClusterReconciler) seed(ctx context.Context, namespace, database string, s *v1alpha1.SeedSource) scale.Seed {
	if s.URI != "" {
		return scale.Seed{URI: s.URI, Config: s.Config}
	}
	b := &v1alpha1.Neo4jBackup{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: s.Backup}, b); apierrors.IsNotFound(err) {
		return scale.Seed{Wait: fmt.Sprintf("Neo4jBackup %s does not exist", s.Backup)}
	} else if err != nil {
		return scale.Seed{Wait: err.Error()}
	}
	spec := b.Spec
	switch {
	case spec.Target.Volume != nil:
		return scale.Seed{Problem: fmt.Sprintf("Neo4jBackup %s is on a volume the servers cannot read; seed from a backup to S3, GCS or Azure, or give a URI", s.Backup)}
	case spec.Target.Folder == v1alpha1.FolderShared:
		return scale.Seed{Problem: fmt.Sprintf("Neo4jBackup %s shares its folder with other backups; seed from one with target.folder PerBackup, or give the artefact's URI", s.Backup)}
	case len(spec.Databases) != 1 || strings.ContainsAny(spec.Databases[0], "*?"):
		return scale.Seed{Problem: fmt.Sprintf("Neo4jBackup %s holds %v; a seed needs a backup of exactly one database (its folder then holds one chain), or the artefact's URI", s.Backup, spec.Databases)}
	case b.Status.Phase == v1alpha1.BackupFailed:
		return scale.Seed{Problem: fmt.Sprintf("Neo4jBackup %s failed", s.Backup)}
	case b.Status.Phase != v1alpha1.BackupCompleted:
		return scale.Seed{Wait: fmt.Sprintf("Neo4jBackup %s has not completed", s.Backup)}
	}
	return scale.Seed{URI: b.Status.Location, Config: s.Config}
}

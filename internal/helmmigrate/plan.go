// Package helmmigrate plans the move of a cluster installed with Neo4j's
// Helm chart (one release per server) to a Neo4jEnterpriseCluster that
// keeps each server's volume. It is pure: Gather reads what the releases
// left in the namespace, Build decides, and Apply (in apply.go) acts.
//
// What it knows of the chart comes from neo4j/helm-charts, branch dev
// (chart 5.17, neo4j/templates/neo4j-statefulset.yaml, _volumeTemplate.tpl,
// neo4j-config.yaml, neo4j-auth.yaml); the notes with quotes are in the
// repository's dev notes (helm-migration-facts*.md):
//   - a release R is a StatefulSet R of one pod, labelled
//     helm.neo4j.com/instance=R and helm.neo4j.com/neo4j.name=N;
//   - its data claim is data-R-0 (volume claim template "data") unless
//     volumes.data.mode is "volume", where the pod's volume "data" names it;
//   - the container mounts that volume at /data with subPathExpr "data"
//     (unless volumes.data.disableSubPathExpr), so the store is in the
//     volume's folder data/, and logs and metrics sit beside it;
//   - neo4j.conf is projected from R-default-config, R-user-config and
//     R-k8s-config; R-user-config holds the user's config and the
//     server.jvm.additional lines;
//   - the password is NEO4J_AUTH ("neo4j/<password>") of the Secret the
//     pod's volume "neo4j-auth" names (N-auth unless passwordFromSecret),
//     owned by the first release: uninstalling that release deletes it.
package helmmigrate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// The chart's labels and names.
const (
	LabelInstance  = "helm.neo4j.com/instance"
	LabelNeo4jName = "helm.neo4j.com/neo4j.name"
	// authKey is the key the chart reads from the password Secret.
	authKey = "NEO4J_AUTH"
	// AnnotationMigratedFrom marks the volumes and claims a migration
	// moved: the claim (namespace/name) the volume belonged to.
	AnnotationMigratedFrom = "neo4j.graphops.dev/migrated-from"
)

// Release is what one release of the chart left in the namespace.
type Release struct {
	Name          string
	StatefulSet   Workload
	Claim         *corev1.PersistentVolumeClaim // the data claim
	Volume        *corev1.PersistentVolume      // bound to Claim
	UserConfig    map[string]string             // R-user-config's data
	DefaultConfig map[string]string             // R-default-config's data
	AuthSecret    *corev1.Secret
}

// Workload is what Build reads of a release's StatefulSet.
type Workload struct {
	Neo4jName    string // label helm.neo4j.com/neo4j.name
	Image        string
	Resources    corev1.ResourceRequirements
	DataSubPath  string // the /data mount's subPath or subPathExpr
	AuthSecret   string // the Secret the volume neo4j-auth names
	Replicas     int32
	PodSelector  map[string]string
	ClaimName    string // data-R-0, or the volume's claimName
	ConfigMaps   []string
	LicenseInEnv string   // NEO4J_ACCEPT_LICENSE_AGREEMENT from R-env, if read
	UserEnv      []string // R-env's variables from the chart's values.env
}

// Options are the user's choices.
type Options struct {
	Namespace   string
	ClusterName string // default: the chart's neo4j.name
}

// Server is one release's place in the new cluster.
type Server struct {
	Release  string
	Role     neo4jconf.Role
	Ordinal  int32
	OldClaim string
	Volume   string
	NewClaim string
}

// Plan is everything a migration creates and changes. It deletes nothing.
type Plan struct {
	Namespace  string
	Cluster    *v1alpha1.Neo4jEnterpriseCluster
	AuthSecret *corev1.Secret // a copy of the chart's, owned by no release
	AuthSource string         // the chart's Secret
	Servers    []Server
	Claims     []*corev1.PersistentVolumeClaim // new, pre-bound to the old volumes
	Notes      []string                        // what was not carried over, and why

	refusal string // set while reading settings: a reason to stop
}

// Build decides the cluster and the volume moves for releases. It refuses
// what it cannot move without losing data or settings silently.
func Build(releases []Release, opts Options) (*Plan, error) {
	if len(releases) == 0 {
		return nil, fmt.Errorf("no releases of the Neo4j chart found in namespace %s", opts.Namespace)
	}
	if err := checkReleases(releases); err != nil {
		return nil, err
	}
	first := releases[0]
	name := opts.ClusterName
	if name == "" {
		name = first.StatefulSet.Neo4jName
	}
	p := &Plan{Namespace: opts.Namespace, AuthSource: first.StatefulSet.AuthSecret}
	c, err := p.cluster(name, releases)
	if err != nil {
		return nil, err
	}
	for _, r := range releases {
		for _, k := range r.StatefulSet.UserEnv {
			p.note("env %s of the releases not carried over: set spec.env (NEO4J_PLUGINS: spec.plugins)", k)
		}
	}
	if p.refusal != "" {
		return nil, errors.New(p.refusal)
	}
	p.Cluster = c
	p.assignServers(releases)
	p.Notes = unique(p.Notes) // each release's settings add the same notes
	p.AuthSecret = authCopy(c, first.AuthSecret)
	if _, err := render.Render(c); err != nil {
		return nil, fmt.Errorf("the cluster that matches the releases would not run: %w (change the releases with the chart first, for example neo4j.resources.memory)", err)
	}
	return p, nil
}

// checkReleases refuses releases that are not one chart cluster, or whose
// volumes a migration cannot keep.
func checkReleases(releases []Release) error {
	n := releases[0].StatefulSet.Neo4jName
	volumes := map[string]string{}
	for _, r := range releases {
		w := r.StatefulSet
		switch {
		case w.Neo4jName != n:
			return fmt.Errorf("release %s belongs to neo4j.name %q, release %s to %q: migrate one cluster at a time", r.Name, w.Neo4jName, releases[0].Name, n)
		case w.Replicas > 1:
			return fmt.Errorf("release %s: StatefulSet %s has %d replicas; the chart runs one server per release", r.Name, r.Name, w.Replicas)
		case r.Claim == nil:
			return fmt.Errorf("release %s: its data claim %s was not found", r.Name, w.ClaimName)
		case r.Volume == nil || (r.Claim.Status.Phase != corev1.ClaimBound && !moved(r)):
			return fmt.Errorf("release %s: claim %s is %s, not bound to a volume", r.Name, r.Claim.Name, r.Claim.Status.Phase)
		case strings.Contains(w.DataSubPath, "$("):
			return fmt.Errorf("release %s: /data is mounted with subPathExpr %q, one folder per pod; only a fixed folder can be kept", r.Name, w.DataSubPath)
		case w.DataSubPath != releases[0].StatefulSet.DataSubPath:
			return fmt.Errorf("release %s mounts folder %q of its volume at /data, release %s folder %q: the servers of a cluster share one layout", r.Name, w.DataSubPath, releases[0].Name, releases[0].StatefulSet.DataSubPath)
		case w.Image != releases[0].StatefulSet.Image:
			return fmt.Errorf("release %s runs %s, release %s runs %s: finish the chart's upgrade first", r.Name, w.Image, releases[0].Name, releases[0].StatefulSet.Image)
		case r.UserConfig == nil || r.DefaultConfig == nil:
			// Without them the settings, the role and the discovery
			// version would all be guessed.
			return fmt.Errorf("release %s: ConfigMap %s-user-config or %s-default-config was not found", r.Name, r.Name, r.Name)
		}
		if other, ok := volumes[r.Volume.Name]; ok {
			return fmt.Errorf("releases %s and %s both use volume %s", other, r.Name, r.Volume.Name)
		}
		volumes[r.Volume.Name] = r.Name
	}
	if releases[0].AuthSecret == nil {
		return fmt.Errorf("the password Secret %q of release %s was not found (a cluster with authentication off cannot be moved: the operator connects with the password)", releases[0].StatefulSet.AuthSecret, releases[0].Name)
	}
	if _, ok := releases[0].AuthSecret.Data[authKey]; !ok {
		return fmt.Errorf("Secret %s has no key %s", releases[0].AuthSecret.Name, authKey)
	}
	return nil
}

// moved is true when an earlier run moved the release's volume: its old
// claim is then Lost, and the run goes on from there.
func moved(r Release) bool {
	return r.Volume.Annotations[AnnotationMigratedFrom] == r.Claim.Namespace+"/"+r.Claim.Name
}

// cluster is the Neo4jEnterpriseCluster that runs what the releases ran.
func (p *Plan) cluster(name string, releases []Release) (*v1alpha1.Neo4jEnterpriseCluster, error) {
	w := releases[0].StatefulSet
	repo, tag, digest := splitImage(w.Image)
	v, err := neo4jconf.ParseTag(tag)
	if err != nil {
		return nil, fmt.Errorf("%w: upgrade the releases with the chart first", err)
	}
	for _, r := range releases {
		// 5.x defaults to discovery v1 (settings reference: V1_ONLY); the
		// operator runs V2_ONLY, and the manual moves a cluster there with
		// the servers running ("Moving from discovery service v1 to v2").
		if dv := setting(r, "dbms.cluster.discovery.version"); !v.CalVer() && !strings.EqualFold(dv, "V2_ONLY") {
			return nil, fmt.Errorf("release %s runs discovery %s; the operator runs V2_ONLY: move the releases to discovery v2 with the chart first (Operations Manual, clustering/setup/discovery: Moving from discovery service v1 to v2)", r.Name, orDefault(dv, "V1_ONLY (the 5.x default)"))
		}
	}
	c := &v1alpha1.Neo4jEnterpriseCluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Neo4jEnterpriseCluster"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace},
	}
	s := &c.Spec
	s.AcceptLicenseAgreement = "yes"
	if w.LicenseInEnv == "eval" {
		s.AcceptLicenseAgreement = "eval"
	}
	s.Image = v1alpha1.ImageSpec{Repository: repo, Tag: tag, Digest: digest}
	// Not <name>-auth: that is the chart's own Secret when the cluster
	// keeps the chart's neo4j.name.
	s.Auth = v1alpha1.AuthSpec{SecretName: name + "-auth-from-helm", SecretKey: authKey}
	for _, r := range releases {
		if role(r) == neo4jconf.Secondary {
			s.Topology.Secondaries++
		} else {
			s.Topology.Primaries++
		}
	}
	if s.Topology.Primaries == 0 {
		return nil, fmt.Errorf("every release is constrained to SECONDARY: a cluster needs primaries")
	}
	s.Storage.Data = p.dataVolume(releases)
	if err := p.roleSettings(c, releases); err != nil {
		return nil, err
	}
	return c, nil
}

// role is SECONDARY when the release's servers were constrained so, by the
// user's config or the chart's analytics secondary; otherwise primary.
func role(r Release) neo4jconf.Role {
	if strings.EqualFold(setting(r, "initial.server.mode_constraint"), "SECONDARY") {
		return neo4jconf.Secondary
	}
	return neo4jconf.Primary
}

// setting is a release's value of key: the user's config overrides the
// chart's defaults, as the projected neo4j.conf layers them.
func setting(r Release, key string) string {
	if v, ok := r.UserConfig[key]; ok {
		return v
	}
	return r.DefaultConfig[key]
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dataVolume sizes the claim template like the largest old claim, in the
// class most of them use; each new claim keeps its own old size and class.
func (p *Plan) dataVolume(releases []Release) v1alpha1.VolumeSpec {
	var size resource.Quantity
	classes := map[string]int{}
	for _, r := range releases {
		if q := r.Claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.Cmp(size) > 0 {
			size = q
		}
		classes[ptrString(r.Claim.Spec.StorageClassName)]++
	}
	class, n := "", -1
	for _, k := range slices.Sorted(maps.Keys(classes)) {
		if classes[k] > n {
			class, n = k, classes[k]
		}
	}
	if len(classes) > 1 {
		p.note("the data claims use %d storage classes; the claim template names %q, and each moved claim keeps its own", len(classes), class)
	}
	v := v1alpha1.VolumeSpec{Size: &size, SubPath: releases[0].StatefulSet.DataSubPath}
	if class != "" {
		v.StorageClassName = &class
	}
	return v
}

// assignServers gives each release an ordinal of its role, in name order,
// and the claim its new StatefulSet will look for.
func (p *Plan) assignServers(releases []Release) {
	sorted := slices.Clone(releases)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	next := map[neo4jconf.Role]int32{}
	for _, r := range sorted {
		ro := role(r)
		if owner := r.Volume.Annotations["meta.helm.sh/release-name"]; owner != "" {
			p.note("volume %s belongs to Helm release %s (neo4j-persistent-volume?): uninstalling that release deletes the volume object, even Retained; remove its meta.helm.sh annotations and app.kubernetes.io/managed-by label first", r.Volume.Name, owner)
		}
		s := Server{Release: r.Name, Role: ro, Ordinal: next[ro], OldClaim: r.Claim.Name, Volume: r.Volume.Name}
		next[ro]++
		s.NewClaim = "data-" + render.PodName(p.Cluster, ro, s.Ordinal)
		p.Servers = append(p.Servers, s)
		p.Claims = append(p.Claims, newClaim(p.Cluster, s, r))
	}
}

// newClaim is the claim the new StatefulSet adopts by name, pre-bound to
// the release's volume (each names the other, so the binder binds them):
// the old claim's access modes and size, the volume's class and mode.
func newClaim(c *v1alpha1.Neo4jEnterpriseCluster, s Server, r Release) *corev1.PersistentVolumeClaim {
	mode := corev1.PersistentVolumeFilesystem
	if r.Volume.Spec.VolumeMode != nil {
		mode = *r.Volume.Spec.VolumeMode
	}
	// The volume's class, "" included: a claim naming none would be given
	// the cluster's default class at admission.
	class := r.Volume.Spec.StorageClassName
	return &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name: s.NewClaim, Namespace: c.Namespace,
			Labels:      render.RoleLabels(c, s.Role),
			Annotations: map[string]string{AnnotationMigratedFrom: c.Namespace + "/" + s.OldClaim},
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      r.Claim.Spec.AccessModes,
			StorageClassName: &class,
			VolumeMode:       &mode,
			VolumeName:       r.Volume.Name,
			Resources:        corev1.VolumeResourceRequirements{Requests: r.Claim.Spec.Resources.Requests},
		},
	}
}

// authCopy is the chart's password Secret under the cluster's name: the
// chart's belongs to its first release, and uninstalling it deletes it.
func authCopy(c *v1alpha1.Neo4jEnterpriseCluster, from *corev1.Secret) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name: c.Spec.Auth.SecretName, Namespace: c.Namespace,
			Annotations: map[string]string{AnnotationMigratedFrom: c.Namespace + "/" + from.Name},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{authKey: from.Data[authKey]},
	}
}

func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// splitImage splits repository[:tag][@digest].
func splitImage(ref string) (repo, tag, digest string) {
	ref, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:], digest
	}
	return ref, "", digest
}

// unique keeps the first of each string, in order.
func unique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

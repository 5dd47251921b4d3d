package render

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// Objects are the desired objects of one cluster.
type Objects struct {
	ServiceAccount       *corev1.ServiceAccount
	Role                 *rbacv1.Role
	RoleBinding          *rbacv1.RoleBinding
	ConfigMaps           []*corev1.ConfigMap // one per role, primaries first; then the backup client's
	Services             []*corev1.Service   // sorted by name
	StatefulSets         []*appsv1.StatefulSet
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// Certificates are cert-manager Certificates, for the TLS channels that
	// name an issuer.
	Certificates []*unstructured.Unstructured
	// Monitors are the Prometheus Operator ServiceMonitor or PodMonitor
	// the spec asks for.
	Monitors []*unstructured.Unstructured
	// ConfigHashes by role, as stamped into the pod templates.
	ConfigHashes map[neo4jconf.Role]string
}

// All returns every object in the order they should be applied: identity
// and configuration before the workloads that use them.
func (o *Objects) All() []client.Object {
	out := []client.Object{o.ServiceAccount, o.Role, o.RoleBinding}
	for _, cert := range o.Certificates {
		out = append(out, cert)
	}
	for _, cm := range o.ConfigMaps {
		out = append(out, cm)
	}
	for _, s := range o.Services {
		out = append(out, s)
	}
	for _, s := range o.StatefulSets {
		out = append(out, s)
	}
	for _, p := range o.PodDisruptionBudgets {
		out = append(out, p)
	}
	for _, m := range o.Monitors {
		out = append(out, m)
	}
	return out
}

// Render returns the desired objects of a cluster. The cluster is defaulted
// first, so the result never depends on whether the API server did it.
func Render(cluster *v1alpha1.Neo4jEnterpriseCluster) (*Objects, error) {
	c := cluster.WithDefaults()
	o := &Objects{
		ServiceAccount: serviceAccount(c),
		Role:           discoveryRole(c),
		RoleBinding:    discoveryRoleBinding(c),
		ConfigHashes:   map[neo4jconf.Role]string{},
		Certificates:   certificates(c),
		Monitors:       monitors(c),
	}
	for _, role := range Roles(c) {
		conf, err := neo4jconf.Build(neo4jconf.Input{Cluster: c, Role: role, DiscoverySelector: DiscoverySelector(c)})
		if err != nil {
			return nil, fmt.Errorf("rendering neo4j.conf of the %s servers: %w", role, err)
		}
		if err := neo4jconf.CheckMemory(c, role); err != nil {
			return nil, err
		}
		files := map[string]string{FileNeo4jConf: conf.NeoConf()}
		if conf.ServerLogs != "" { // "" when it comes from the user's ConfigMap
			files[FileServerLogs] = conf.ServerLogs
		}
		if conf.UserLogs != "" {
			files[FileUserLogs] = conf.UserLogs
		}
		if len(conf.APOC) > 0 {
			files[FileAPOCConf] = conf.APOCConf()
		}
		o.ConfigHashes[role] = conf.Hash()
		o.ConfigMaps = append(o.ConfigMaps, configMap(c, role, o.ConfigHashes[role], files))
		o.StatefulSets = append(o.StatefulSets, statefulSet(c, role, o.ConfigHashes[role]))
		o.Services = append(o.Services, headlessService(c, role))
		for i := int32(0); i < Replicas(c, role); i++ {
			o.Services = append(o.Services, internalsService(c, role, i))
		}
		if *c.Spec.PodDisruptionBudget.Enabled {
			o.PodDisruptionBudgets = append(o.PodDisruptionBudgets, podDisruptionBudget(c, role))
		}
	}
	if Replicas(c, neo4jconf.Secondary) == 0 {
		// Checked anyway: scaling out must not be when a bad setting shows.
		if _, err := neo4jconf.Build(neo4jconf.Input{Cluster: c, Role: neo4jconf.Secondary, DiscoverySelector: DiscoverySelector(c)}); err != nil {
			return nil, fmt.Errorf("rendering neo4j.conf of the secondary servers: %w", err)
		}
		if err := neo4jconf.CheckMemory(c, neo4jconf.Secondary); err != nil {
			return nil, err
		}
	}
	if cm := backupClientConfigMap(c); cm != nil {
		o.ConfigMaps = append(o.ConfigMaps, cm)
	}
	o.Services = append(o.Services, clientService(c), metricsService(c))
	if c.Spec.Service.Admin {
		o.Services = append(o.Services, adminService(c))
	}
	sort.Slice(o.Services, func(i, j int) bool { return o.Services[i].Name < o.Services[j].Name })
	return o, nil
}

// Image is the image reference the servers run.
func Image(c *v1alpha1.Neo4jEnterpriseCluster) string {
	s := c.WithDefaults().Spec.Image
	ref := s.Repository + ":" + s.Tag
	if s.Digest != "" {
		ref += "@" + s.Digest
	}
	return ref
}

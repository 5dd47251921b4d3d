package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// Label keys the operator sets.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"
	LabelCluster   = "neo4j.graphops.dev/cluster"
	LabelRole      = "neo4j.graphops.dev/role"
	LabelService   = "neo4j.graphops.dev/service"

	// ManagedBy is the value of LabelManagedBy on every owned object; the
	// operator's cache is restricted to objects carrying it.
	ManagedBy = "neo4j-operator"

	// AnnotationConfigHash on a pod template is the hash of the role's
	// neo4j.conf; it changes exactly when the servers must restart.
	AnnotationConfigHash = "neo4j.graphops.dev/config-hash"

	// AnnotationTemplateKeys on a StatefulSet lists the pod-template label
	// and annotation keys the operator set, so that it removes only its own
	// keys and leaves other tools' (Reloader, kubectl) in place.
	AnnotationTemplateKeys = "neo4j.graphops.dev/template-keys"

	// ServiceInternals marks the per-server Services the K8S discovery
	// resolver lists.
	ServiceInternals = "internals"
)

// Names of a cluster's objects.
func ClientServiceName(c *v1alpha1.Neo4jEnterpriseCluster) string { return c.Name }

// ConfigMapName names a role's ConfigMap after its config hash.
func ConfigMapName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, hash string) string {
	return StatefulSetName(c, r) + "-config-" + hash[:min(10, len(hash))]
}
func ServiceAccountName(c *v1alpha1.Neo4jEnterpriseCluster) string {
	return c.Name + "-server"
}
func DiscoveryRoleName(c *v1alpha1.Neo4jEnterpriseCluster) string {
	return c.Name + "-service-discovery"
}
func StatefulSetName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) string {
	return c.Name + "-" + string(r)
}
func HeadlessServiceName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) string {
	return StatefulSetName(c, r) + "-headless"
}
func PodName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, ordinal int32) string {
	return fmt.Sprintf("%s-%d", StatefulSetName(c, r), ordinal)
}
func InternalsServiceName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, ordinal int32) string {
	return PodName(c, r, ordinal) + "-internals"
}
func PDBName(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) string {
	return StatefulSetName(c, r)
}

// ClusterLabels are on every object of the cluster.
func ClusterLabels(c *v1alpha1.Neo4jEnterpriseCluster) map[string]string {
	return map[string]string{
		LabelName:      "neo4j",
		LabelInstance:  c.Name,
		LabelManagedBy: ManagedBy,
		LabelCluster:   c.Name,
	}
}

// RoleLabels are on every object of one role.
func RoleLabels(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) map[string]string {
	l := ClusterLabels(c)
	l[LabelComponent] = string(r)
	l[LabelRole] = string(r)
	return l
}

// RoleSelector selects the pods of one role. It is a StatefulSet's
// immutable selector: never change it.
func RoleSelector(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) map[string]string {
	return map[string]string{LabelCluster: c.Name, LabelRole: string(r)}
}

// DiscoverySelector selects the cluster's internals Services.
func DiscoverySelector(c *v1alpha1.Neo4jEnterpriseCluster) string {
	return LabelCluster + "=" + c.Name + "," + LabelService + "=" + ServiceInternals
}

// Roles are the roles a cluster has, primaries first.
func Roles(c *v1alpha1.Neo4jEnterpriseCluster) []neo4jconf.Role {
	if c.Spec.Topology.Secondaries > 0 {
		return []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary}
	}
	return []neo4jconf.Role{neo4jconf.Primary}
}

// Replicas is the number of servers of a role.
func Replicas(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) int32 {
	if r == neo4jconf.Secondary {
		return c.Spec.Topology.Secondaries
	}
	return c.Spec.Topology.Primaries
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// BoltAddresses are every server's advertised Bolt address, primaries
// first: the operator's admin connections go there.
func BoltAddresses(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	return internalsAddresses(c, neo4jconf.PortBolt)
}

// internalsAddresses are every server's internals Service address at a
// port, primaries first.
func internalsAddresses(c *v1alpha1.Neo4jEnterpriseCluster, port int) []string {
	d := c.WithDefaults()
	var out []string
	for _, pod := range PodNames(d) {
		out = append(out, fmt.Sprintf("%s-internals.%s.svc.%s:%d", pod, d.Namespace, d.Spec.ClusterDomain, port))
	}
	return out
}

// BoltAddressesOf are the Bolt addresses of the named pods, in order.
func BoltAddressesOf(c *v1alpha1.Neo4jEnterpriseCluster, pods []string) []string {
	var out []string
	for _, a := range BoltAddresses(c) {
		if slices.Contains(pods, PodOfAddress(a)) {
			out = append(out, a)
		}
	}
	return out
}

// PodNames are every server pod's name, primaries first.
func PodNames(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	c = c.WithDefaults()
	var out []string
	for _, r := range Roles(c) {
		for i := int32(0); i < Replicas(c, r); i++ {
			out = append(out, PodName(c, r, i))
		}
	}
	return out
}

// PodOfAddress reads the pod from a server's advertised address,
// <pod>-internals.<namespace>.svc.<domain>:<port> ("" for another form).
func PodOfAddress(address string) string {
	host, _, _ := strings.Cut(address, ".")
	pod, ok := strings.CutSuffix(host, "-internals")
	if !ok {
		return ""
	}
	return pod
}

// BackupAddresses are every server's backup address on its internals
// Service, primaries first: a backup Job names them all in --from.
func BackupAddresses(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	return internalsAddresses(c, neo4jconf.PortBackup)
}

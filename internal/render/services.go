package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

func servicePort(name string, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port)}
}

// serverPorts are the ports a server serves to other servers and
// clients, named as the containers name them (the discovery resolver looks
// tcp-tx up by name). HTTPS only when it is turned on, HTTP only when
// HTTPS did not replace it. The backup port is on the internals Services
// only (backupPort).
func serverPorts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.ServicePort {
	out := webPorts(c)
	return append(out,
		servicePort(neo4jconf.DiscoveryPortName, neo4jconf.PortCluster),
		servicePort("raft", neo4jconf.PortRaft),
		servicePort("routing", neo4jconf.PortRouting),
	)
}

// serverService publishes not-ready addresses because servers must find
// each other before they are ready.
func serverService(c *v1alpha1.Neo4jEnterpriseCluster, name string, labels, selector map[string]string) *corev1.Service {
	single := corev1.IPFamilyPolicySingleStack
	cluster := corev1.ServiceInternalTrafficPolicyCluster
	return &corev1.Service{
		ObjectMeta: objectMeta(c, name, labels),
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeClusterIP,
			Selector:                 selector,
			Ports:                    serverPorts(c),
			PublishNotReadyAddresses: true,
			SessionAffinity:          corev1.ServiceAffinityNone,
			IPFamilyPolicy:           &single,
			InternalTrafficPolicy:    &cluster,
		},
	}
}

// headlessService is a role's StatefulSet governing Service: it gives
// each pod a DNS name of its own.
func headlessService(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) *corev1.Service {
	s := serverService(c, HeadlessServiceName(c, r), RoleLabels(c, r), RoleSelector(c, r))
	s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
	return s
}

// internalsService gives one server a stable name that the others discover
// it by and that it advertises. Adding a server adds one of these and
// changes no configuration: that is why scaling never rolls pods. It has a
// cluster IP, not none: the IP outlives the pod, where a headless name
// changes address at every restart and peers wait on stale DNS (the Helm
// chart moved to ClusterIP for that reason).
func internalsService(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, ordinal int32) *corev1.Service {
	labels := RoleLabels(c, r)
	labels[LabelService] = ServiceInternals
	selector := RoleSelector(c, r)
	selector["statefulset.kubernetes.io/pod-name"] = PodName(c, r, ordinal)
	s := serverService(c, InternalsServiceName(c, r, ordinal), labels, selector)
	if p, ok := backupPort(c); ok {
		s.Spec.Ports = append(s.Spec.Ports, p)
	}
	return s
}

// backupPort is where backup Jobs reach a server, when spec.backup opens
// it: Neo4j's backup server listens on 127.0.0.1 unless told otherwise.
// Each Job names every server's internals Service, so it is on those only.
func backupPort(c *v1alpha1.Neo4jEnterpriseCluster) (corev1.ServicePort, bool) {
	return servicePort(neo4jconf.BackupPortName, neo4jconf.PortBackup), c.Spec.Backup.Enabled
}

// clientService is what applications connect to: bolt (with server-side
// routing), http and https on ready servers of either role.
func clientService(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.Service {
	single := corev1.IPFamilyPolicySingleStack
	cluster := corev1.ServiceInternalTrafficPolicyCluster
	spec := c.Spec.Service
	meta := objectMeta(c, ClientServiceName(c), ClusterLabels(c))
	if len(spec.Annotations) > 0 {
		meta.Annotations = merge(spec.Annotations)
	}
	svc := &corev1.Service{
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:                  spec.Type,
			Selector:              map[string]string{LabelCluster: c.Name},
			Ports:                 clientPorts(c),
			SessionAffinity:       corev1.ServiceAffinityNone,
			IPFamilyPolicy:        &single,
			InternalTrafficPolicy: &cluster,
		},
	}
	if spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer {
		allocate := true
		svc.Spec.AllocateLoadBalancerNodePorts = &allocate
		svc.Spec.LoadBalancerSourceRanges = append([]string(nil), spec.LoadBalancerSourceRanges...)
	}
	return svc
}

// clientPorts: bolt, and http and https where they are on.
func clientPorts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.ServicePort {
	return webPorts(c)
}

// webPorts are bolt, http unless HTTPS replaced it, and https when it is
// on.
func webPorts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.ServicePort {
	out := []corev1.ServicePort{servicePort("bolt", neo4jconf.PortBolt)}
	if neo4jconf.HTTPEnabled(c) {
		out = append(out, servicePort("http", neo4jconf.PortHTTP))
	}
	if neo4jconf.HTTPSEnabled(c) {
		out = append(out, servicePort("https", neo4jconf.PortHTTPS))
	}
	return out
}

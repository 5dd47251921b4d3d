package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// CertificateGVK is cert-manager's Certificate. The operator builds them as
// unstructured objects: it does not depend on cert-manager's Go module,
// and runs without cert-manager installed.
var CertificateGVK = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}

// CertificateName is the Certificate of a channel.
func CertificateName(c *v1alpha1.Neo4jEnterpriseCluster, channel string) string {
	return c.Name + "-" + channel
}

// certificates are the cert-manager Certificates of the channels that name
// an issuer, in channel order.
func certificates(c *v1alpha1.Neo4jEnterpriseCluster) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, ch := range c.TLSChannels() {
		if ch.Certificate.IssuerRef != nil {
			out = append(out, certificate(c, ch))
		}
	}
	return out
}

// certificate asks for a key in PKCS#8, the form Neo4j requires (the
// manual's SSL framework page; cert-manager's default is PKCS#1), and a
// new key at every renewal. Servers of the cluster channel authenticate
// to each other, so that certificate is also a client certificate; so is
// a Bolt or HTTPS one that asks clients for certificates, because the
// operator presents it on its own connections.
func certificate(c *v1alpha1.Neo4jEnterpriseCluster, ch v1alpha1.TLSChannel) *unstructured.Unstructured {
	usages := []any{"digital signature", "key encipherment", "server auth"}
	if neo4jconf.TrustsCA(ch) {
		usages = append(usages, "client auth")
	}
	ref := ch.Certificate.IssuerRef
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"secretName": c.TLSSecretName(ch),
			"issuerRef":  map[string]any{"name": ref.Name, "kind": ref.Kind, "group": ref.Group},
			"dnsNames":   toAny(CertificateDNSNames(c)),
			"usages":     usages,
			"privateKey": map[string]any{"encoding": "PKCS8", "rotationPolicy": "Always"},
		},
	}}
	u.SetGroupVersionKind(CertificateGVK)
	u.SetName(CertificateName(c, ch.Name))
	u.SetNamespace(c.Namespace)
	u.SetLabels(ClusterLabels(c))
	return u
}

// CertificateDNSNames are the names clients and servers reach the servers
// by: every server's internals Service (the address it advertises and the
// operator dials), the headless Services and their pods, and the client
// Service. A scale-out adds names, so cert-manager issues a new
// certificate and the servers reload it.
func CertificateDNSNames(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	d := c.WithDefaults()
	suffix := fmt.Sprintf(".%s.svc.%s", d.Namespace, d.Spec.ClusterDomain)
	short := fmt.Sprintf(".%s.svc", d.Namespace)
	client := ClientServiceName(d)
	out := []string{client, client + "." + d.Namespace, client + short, client + suffix}
	for _, r := range Roles(d) {
		h := HeadlessServiceName(d, r)
		out = append(out, h+suffix, "*."+h+suffix)
	}
	for _, pod := range PodNames(d) {
		out = append(out, pod+"-internals"+short, pod+"-internals"+suffix)
	}
	return out
}

func toAny(in []string) []any {
	out := make([]any, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
}

package v1alpha1

// TLS per channel (spec.tls), as Neo4j's SSL policy scopes: Bolt, HTTPS,
// the traffic between servers, and the backup port. Each channel's
// certificate comes from a Secret or a cert-manager issuer.

// TLS channels, as Neo4j names its SSL policy scopes.
const (
	ChannelBolt    = "bolt"
	ChannelHTTPS   = "https"
	ChannelCluster = "cluster"
	ChannelBackup  = "backup"
)

// TLSSpec turns TLS on per channel (Neo4j's SSL policy scopes).
type TLSSpec struct {
	// Bolt encrypts client connections on 7687.
	// +optional
	Bolt *BoltTLS `json:"bolt,omitempty"`

	// HTTPS serves the HTTP API and Browser on 7473.
	// +optional
	HTTPS *HTTPSTLS `json:"https,omitempty"`

	// Cluster encrypts the traffic between servers (cluster, raft and
	// routing ports). Every server must trust the others' certificates:
	// the Secret's ca.crt is required.
	// +optional
	Cluster *TLSCertificate `json:"cluster,omitempty"`

	// Backup encrypts the backup port (6362) between the servers and the
	// backup Jobs, which present the same certificate: Neo4j asks backup
	// clients for one by default (client_auth REQUIRE), so the Secret's
	// ca.crt must sign it. Needs spec.backup.enabled.
	// +optional
	Backup *TLSCertificate `json:"backup,omitempty"`
}

// TLSCertificate is where a channel's certificate comes from: a Secret
// the user keeps, or a cert-manager issuer the operator asks for one.
// +kubebuilder:validation:XValidation:rule="has(self.secretName) != has(self.issuerRef)",message="set exactly one of secretName (a Secret with tls.crt, tls.key and ca.crt) and issuerRef (cert-manager issues the certificate)"
type TLSCertificate struct {
	// SecretName is a Secret in the cluster's namespace with tls.crt (PEM,
	// leaf first), tls.key (PEM, PKCS#8, as Neo4j requires) and ca.crt
	// (the CA that signs the servers' and clients' certificates). A
	// kubernetes.io/tls Secret made by cert-manager has all three.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// IssuerRef asks cert-manager (cert-manager.io/v1) for the
	// certificate: the operator creates a Certificate named
	// <cluster>-<channel> whose Secret is <cluster>-<channel>-tls, for the
	// DNS names of every server's internals Service, the headless
	// Services and the client Service.
	// +optional
	IssuerRef *IssuerRef `json:"issuerRef,omitempty"`

	// ClientAuth asks clients for a certificate signed by ca.crt: NONE,
	// OPTIONAL or REQUIRE. Defaults: NONE for bolt and https (as the Helm
	// chart sets), REQUIRE for cluster (the Operations Manual: without
	// mutual TLS any client that reaches the cluster port can replicate
	// the databases).
	// +optional
	// +kubebuilder:validation:Enum=NONE;OPTIONAL;REQUIRE
	ClientAuth string `json:"clientAuth,omitempty"`
}

// IssuerRef names a cert-manager issuer.
type IssuerRef struct {
	// Name of the Issuer or ClusterIssuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Kind is Issuer (in the cluster's namespace) or ClusterIssuer.
	// +optional
	// +kubebuilder:default=Issuer
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	Kind string `json:"kind,omitempty"`

	// Group of the issuer; cert-manager.io unless an external issuer.
	// +optional
	// +kubebuilder:default="cert-manager.io"
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group,omitempty"`
}

// BoltTLS is the Bolt channel's TLS.
type BoltTLS struct {
	TLSCertificate `json:",inline"`

	// Level is server.bolt.tls_level: REQUIRED refuses plaintext Bolt,
	// OPTIONAL accepts both. The operator's own connections use TLS either
	// way.
	// +optional
	// +kubebuilder:default=REQUIRED
	// +kubebuilder:validation:Enum=REQUIRED;OPTIONAL
	Level string `json:"level,omitempty"`
}

// HTTPSTLS is the HTTPS channel's TLS.
type HTTPSTLS struct {
	TLSCertificate `json:",inline"`

	// KeepHTTP keeps plaintext HTTP (7474) on beside HTTPS. Off by
	// default: with HTTPS on, HTTP and its Service ports are off.
	// +optional
	KeepHTTP bool `json:"keepHTTP,omitempty"`
}

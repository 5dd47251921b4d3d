package neo4jconf

import (
	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Where the servers find their certificates. The image's NEO4J_HOME is
// /var/lib/neo4j (docker-neo4j, the coredb Dockerfiles), and Neo4j's
// default base directory of a policy is certificates/<scope> under it
// (Operations Manual, "SSL framework"); the operator writes every path
// out anyway, so nothing depends on a default.
const (
	CertificatesDir = "/var/lib/neo4j/certificates"
	// RevokedDir is an empty folder every policy names as its revoked_dir:
	// the manual says the folders must exist, and Neo4j creates none.
	RevokedDir = CertificatesDir + "/revoked"
)

// The files of a channel's folder, as the operator mounts them from the
// Secret's tls.crt, tls.key and ca.crt.
const (
	FilePublicCertificate = "public.crt"
	FilePrivateKey        = "private.key"
	TrustedDir            = "trusted"
	FileTrustedCA         = "ca.crt"
)

// ChannelDir is a channel's base directory.
func ChannelDir(channel string) string { return CertificatesDir + "/" + channel }

// ReloadsTLS is true for releases that reload certificates without a
// restart: dbms.security.tls_reload_enabled and the procedure
// dbms.security.reloadTLS() are new in 2025.03 (the manual's settings and
// procedures references, branch dev); the 5.x manual has neither.
func (v Version) ReloadsTLS() bool { return !v.Before(Version{Major: 2025, Minor: 3}) }

// TrustsCA is true when a channel's trusted folder must hold the Secret's
// ca.crt: the cluster channel always (servers check each other's
// certificates), the others when they ask clients for certificates.
func TrustsCA(ch v1alpha1.TLSChannel) bool {
	return peerChannel(ch) || ch.Certificate.ClientAuth != "NONE"
}

// peerChannel: both ends present the same kind of certificate (servers to
// servers; backup Jobs to servers), so the CA is always trusted and the
// leaf never (the manual: the backup scope's trusted_dir holds CA and
// intermediate certificates only).
func peerChannel(ch v1alpha1.TLSChannel) bool {
	return ch.Name == v1alpha1.ChannelCluster || ch.Name == v1alpha1.ChannelBackup
}

// TrustsLeaf is true when a channel's trusted folder holds its own
// certificate, as the manual's Bolt and HTTPS steps do: the folder must
// exist even when no client certificate is asked for.
func TrustsLeaf(ch v1alpha1.TLSChannel) bool { return !peerChannel(ch) }

// tlsSettings are the SSL policies of the channels spec.tls turns on, and
// the connector settings that use them (the manual's "SSL framework":
// server.bolt.tls_level, server.https.enabled).
func tlsSettings(c *v1alpha1.Neo4jEnterpriseCluster, v Version) Conf {
	out := Conf{}
	for _, ch := range c.TLSChannels() {
		policy(out, ch.Name)
		out["dbms.ssl.policy."+ch.Name+".client_auth"] = ch.Certificate.ClientAuth
	}
	t := c.Spec.TLS
	if t.Bolt != nil {
		out["server.bolt.tls_level"] = t.Bolt.Level
	}
	if t.HTTPS != nil {
		out["server.https.enabled"] = "true"
		if !t.HTTPS.KeepHTTP {
			out["server.http.enabled"] = "false"
		}
	}
	if len(out) > 0 && v.ReloadsTLS() {
		// Read at startup only: on from the start, so a rotation never
		// needs a restart.
		out["dbms.security.tls_reload_enabled"] = "true"
	}
	return out
}

// HTTPEnabled is false when HTTPS replaced plaintext HTTP.
func HTTPEnabled(c *v1alpha1.Neo4jEnterpriseCluster) bool {
	h := c.Spec.TLS.HTTPS
	return h == nil || h.KeepHTTP
}

// BackupClientPolicy is the backup scope's SSL policy as a backup client
// (neo4j-admin database backup) reads it: the same folder layout as the
// servers', and the manual's client side of the scope. Empty without
// spec.tls.backup.
func BackupClientPolicy(c *v1alpha1.Neo4jEnterpriseCluster) Conf {
	out := Conf{}
	if c.Spec.TLS.Backup != nil {
		policy(out, v1alpha1.ChannelBackup)
	}
	return out
}

// policy writes a scope's SSL policy with every path explicit: the
// folder the operator mounts the channel's Secret as.
func policy(out Conf, scope string) {
	p := "dbms.ssl.policy." + scope + "."
	out[p+"enabled"] = "true"
	out[p+"base_directory"] = ChannelDir(scope)
	out[p+"private_key"] = FilePrivateKey
	out[p+"public_certificate"] = FilePublicCertificate
	out[p+"trusted_dir"] = TrustedDir
	out[p+"revoked_dir"] = RevokedDir
}

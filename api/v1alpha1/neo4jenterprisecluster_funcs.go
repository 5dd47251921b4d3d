package v1alpha1

import (
	"strconv"
)

// Methods on a cluster that derive names and flags from its spec and
// annotations, so that the renderer and the controllers read them one way.

// AuthSecretName is the Secret the servers read NEO4J_AUTH from: the
// user's, or the one the operator generates.
func (c *Neo4jEnterpriseCluster) AuthSecretName() string {
	if c.Spec.Auth.SecretName != "" {
		return c.Spec.Auth.SecretName
	}
	return c.Name + "-auth"
}

// GeneratesAuthSecret is true when the operator owns the auth Secret.
func (c *Neo4jEnterpriseCluster) GeneratesAuthSecret() bool {
	return c.Spec.Auth.SecretName == ""
}

// IsPaused is true while the pause annotation holds a true value ("true",
// "1", "T"...), read the way operator-lib's pause predicate reads it, so the
// two never disagree.
func (c *Neo4jEnterpriseCluster) IsPaused() bool {
	paused, err := strconv.ParseBool(c.Annotations[AnnotationPaused])
	return err == nil && paused
}

// AllowsFullRestart is true while the allow-full-restart annotation holds
// a true value, read as the pause annotation is.
func (c *Neo4jEnterpriseCluster) AllowsFullRestart() bool {
	ok, err := strconv.ParseBool(c.Annotations[AnnotationAllowFullRestart])
	return err == nil && ok
}

// TLSChannel is one channel spec.tls turns on.
type TLSChannel struct {
	Name        string // bolt, https or cluster
	Certificate TLSCertificate
}

// TLSChannels are the channels spec.tls turns on, in a fixed order
// (bolt, https, cluster), defaulted.
func (c *Neo4jEnterpriseCluster) TLSChannels() []TLSChannel {
	t := c.WithDefaults().Spec.TLS
	var out []TLSChannel
	if t.Bolt != nil {
		out = append(out, TLSChannel{ChannelBolt, t.Bolt.TLSCertificate})
	}
	if t.HTTPS != nil {
		out = append(out, TLSChannel{ChannelHTTPS, t.HTTPS.TLSCertificate})
	}
	if t.Cluster != nil {
		out = append(out, TLSChannel{ChannelCluster, *t.Cluster})
	}
	if t.Backup != nil {
		out = append(out, TLSChannel{ChannelBackup, *t.Backup})
	}
	return out
}

// TLSSecretName is the Secret holding a channel's certificate: the
// user's, or the one cert-manager writes for the operator's Certificate.
func (c *Neo4jEnterpriseCluster) TLSSecretName(ch TLSChannel) string {
	if ch.Certificate.SecretName != "" {
		return ch.Certificate.SecretName
	}
	return c.Name + "-" + ch.Name + "-tls"
}

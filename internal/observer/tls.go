package observer

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TLSConfig is the client TLS configuration of a target, read now from its
// Bolt Secret (nil without Bolt TLS). Errors never carry the key.
func (o *Observers) TLSConfig(ctx context.Context, t Target) (*tls.Config, error) {
	if t.TLS == nil {
		return nil, nil
	}
	s := &corev1.Secret{}
	if err := o.Reader.Get(ctx, t.TLS.Secret, s); err != nil {
		return nil, fmt.Errorf("Bolt TLS Secret %s: %w", t.TLS.Secret, err) // NotFound stays NotFound
	}
	return tlsConfigOf(t, s)
}

// secret is the Bolt Secret (none without Bolt TLS).
func (t *TLSTarget) secret() types.NamespacedName {
	if t == nil {
		return types.NamespacedName{}
	}
	return t.Secret
}

// tlsConfigOf builds a target's client TLS configuration from its Bolt
// Secret.
func tlsConfigOf(t Target, s *corev1.Secret) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := s.Data["ca.crt"]; len(ca) > 0 {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("Bolt TLS Secret %s: ca.crt %w", t.TLS.Secret, errNoPEM)
		}
	}
	if t.TLS.ClientCert {
		pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
		if err != nil {
			return nil, fmt.Errorf("Bolt TLS Secret %s: tls.crt and tls.key %w", t.TLS.Secret, errNoPair)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// digestCertificates digests the certificates of a target's TLS Secrets
// (a missing Secret or key counts as empty).
func digestCertificates(t Target, secrets map[types.NamespacedName]*corev1.Secret) string {
	if len(t.CertSecrets) == 0 {
		return ""
	}
	h := sha256.New()
	for _, key := range t.CertSecrets {
		if s, ok := secrets[key]; ok {
			h.Write(s.Data["tls.crt"])
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// certSecrets reads a target's TLS Secrets, leaving out those it could
// not read.
func (o *Observers) certSecrets(ctx context.Context, t Target) map[types.NamespacedName]*corev1.Secret {
	out := map[types.NamespacedName]*corev1.Secret{}
	for _, key := range t.CertSecrets {
		s := &corev1.Secret{}
		if err := o.Reader.Get(ctx, key, s); err == nil {
			out[key] = s
		}
	}
	return out
}

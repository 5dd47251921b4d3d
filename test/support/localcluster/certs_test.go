package localcluster

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

// Client certificates carry the identity the apiserver reads: user from the
// CommonName, groups from the Organizations; all chain to the CA.
func TestClientCert(t *testing.T) {
	ca, err := newAuthority()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.clientCert("system:serviceaccount:ns:op", []string{"system:serviceaccounts", "system:serviceaccounts:ns"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "system:serviceaccount:ns:op" || len(cert.Subject.Organization) != 2 {
		t.Errorf("subject %v", cert.Subject)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Error(err)
	}
	serving, err := ca.servingCert()
	if err != nil {
		t.Fatal(err)
	}
	pair, _ = tls.X509KeyPair(serving.CertPEM, serving.KeyPEM)
	sc, _ := x509.ParseCertificate(pair.Certificate[0])
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc"} {
		if err := sc.VerifyHostname(host); err != nil {
			t.Error(err)
		}
	}
}

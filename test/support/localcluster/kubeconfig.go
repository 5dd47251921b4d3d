package localcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Every client of the cluster, the components included, authenticates with
// its own client certificate, so the audit log tells them apart: tests can
// count the writes of the operator separately from the StatefulSet
// controller's or their own.

// Identities of the components; all are in system:masters, since this
// cluster is for tests, and only their names matter (for the audit log).
const (
	AdminUser             = "localcluster-admin"
	ControllerManagerUser = "system:kube-controller-manager"
	SchedulerUser         = "system:kube-scheduler"
	KwokUser              = "kwok"
	// MastersGroup bypasses RBAC; give it to an identity that should be
	// able to do anything.
	MastersGroup = "system:masters"
)

// UserKubeconfig mints a client certificate for user in groups and writes a
// kubeconfig for it into the cluster's folder, returning its path. Use it to
// run a process (such as the operator) under its own identity, for example
// "system:serviceaccount:neo4j-operator-system:neo4j-operator-controller-manager"
// with groups {"system:serviceaccounts", "system:serviceaccounts:neo4j-operator-system"}
// to be subject to the RBAC the operator's manifests grant, or a plain name
// with MastersGroup to bypass RBAC.
func (c *Cluster) UserKubeconfig(user string, groups []string) (string, error) {
	kp, err := c.ca.clientCert(user, groups)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.Dir, "users", fileSafe(user)+".kubeconfig")
	if err := writeKubeconfig(path, c.Host, c.ca.certPEM, kp, user); err != nil {
		return "", err
	}
	return path, nil
}

// UserConfig is UserKubeconfig for in-process clients: a rest.Config that
// authenticates as user in groups.
func (c *Cluster) UserConfig(user string, groups []string) (*rest.Config, error) {
	kp, err := c.ca.clientCert(user, groups)
	if err != nil {
		return nil, err
	}
	return restConfig(c.Host, c.ca.certPEM, kp), nil
}

func restConfig(host string, caPEM []byte, kp keyPair) *rest.Config {
	return &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   caPEM,
			CertData: kp.CertPEM,
			KeyData:  kp.KeyPEM,
		},
		// Client-side throttling only slows tests down here.
		QPS:   200,
		Burst: 400,
	}
}

// writeKubeconfig writes a self-contained kubeconfig (certificates inline), so
// it can be copied elsewhere and still work while the cluster runs.
func writeKubeconfig(path, host string, caPEM []byte, kp keyPair, user string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["localcluster"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.CertPEM, ClientKeyData: kp.KeyPEM}
	cfg.Contexts["localcluster"] = &clientcmdapi.Context{Cluster: "localcluster", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = "localcluster"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileSafe turns a user name such as system:serviceaccount:ns:name into a
// file name.
func fileSafe(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

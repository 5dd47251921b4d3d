package tlsreload

import (
	"fmt"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// After dbms.security.reloadTLS() on a server, the operator checks, in a
// TLS handshake on each channel, that the server presents the certificate
// now in that channel's Secret. The procedure reloads every scope at once
// (Operations Manual, branch dev, procedures/built-in-procedures.adoc:
// "Trigger the dynamic reloading of all TLS certificates and
// configuration"), but each scope reads its own files, which the kubelet
// updates volume by volume: a server that reloaded before the kubelet
// wrote one channel's files serves the old certificate there and the new
// one elsewhere. Handshakes are what the manual offers to tell
// (security/ssl-framework.adoc, "Certificates rotation": "new connections
// will use new certificates", and "the certificates are only used during
// the initial connection handshake").

// Check is one channel a server that reloaded must present a certificate
// on: the channel, its port on the server's internals Service, and the
// fingerprint wanted.
type Check struct {
	Channel string
	Port    int
	Want    string
}

// channelPorts: one listening port per SSL policy scope, Neo4j's defaults
// as the operator renders them (Operations Manual, configuration/
// ports.adoc: Bolt 7687, HTTPS 7473, "Cluster internal traffic" 6000,
// Backup 6362). The cluster scope also covers raft (7000) and routing
// (7688), and discovery (5000) on 5.x: one policy, one certificate and
// one reload for all of them, so one port stands for the scope.
var channelPorts = map[string]int{
	v1alpha1.ChannelBolt:    neo4jconf.PortBolt,
	v1alpha1.ChannelHTTPS:   neo4jconf.PortHTTPS,
	v1alpha1.ChannelCluster: neo4jconf.PortCluster,
	v1alpha1.ChannelBackup:  neo4jconf.PortBackup,
}

// Checks are what a server must present once it reloaded: on every channel
// whose certificate the status records (the channels spec.tls turns on,
// with the fingerprint last read from their Secret), that certificate.
// None without a status.
func Checks(st *v1alpha1.TLSStatus) []Check {
	if st == nil {
		return nil
	}
	var out []Check
	for _, c := range st.Certificates {
		if port, ok := channelPorts[c.Channel]; ok && c.Fingerprint != "" {
			out = append(out, Check{Channel: c.Channel, Port: port, Want: c.Fingerprint})
		}
	}
	return out
}

// Presented is what a handshake on one channel of a server showed: the
// leaf certificate's fingerprint, or why there was none.
type Presented struct {
	Channel     string
	Fingerprint string
	Problem     string
}

// Verify decides whether a server that reloaded is done: "" when every
// check was made and the server presented the wanted certificate on its
// channel; otherwise why not, naming each channel that is behind. A
// server that presents the previous certificate read its files before the
// kubelet updated them: it is told to reload again later.
func Verify(checks []Check, got []Presented) string {
	presented := map[string]Presented{}
	for _, p := range got {
		presented[p.Channel] = p
	}
	var why []string
	for _, c := range checks {
		p, ok := presented[c.Channel]
		switch {
		case !ok:
			why = append(why, fmt.Sprintf("the %s certificate was not checked", c.Channel))
		case p.Fingerprint == "":
			problem := p.Problem
			if problem == "" {
				problem = "no certificate presented"
			}
			why = append(why, fmt.Sprintf("the %s certificate could not be checked: %s", c.Channel, problem))
		case p.Fingerprint != c.Want:
			why = append(why, fmt.Sprintf("the server still presents %s on %s, not %s: the kubelet has not updated its mounted Secret yet",
				p.Fingerprint, c.Channel, c.Want))
		}
	}
	return strings.Join(why, "; ")
}

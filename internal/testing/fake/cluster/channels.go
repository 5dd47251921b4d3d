package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"
)

// The TLS channels other than Bolt: HTTPS, cluster and backup, Neo4j's SSL
// policy scopes (Operations Manual, branch dev, security/
// ssl-framework.adoc: "scope is the name of the communication channel,
// such as bolt, https, cluster, and backup").
//
//   - A channel is on once its certificate is mounted
//     (SetMountedChannelCertificate): a pod cannot start before the
//     kubelet has written its Secret volumes, so the first certificate
//     mounted is the one every server read when it started, and each
//     server then listens for that channel on loopback, at the address
//     Resolve gives for "<pod>-internals.<ns>.svc.<domain>:<port>" (the
//     host of the server's Bolt address, the channel's port).
//   - Each listener speaks TLS and nothing else: the fake models the
//     handshake, not HTTP, the cluster protocols or backups. It presents
//     the certificate that channel's files held when the server started or
//     at its last CALL dbms.security.reloadTLS(), which "Trigger[s] the
//     dynamic reloading of all TLS certificates and configuration"
//     (procedures/built-in-procedures.adoc): every channel's files are
//     read again, in the same call as Bolt's (just after).
//   - The cluster and backup listeners ask clients for a certificate and
//     refuse a handshake without one: client_auth REQUIRE, "`REQUIRE` for
//     `cluster` and `backup`" by default (ssl-framework.adoc), as the
//     operator renders them unless told otherwise. They do not check the
//     client's certificate against a CA. HTTPS asks for none (the
//     operator's default NONE).
//   - A server restarted (its pod back after RemovePod) reads every
//     channel's files again.

// Channels other than Bolt, and their ports (Operations Manual,
// configuration/ports.adoc: HTTPS 7473, "Cluster internal traffic" 6000,
// Backup 6362).
const (
	ChannelHTTPS   = "https"
	ChannelCluster = "cluster"
	ChannelBackup  = "backup"
	channelBolt    = "bolt"
)

var channelPorts = map[string]int{ChannelHTTPS: 7473, ChannelCluster: 6000, ChannelBackup: 6362}

// channelServer is one server's listener for one channel.
type channelServer struct {
	ln net.Listener
	// loaded is the certificate it read, at start or reload (under the
	// cluster's lock).
	loaded *tls.Certificate

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]bool
	accepted int // connections accepted
	wg       sync.WaitGroup
}

// reloadTLSQuery is the procedure call the fake answers (commands.go).
const reloadTLSQuery = "CALL dbms.security.reloadTLS()"

// reloading is a server's Bolt handler that, once a reloadTLS call was
// accepted (Bolt's certificate re-read in commands.go), re-reads the other
// channels' files too.
type reloading struct{ *handler }

func (h reloading) Run(q bolt.Query) (bolt.Result, *bolt.Failure) {
	res, fail := h.handler.Run(q)
	if fail == nil && q.Text == reloadTLSQuery {
		c := h.c
		c.mu.Lock()
		if s := c.servers[h.name]; s != nil {
			c.loadChannels(s)
		}
		c.mu.Unlock()
	}
	return res, fail
}

// SetMountedChannelCertificate is the kubelet writing a new certificate
// into every pod's volume of a channel (https, cluster or backup; bolt is
// SetMountedCertificate): servers that start or reload from now on serve
// it, running ones keep the one they loaded. The first certificate
// mounted for a channel turns it on: every server listens for it with
// that certificate (what it read at start).
func (c *Cluster) SetMountedChannelCertificate(channel string, certPEM, keyPEM []byte) error {
	if channel == channelBolt {
		return c.SetMountedCertificate(certPEM, keyPEM)
	}
	if _, ok := channelPorts[channel]; !ok {
		return fmt.Errorf("fake: no TLS channel %q", channel)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channelMounts == nil {
		c.channelMounts = map[string]*tls.Certificate{}
	}
	_, on := c.channelMounts[channel]
	c.channelMounts[channel] = &pair
	if on {
		return nil
	}
	for _, n := range c.order {
		if s := c.servers[n]; s.address != "" { // not a forgotten volume's
			if err := c.startChannels(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// startChannels starts a listener on loopback for every channel mounted
// that the server does not listen for yet, with the mounted certificate
// loaded. Under the lock.
func (c *Cluster) startChannels(s *server) error {
	for ch, mounted := range c.channelMounts {
		if s.channels[ch] != nil {
			continue
		}
		cs, err := c.listen(s.name, ch)
		if err != nil {
			return err
		}
		cs.loaded = mounted
		if s.channels == nil {
			s.channels = map[string]*channelServer{}
		}
		s.channels[ch] = cs
	}
	return nil
}

// loadChannels is a server reading every channel's files: at a restart
// or a reload. Under the lock.
func (c *Cluster) loadChannels(s *server) {
	for ch, cs := range s.channels {
		cs.loaded = c.channelMounts[ch]
	}
}

func (c *Cluster) listen(name, channel string) (*channelServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.presentedOn(name, channel) }}
	if channel == ChannelCluster || channel == ChannelBackup {
		cfg.ClientAuth = tls.RequireAnyClientCert // client_auth REQUIRE, the CA unchecked
	}
	cs := &channelServer{ln: tls.NewListener(ln, cfg), conns: map[net.Conn]bool{}}
	cs.wg.Add(1)
	go cs.accept()
	return cs, nil
}

// accept completes each handshake, then reads until the client goes: no
// protocol is spoken after the handshake.
func (cs *channelServer) accept() {
	defer cs.wg.Done()
	for {
		conn, err := cs.ln.Accept()
		if err != nil {
			return
		}
		cs.mu.Lock()
		if cs.closed {
			cs.mu.Unlock()
			_ = conn.Close()
			return
		}
		cs.conns[conn] = true
		cs.accepted++
		cs.mu.Unlock()
		cs.wg.Add(1)
		go func() {
			defer cs.wg.Done()
			defer func() {
				_ = conn.Close()
				cs.mu.Lock()
				delete(cs.conns, conn)
				cs.mu.Unlock()
			}()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if conn.(*tls.Conn).Handshake() != nil {
				return
			}
			_, _ = io.Copy(io.Discard, conn)
		}()
	}
}

func (cs *channelServer) close() {
	cs.mu.Lock()
	cs.closed = true
	_ = cs.ln.Close()
	for conn := range cs.conns {
		_ = conn.Close()
	}
	cs.mu.Unlock()
	cs.wg.Wait()
}

// channelListeners are every channel listener, to close. Under the lock.
func (c *Cluster) channelListeners() []*channelServer {
	var out []*channelServer
	for _, s := range c.servers {
		for _, cs := range s.channels {
			out = append(out, cs)
		}
	}
	return out
}

// resolveChannel is the loopback listener of the channel whose port
// hostport names on the server whose Bolt address has hostport's host,
// or "". Under the lock.
func (s *server) resolveChannel(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || s.address == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(s.address); err != nil || h != host {
		return ""
	}
	for ch, cs := range s.channels {
		if strconv.Itoa(channelPorts[ch]) == port {
			return cs.ln.Addr().String()
		}
	}
	return ""
}

// ChannelAddr is the loopback address of a server's listener for a
// channel ("" when it has none; bolt is Addr).
func (c *Cluster) ChannelAddr(name, channel string) string {
	if channel == channelBolt {
		return c.Addr(name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil && s.channels[channel] != nil {
		return s.channels[channel].ln.Addr().String()
	}
	return ""
}

// Dials counts the connections a server's listener for a channel accepted
// (bolt excluded).
func (c *Cluster) Dials(name, channel string) int {
	c.mu.Lock()
	s := c.servers[name]
	var cs *channelServer
	if s != nil {
		cs = s.channels[channel]
	}
	c.mu.Unlock()
	if cs == nil {
		return 0
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.accepted
}

// PresentedOn is the SHA-256 of the leaf certificate a server presents on
// a channel ("" for none; bolt is Presented).
func (c *Cluster) PresentedOn(name, channel string) string {
	if channel == channelBolt {
		return c.Presented(name)
	}
	cert, err := c.presentedOn(name, channel)
	if err != nil || len(cert.Certificate) == 0 {
		return ""
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return ""
	}
	return neo4j.Fingerprint(leaf)
}

func (c *Cluster) presentedOn(name, channel string) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.servers[name]
	if s == nil || s.channels[channel] == nil || s.channels[channel].loaded == nil {
		return nil, fmt.Errorf("fake server %s has no %s certificate loaded", name, channel)
	}
	return s.channels[channel].loaded, nil
}

// ChannelResolveLines are the "<pod>-internals.<ns>.svc.<domain>:<port>
// <listener>" lines of every server's channel listeners, sorted: what an
// out-of-process operator's --neo4j-fake-resolve file needs besides
// FollowPods' Bolt lines.
func (c *Cluster) ChannelResolveLines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.servers {
		host, _, err := net.SplitHostPort(s.address)
		if err != nil {
			continue
		}
		for ch, cs := range s.channels {
			out = append(out, net.JoinHostPort(host, strconv.Itoa(channelPorts[ch]))+" "+cs.ln.Addr().String())
		}
	}
	sort.Strings(out)
	return out
}

// FollowResolveFile writes, every 200 ms until ctx ends, out: the lines
// of in (the file FollowPods writes) and ChannelResolveLines, replaced
// whole when they changed. Point FollowPods at in and the operator's
// --neo4j-fake-resolve at out.
func (c *Cluster) FollowResolveFile(ctx context.Context, in, out string) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	written := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pods, err := os.ReadFile(in)
		if err != nil {
			continue
		}
		var lines []string
		for _, l := range strings.Split(string(pods), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
		lines = append(lines, c.ChannelResolveLines()...)
		content := strings.Join(lines, "\n") + "\n"
		if content == written {
			continue
		}
		if os.WriteFile(out+".tmp", []byte(content), 0o600) == nil && os.Rename(out+".tmp", out) == nil {
			written = content
		}
	}
}

// FollowChannelSecret plays the kubelet for the pods' volume of one TLS
// channel until ctx ends: every 200 ms it reads the Secret, and a tls.crt
// or tls.key that changed is written into the volume
// (SetMountedChannelCertificate) lag later, as the kubelet's periodic
// sync does; each channel's volume on its own sync. The first content
// seen is mounted at once: pods start with it.
func (c *Cluster) FollowChannelSecret(ctx context.Context, k client.Client, channel string, key types.NamespacedName, lag time.Duration) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var seen string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := &corev1.Secret{}
		if err := k.Get(ctx, key, s); err != nil {
			continue
		}
		content := string(s.Data["tls.crt"]) + string(s.Data["tls.key"])
		if content == seen {
			continue
		}
		first := seen == ""
		seen = content
		crt, pem := s.Data["tls.crt"], s.Data["tls.key"]
		if first {
			_ = c.SetMountedChannelCertificate(channel, crt, pem)
			continue
		}
		time.AfterFunc(lag, func() { _ = c.SetMountedChannelCertificate(channel, crt, pem) })
	}
}

package neo4jconf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Role is a server role.
type Role string

// The two server roles.
const (
	Primary   Role = "primary"
	Secondary Role = "secondary"
)

// Ports the servers listen on. The K8S discovery resolver finds the
// cluster port by its name, so the names are part of the contract.
const (
	PortBolt      = 7687
	PortHTTP      = 7474
	PortHTTPS     = 7473
	PortCluster   = 6000 // discovery v2, catch-up and transaction shipping
	PortRaft      = 7000
	PortRouting   = 7688
	PortBackup    = 6362
	PortMetrics   = 2004
	PortDiscovery = 5000 // discovery v1 (5.x only); unused with V2_ONLY

	DiscoveryPortName = "tcp-tx"
	BackupPortName    = "backup"
)

// Directories in the server container.
const (
	DataDir = "/data"
	// LogsVolumeDir holds the logs: the logs volume, or the data volume's
	// "logs" folder, so they survive restarts (the Helm chart shares the
	// data volume the same way).
	LogsVolumeDir = "/logs"
)

// settingName is what a neo4j.conf key looks like. It also keeps "=" and
// line breaks out of keys, so a key cannot inject another setting.
var settingName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$`)

// Conf is a set of single-valued settings.
type Conf map[string]string

// Input is what a role's configuration depends on.
type Input struct {
	Cluster *v1alpha1.Neo4jEnterpriseCluster // defaulted
	Role    Role
	// DiscoverySelector is the label selector of the per-server internals
	// Services, which the K8S resolver lists.
	DiscoverySelector string
}

// Files are a role's configuration files, as mounted into /conf.
type Files struct {
	// Conf is neo4j.conf's single-valued settings.
	Conf Conf
	// JVM are the server.jvm.additional lines, in order.
	JVM []string
	// APOC is apoc.conf.
	APOC Conf
	// ServerLogs and UserLogs are the log4j configuration files.
	ServerLogs, UserLogs string
}

// Build returns the configuration of a role. It refuses settings Neo4j of
// the image's version does not know, and settings the operator owns, in
// case an object got past the CRD's validation (one stored before a CRD
// upgrade, say).
func Build(in Input) (Files, error) {
	spec := in.Cluster.Spec
	v, err := ParseTag(spec.Image.Tag)
	if err != nil {
		return Files{}, err
	}
	strict := Strict(in.Cluster)
	for _, p := range spec.Plugins {
		if p.Name == "n10s" && p.Image == nil && v.CalVer() {
			return Files{}, fmt.Errorf("plugin n10s: the Neo4j image installs it on 5.x only; on %s give plugins[].image", seriesName(v))
		}
	}
	if err := checkEnv(v, spec.Env, strict); err != nil {
		return Files{}, err
	}
	conf := Conf{
		// Defaults a user may override. Strict validation stays on (the
		// Helm chart turns it off): names are checked here first.
		"server.config.strict_validation.enabled": "true",
		"dbms.routing.enabled":                    "true",
		"dbms.routing.default_router":             "SERVER",
		// In-cluster drivers keep client-side routing, so writes go
		// straight to the leader; other clients get server-side routing.
		"dbms.routing.client_side.enforce_for_domains":   "*." + spec.ClusterDomain,
		"initial.dbms.automatically_enable_free_servers": "true",
		"server.metrics.prometheus.enabled":              "true",
		"server.metrics.enabled":                         "true",
		// CSV metrics would fill the container's own file system
		// ($NEO4J_HOME/metrics); Prometheus serves the same figures.
		"server.metrics.csv.enabled": "false",
		// The settings reference: true by default only for Enterprise on
		// Kubernetes as the Helm chart deploys it; a panicked server must
		// exit so the kubelet restarts it (its bolt port, which the probes
		// check, would otherwise stay open).
		"server.panic.shutdown_on_panic": "true",
	}
	for _, extra := range []v1alpha1.Neo4jConfig{spec.Config, roleSpec(in.Cluster, in.Role).Config} {
		for k, val := range extra {
			if err := checkKey(v, k, string(val), strict); err != nil {
				return Files{}, err
			}
			conf[k] = string(val)
		}
	}
	apoc := Conf{}
	for k, val := range spec.APOCConfig {
		if !strings.HasPrefix(k, "apoc.") || !settingName.MatchString(k) || strings.ContainsAny(string(val), "\r\n") {
			return Files{}, fmt.Errorf("apocConfig key %q: keys must be apoc.* setting names and values single lines", k)
		}
		apoc[k] = string(val)
	}
	for k, val := range owned(in, v) {
		conf[k] = val
	}
	server, user := LogFiles(in.Cluster, v)
	return Files{Conf: conf, JVM: jvmArguments(spec.JVM, v), APOC: apoc, ServerLogs: server, UserLogs: user}, nil
}

// StrictValidation is Neo4j's switch for refusing unknown settings.
const StrictValidation = "server.config.strict_validation.enabled"

// Strict is false when the user turned Neo4j's strict validation off
// cluster-wide (the Operations Manual's advice for plugin settings Neo4j
// does not know): then Neo4j ignores unknown names, and so does the
// operator's name check.
func Strict(c *v1alpha1.Neo4jEnterpriseCluster) bool {
	return !strings.EqualFold(string(c.Spec.Config[StrictValidation]), "false")
}

// checkKey refuses what Neo4j would refuse at startup, and what the
// operator owns, with the field to use instead.
func checkKey(v Version, k, val string, strict bool) error {
	switch {
	case !settingName.MatchString(k):
		return fmt.Errorf("config key %q is not a neo4j.conf setting name (lower-case words joined by dots, for example db.transaction.timeout)", k)
	case strings.HasPrefix(k, "apoc."):
		return fmt.Errorf("config key %q: apoc.* settings go in spec.apocConfig (Neo4j reads them from apoc.conf)", k)
	case k == v1alpha1.JVMConfigKey:
		return fmt.Errorf("config key %q: use spec.jvm.additionalArguments, one argument per item", k)
	case slices.Contains(v1alpha1.MemoryConfigKeys, k):
		return fmt.Errorf("config key %q: heap and page cache are set from spec.memory", k)
	case slices.Contains(v1alpha1.OperatorConfigKeys, k):
		return fmt.Errorf("config key %q is managed by the operator", k)
	case strings.ContainsAny(val, "\r\n"):
		return fmt.Errorf("config value of %q spans lines; neo4j.conf values are single lines", k)
	case strict && !Known(v, k):
		return &UnknownSettingError{Key: k, Series: seriesName(v), Suggestion: Suggest(v, k)}
	}
	return nil
}

// checkEnv applies the config key rules to NEO4J_* variables, which the
// image turns into settings that override neo4j.conf.
func checkEnv(v Version, env []corev1.EnvVar, strict bool) error {
	for _, e := range env {
		if slices.Contains(v1alpha1.OperatorEnvNames, e.Name) {
			return fmt.Errorf("env variable %s is set by the operator", e.Name)
		}
		setting, ok := v1alpha1.SettingOfEnv(e.Name)
		if !ok || strings.HasPrefix(setting, "apoc.") {
			continue
		}
		if err := checkKey(v, setting, "", strict); err != nil {
			return fmt.Errorf("env variable %s sets a setting: %w", e.Name, err)
		}
	}
	return nil
}

func seriesName(v Version) string {
	if v.CalVer() {
		return fmt.Sprintf("%d.%02d", v.Major, v.Minor)
	}
	return "5.26"
}

// owned are the settings the operator decides.
func owned(in Input, v Version) Conf {
	t := in.Cluster.Spec.Topology
	listen := func(port int) string { return "0.0.0.0:" + strconv.Itoa(port) }
	c := Conf{
		"server.default_listen_address":        "0.0.0.0",
		"server.bolt.listen_address":           listen(PortBolt),
		"server.http.listen_address":           listen(PortHTTP),
		"server.cluster.listen_address":        listen(PortCluster),
		"server.cluster.raft.listen_address":   listen(PortRaft),
		"server.routing.listen_address":        listen(PortRouting),
		"server.metrics.prometheus.endpoint":   listen(PortMetrics),
		"server.directories.data":              DataDir,
		"dbms.cluster.discovery.resolver_type": "K8S",
		"dbms.kubernetes.label_selector":       in.DiscoverySelector,
		// The resolver builds peers' names with this domain; it must be the
		// one the servers advertise.
		"dbms.kubernetes.cluster_domain": in.Cluster.Spec.ClusterDomain,
		// Formation-only settings: read when the cluster first forms.
		"dbms.cluster.minimum_initial_system_primaries_count": strconv.Itoa(int(min(t.Primaries, 3))),
		"initial.dbms.default_primaries_count":                strconv.Itoa(int(min(t.Primaries, 3))),
		"initial.dbms.default_secondaries_count":              strconv.Itoa(int(min(t.Secondaries, 20))),
	}
	for k, val := range memory(in.Cluster, in.Role) {
		c[k] = val
	}
	for k, val := range tlsSettings(in.Cluster, v) {
		c[k] = val
	}
	for k, val := range pluginSettings(in.Cluster, v) {
		c[k] = val
	}
	if HTTPSEnabled(in.Cluster) {
		c["server.https.listen_address"] = listen(PortHTTPS)
	}
	if in.Cluster.Spec.Backup.Enabled {
		// Neo4j's default is 127.0.0.1:6362: only a neo4j-admin inside the
		// server's own container could reach it (Operations Manual,
		// configuration/configuration-settings.adoc and
		// backup-restore/online-backup.adoc, 5.x and dev).
		c["server.backup.enabled"] = "true"
		c["server.backup.listen_address"] = listen(PortBackup)
	}
	if v.CalVer() {
		c["dbms.kubernetes.discovery.service_port_name"] = DiscoveryPortName
	} else {
		// 5.26: discovery v2 only, the one 2025.x keeps. The resolver reads
		// the v2 port name; the v1 name is set to the same port because the
		// settings reference still says K8S needs it (see docs/design.md).
		c["dbms.cluster.discovery.version"] = "V2_ONLY"
		c["dbms.kubernetes.discovery.v2.service_port_name"] = DiscoveryPortName
		c["dbms.kubernetes.service_port_name"] = DiscoveryPortName
	}
	if in.Role == Secondary {
		c["server.cluster.system_database_mode"] = "SECONDARY"
		c["initial.server.mode_constraint"] = "SECONDARY"
	}
	return c
}

// HTTPSEnabled is true when spec.tls.https is set, or the user turned
// HTTPS on in config or env.
func HTTPSEnabled(c *v1alpha1.Neo4jEnterpriseCluster) bool {
	if c.Spec.TLS.HTTPS != nil {
		return true
	}
	for _, conf := range []v1alpha1.Neo4jConfig{c.Spec.Config, c.Spec.Primary.Config, c.Spec.Secondary.Config} {
		if strings.EqualFold(string(conf["server.https.enabled"]), "true") {
			return true
		}
	}
	return slices.ContainsFunc(c.Spec.Env, func(e corev1.EnvVar) bool {
		return e.Name == v1alpha1.EnvName("server.https.enabled") && strings.EqualFold(e.Value, "true")
	})
}

// AdvertisedAddresses are the advertised address settings of a server
// whose stable DNS name is host: every one explicit, because the image
// appends $(hostname):<port> defaults for those left out, and a bare pod
// hostname does not resolve from other pods.
func AdvertisedAddresses(v Version, host string) [][2]string {
	addr := func(port int) string { return host + ":" + strconv.Itoa(port) }
	out := [][2]string{
		{"server.default_advertised_address", host},
		{"server.bolt.advertised_address", addr(PortBolt)},
		{"server.http.advertised_address", addr(PortHTTP)},
		{"server.cluster.advertised_address", addr(PortCluster)},
		{"server.cluster.raft.advertised_address", addr(PortRaft)},
		{"server.routing.advertised_address", addr(PortRouting)},
	}
	if !v.CalVer() {
		out = append(out, [2]string{"server.discovery.advertised_address", addr(PortDiscovery)})
	}
	return out
}

// Resources are the container resources of a role.
func Resources(c *v1alpha1.Neo4jEnterpriseCluster, role Role) corev1.ResourceRequirements {
	if r := roleSpec(c, role).Resources; r != nil {
		return *r
	}
	return c.Spec.Resources
}

func roleSpec(c *v1alpha1.Neo4jEnterpriseCluster, role Role) v1alpha1.RoleSpec {
	if role == Secondary {
		return c.Spec.Secondary
	}
	return c.Spec.Primary
}

// Keys returns the setting names in order.
func (c Conf) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Text prints settings as a neo4j.conf-style file, sorted.
func (c Conf) Text() string {
	var b strings.Builder
	b.WriteString(header)
	c.write(&b)
	return b.String()
}

func (c Conf) write(b *strings.Builder) {
	for _, k := range c.Keys() {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(c[k])
		b.WriteByte('\n')
	}
}

const header = "# Rendered by the neo4j-operator. Edit the Neo4jEnterpriseCluster, not this file.\n"

// NeoConf prints neo4j.conf: sorted settings, then one
// server.jvm.additional line per JVM argument, in order (order can matter
// to the JVM).
func (f Files) NeoConf() string {
	var b strings.Builder
	b.WriteString(header)
	f.Conf.write(&b)
	for _, a := range f.JVM {
		b.WriteString(v1alpha1.JVMConfigKey + "=" + a + "\n")
	}
	return b.String()
}

// APOCConf prints apoc.conf.
func (f Files) APOCConf() string {
	var b strings.Builder
	b.WriteString(header)
	f.APOC.write(&b)
	return b.String()
}

// FormationOnly is true for settings a server reads only when the cluster
// first forms; changing them later needs no restart.
func FormationOnly(key string) bool {
	return strings.HasPrefix(key, "initial.") || key == "dbms.cluster.minimum_initial_system_primaries_count"
}

// Hash is a short digest of what a running server depends on: every file
// it reads at startup, less the formation-only settings. It is stamped
// into the pod template, so it must change exactly when a restart is
// needed. The log configuration is in it: the image copies /conf only at
// start.
func (f Files) Hash() string {
	h := sha256.New()
	for _, k := range f.Conf.Keys() {
		if !FormationOnly(k) {
			fmt.Fprintf(h, "%s=%s\n", k, f.Conf[k])
		}
	}
	for _, a := range f.JVM {
		fmt.Fprintf(h, "jvm=%s\n", a)
	}
	for _, k := range f.APOC.Keys() {
		fmt.Fprintf(h, "apoc:%s=%s\n", k, f.APOC[k])
	}
	fmt.Fprintf(h, "logs:%s\n%s", f.ServerLogs, f.UserLogs)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

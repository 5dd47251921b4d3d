package render_test

// Conformance: every sample, and a table of spec variations, is rendered,
// each server pod is started in the FAKE of the official image
// (internal/testing/fake/neo4jimage, which encodes docker-entrypoint.sh), and the
// effective neo4j.conf the server would read is checked against what a
// real Neo4j needs to start and form a cluster. Both supported series run:
// 5.26 and CalVer.

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/neo4jimage"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/pki"
)

const testPassword = "conformance-pw"

var tags = map[string]neo4jimage.Series{"5.26.12-enterprise": neo4jimage.Series5, "2025.10.1-enterprise": neo4jimage.SeriesCalVer}

func TestConformanceSamples(t *testing.T) {
	for _, path := range samples(t) {
		for tag := range tags {
			c := loadSample(t, path)
			c.Spec.Image.Tag = tag
			t.Run(c.Name+"/"+tag, func(t *testing.T) { conform(t, c) })
		}
	}
}

func TestConformanceVariations(t *testing.T) {
	q := func(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
	mem := func(limit string) corev1.ResourceRequirements {
		l := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(limit)}
		return corev1.ResourceRequirements{Requests: l, Limits: l}
	}
	for _, v := range []struct {
		name   string
		mutate func(c *v1alpha1.Neo4jEnterpriseCluster)
	}{
		{"heap only", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources, c.Spec.Memory = mem("8Gi"), v1alpha1.MemorySpec{Heap: q("2Gi")}
		}},
		{"page cache only", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources, c.Spec.Memory = mem("8Gi"), v1alpha1.MemorySpec{PageCache: q("5Gi")}
		}},
		{"heap and page cache", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources, c.Spec.Memory = mem("4Gi"), v1alpha1.MemorySpec{Heap: q("1536Mi"), PageCache: q("1536Mi")}
		}},
		{"neither: derived from the default limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {}},
		{"no memory limit or request", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
		}},
		{"memory request, no limit", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("6Gi")}}
		}},
		{"large memory: heap capped at 31Gi", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Resources = mem("96Gi") }},
		{"plugin settings with strict validation on", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"gds.enterprise.license_file": "/licenses/gds.license"}
		}},
		{"secondaries with their own memory", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			r := mem("3Gi")
			c.Spec.Topology.Secondaries = 4
			c.Spec.Secondary = v1alpha1.RoleSpec{Resources: &r, Memory: v1alpha1.MemorySpec{Heap: q("1Gi")}}
		}},
		{"one primary", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Topology = v1alpha1.Topology{Primaries: 1} }},
		{"seven primaries", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Topology = v1alpha1.Topology{Primaries: 7, Secondaries: 1}
		}},
		{"custom cluster domain", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.ClusterDomain = "k8s.example.internal" }},
		{"APOC config", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.APOCConfig = v1alpha1.APOCConfig{"apoc.trigger.enabled": "true", "apoc.import.file.enabled": "true"}
			c.Spec.Env = append(c.Spec.Env, corev1.EnvVar{Name: "NEO4J_PLUGINS", Value: `["apoc"]`})
		}},
		{"extra JVM arguments", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.JVM.AdditionalArguments = []string{"-XX:+ExitOnOutOfMemoryError", "-Xss2m"}
		}},
		{"JVM defaults off", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			no := false
			c.Spec.JVM = v1alpha1.JVMSpec{UseDefaultArguments: &no, AdditionalArguments: []string{"-XX:+UseG1GC"}}
		}},
		{"user env", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Env = []corev1.EnvVar{
				{Name: "NEO4J_db_transaction_timeout", Value: "30s"},
				{Name: "NEO4J_dbms_security_procedures_allowlist", Value: "gds.*"},
				{Name: "MY_NAME", Value: "$(POD_NAME)"},
			}
		}},
		{"logs volume", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Storage.Logs = &v1alpha1.VolumeSpec{} }},
		{"data in a folder of the volume, as the Helm chart keeps it", func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Storage.Data.SubPath = "data" }},
		{"HTTPS on", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"server.https.enabled": "true"}
		}},
		{"TLS on every channel, Secrets and cert-manager", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Backup.Enabled = true
			c.Spec.TLS = v1alpha1.TLSSpec{
				Bolt:    &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "bolt-cert"}},
				HTTPS:   &v1alpha1.HTTPSTLS{TLSCertificate: v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca", Kind: "ClusterIssuer"}}},
				Cluster: &v1alpha1.TLSCertificate{SecretName: "cluster-cert"},
				Backup:  &v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca", Kind: "ClusterIssuer"}},
			}
		}},
		{"Bolt TLS optional with client certificates, HTTP kept beside HTTPS", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.TLS = v1alpha1.TLSSpec{
				Bolt:  &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "bolt-cert", ClientAuth: "REQUIRE"}, Level: "OPTIONAL"},
				HTTPS: &v1alpha1.HTTPSTLS{TLSCertificate: v1alpha1.TLSCertificate{SecretName: "https-cert"}, KeepHTTP: true},
			}
		}},
		{"TLS with a pod security context without fsGroup", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			id, yes := int64(7474), true
			c.Spec.PodSecurityContext = &corev1.PodSecurityContext{RunAsUser: &id, RunAsNonRoot: &yes}
			c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "cluster-cert"}
		}},
		{"plugins from the image's installer, GDS with a licence", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "apoc"}, {Name: "graph-data-science", LicenseSecret: &v1alpha1.SecretKeyRef{Name: "gds-license", Key: "license"}}}
		}},
		{"air-gapped plugins: APOC from an image volume, Bloom by an init container, procedures extended", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Plugins = []v1alpha1.PluginSpec{
				{Name: "apoc", Image: &v1alpha1.PluginImage{Reference: "registry.example/plugins/apoc:1", Jar: "/jars/apoc.jar"}},
				{Name: "bloom", Image: &v1alpha1.PluginImage{Reference: "registry.example/plugins/bloom:1", Jar: "/bloom.jar", Delivery: "InitContainer"},
					LicenseSecret: &v1alpha1.SecretKeyRef{Name: "bloom-license", Key: "bloom.license"}},
				{Name: "genai"},
			}
			c.Spec.Procedures = v1alpha1.ProceduresSpec{Unrestricted: []string{"custom.*"}, Allowlist: []string{"custom.*", "db.*"}}
		}},
		{"fleet management beside APOC: the allowlist stays open", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Plugins = []v1alpha1.PluginSpec{{Name: "apoc"}, {Name: "fleet-management"}}
		}},
		{"logs from the user's ConfigMaps", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Logging = v1alpha1.LoggingSpec{ServerLogsConfigMap: &v1alpha1.ConfigMapKeyRef{Name: "my-logs", Key: "server.xml"},
				UserLogsXML: "<Configuration/>"}
		}},
		{"strict validation off by the user", func(c *v1alpha1.Neo4jEnterpriseCluster) {
			c.Spec.Config = v1alpha1.Neo4jConfig{"server.config.strict_validation.enabled": "false"}
		}},
	} {
		for tag := range tags {
			c := &v1alpha1.Neo4jEnterpriseCluster{}
			c.Name, c.Namespace = "graph", "team-a"
			c.Spec.AcceptLicenseAgreement = "eval"
			c.Spec.Image.Tag = tag
			c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 2}
			v.mutate(c)
			t.Run(v.name+"/"+tag, func(t *testing.T) { conform(t, c) })
		}
	}
}

// conform starts every server of c in the fake image and checks what it
// would read.
func conform(t *testing.T, cluster *v1alpha1.Neo4jEnterpriseCluster) {
	o := mustRender(t, cluster)
	c := cluster.WithDefaults()
	v, err := neo4jconf.ParseTag(c.Spec.Image.Tag)
	if err != nil {
		t.Fatal(err)
	}
	servers := 0
	for _, sts := range o.StatefulSets {
		for i := range *sts.Spec.Replicas {
			servers++
			pod := neo4jimage.Pod{
				Name:      fmt.Sprintf("%s-%d", sts.Name, i),
				Namespace: c.Namespace,
				Labels:    map[string]string{"statefulset.kubernetes.io/pod-name": fmt.Sprintf("%s-%d", sts.Name, i)},
				Spec:      sts.Spec.Template.Spec,
				PodIP:     "10.0.0.1", HostIP: "192.168.0.1",
				ConfigMaps: userConfigMaps(c, configMaps(o)),
				Secrets: map[string]*corev1.Secret{c.AuthSecretName(): {
					Data: map[string][]byte{c.Spec.Auth.SecretKey: []byte("neo4j/" + testPassword)},
				}},
			}
			for _, ch := range c.TLSChannels() {
				pod.Secrets[c.TLSSecretName(ch)] = &corev1.Secret{Data: tlsSecretData(t)}
			}
			if l := c.Spec.LDAP.SystemPasswordSecret; l != nil {
				pod.Secrets[l.Name] = &corev1.Secret{Data: map[string][]byte{l.Key: []byte("ldap-system-pw\n")}}
			}
			for _, p := range c.Spec.Plugins {
				if l := p.LicenseSecret; l != nil {
					pod.Secrets[l.Name] = &corev1.Secret{Data: map[string][]byte{l.Key: []byte("licence of " + p.Name)}}
				}
			}
			for k, val := range sts.Spec.Template.Labels {
				pod.Labels[k] = val
			}
			// The StatefulSet controller adds a volume per claim template.
			pod.Spec.Volumes = slices.Clone(pod.Spec.Volumes)
			for _, claim := range sts.Spec.VolumeClaimTemplates {
				pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: claim.Name, VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim.Name + "-" + pod.Name}}})
			}
			t.Run(pod.Name, func(t *testing.T) { conformServer(t, c, v, o, pod) })
		}
	}
	if servers != int(c.Spec.Topology.Primaries+c.Spec.Topology.Secondaries) {
		t.Errorf("%d servers started, want %d", servers, c.Spec.Topology.Primaries+c.Spec.Topology.Secondaries)
	}
}

func conformServer(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, v neo4jconf.Version, o *render.Objects, pod neo4jimage.Pod) {
	res, err := neo4jimage.Start(tags[c.Spec.Image.Tag], pod)
	if err != nil {
		t.Fatalf("the image's entrypoint would exit: %v", err)
	}
	conf := res.NeoConf()
	if err := conf.Check(); err != nil {
		t.Errorf("strict validation would refuse neo4j.conf: %v", err)
	}
	// Every key a setting this version knows; APOC's in apoc.conf.
	for _, k := range conf.Keys() {
		if strings.HasPrefix(k, "apoc.") {
			t.Errorf("%s is in neo4j.conf; APOC reads apoc.conf", k)
		} else if !neo4jconf.Known(v, k) {
			t.Errorf("%s is not a setting of Neo4j %s (Operations Manual settings reference)", k, v.Series())
		}
	}
	if len(c.Spec.APOCConfig) > 0 {
		for k, val := range c.Spec.APOCConfig {
			if got := res.ApocConf().Get(k); got != string(val) {
				t.Errorf("apoc.conf %s = %q, want %q", k, got, val)
			}
		}
	}
	for _, f := range []string{"neo4j.conf", "server-logs.xml", "user-logs.xml"} {
		if _, ok := res.ConfFiles[f]; !ok {
			t.Errorf("conf folder lacks %s (the image deletes its own when /conf is mounted)", f)
		}
	}
	checkAdvertised(t, c, v, o, pod, conf)
	checkDiscovery(t, c, v, o, conf)
	checkMemory(t, c, pod, conf)
	checkLogs(t, pod, conf)
	checkTLS(t, c, o, pod, res)
	checkPlugins(t, c, pod, res)
	checkKnobs(t, c, o, res)
	if res.InitialPassword != testPassword {
		t.Errorf("initial password %q, want the Secret's", res.InitialPassword)
	}
	if _, ok := res.Env["NEO4J_AUTH"]; ok {
		t.Error("the password is in the container's environment")
	}
	if strict := conf.Get("server.config.strict_validation.enabled"); strict != "true" && c.Spec.Config["server.config.strict_validation.enabled"] == "" {
		t.Errorf("strict validation = %q, want true by default", strict)
	}
	jvm := conf.All("server.jvm.additional")
	if *c.Spec.JVM.UseDefaultArguments && !slices.Contains(jvm, "-XX:+UseG1GC") {
		t.Errorf("default JVM arguments missing: %q", jvm)
	}
	for _, a := range c.Spec.JVM.AdditionalArguments {
		if jvm[len(jvm)-len(c.Spec.JVM.AdditionalArguments)+slices.Index(c.Spec.JVM.AdditionalArguments, a)] != a {
			t.Errorf("user JVM argument %s is not in its place at the end: %q", a, jvm)
		}
	}
	for _, e := range c.Spec.Env {
		if setting, ok := v1alpha1.SettingOfEnv(e.Name); ok && conf.Get(setting) != e.Value {
			t.Errorf("env %s: %s = %q, want %q", e.Name, setting, conf.Get(setting), e.Value)
		}
	}
}

// advertisedPorts: the port each advertised address must carry.
var advertisedPorts = map[string]int32{
	"server.bolt.advertised_address":         neo4jconf.PortBolt,
	"server.http.advertised_address":         neo4jconf.PortHTTP,
	"server.https.advertised_address":        neo4jconf.PortHTTPS,
	"server.cluster.advertised_address":      neo4jconf.PortCluster,
	"server.cluster.raft.advertised_address": neo4jconf.PortRaft,
	"server.routing.advertised_address":      neo4jconf.PortRouting,
	"server.discovery.advertised_address":    neo4jconf.PortDiscovery,
}

// checkAdvertised: every advertised address is the FQDN of a Service that
// selects this pod, and, but for the unused v1 discovery port, a port that
// Service serves and the container listens on.
func checkAdvertised(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, v neo4jconf.Version, o *render.Objects, pod neo4jimage.Pod, conf neo4jimage.Conf) {
	required := []string{"server.default_advertised_address", "server.cluster.advertised_address", "server.cluster.raft.advertised_address", "server.routing.advertised_address", "server.bolt.advertised_address"}
	if !v.CalVer() {
		required = append(required, "server.discovery.advertised_address")
	}
	for _, k := range required {
		if !conf.Has(k) {
			t.Errorf("%s is not set", k)
		}
	}
	for _, k := range conf.Keys() {
		if !strings.HasSuffix(k, "advertised_address") {
			continue
		}
		host, port, hasPort := strings.Cut(conf.Get(k), ":")
		svc := serviceByFQDN(o, host, c.Spec.ClusterDomain)
		if svc == nil || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			t.Errorf("%s=%s: host is not the FQDN of a Service selecting %s", k, conf.Get(k), pod.Name)
			continue
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			t.Errorf("%s: %s is headless; a restarted member would wait on stale DNS", k, svc.Name)
		}
		if k == "server.default_advertised_address" {
			if hasPort {
				t.Errorf("%s has a port", k)
			}
			continue
		}
		if want := strconv.Itoa(int(advertisedPorts[k])); port != want {
			t.Errorf("%s port %s, want %s", k, port, want)
		}
		if k == "server.discovery.advertised_address" && conf.Get("dbms.cluster.discovery.version") == "V2_ONLY" {
			continue // port 5000 is no longer used with discovery v2 (Operations Manual, discovery.adoc)
		}
		if !servesPort(svc, pod, advertisedPorts[k]) {
			t.Errorf("%s: Service %s does not carry port %d to a container port", k, svc.Name, advertisedPorts[k])
		}
	}
}

func serviceByFQDN(o *render.Objects, host, domain string) *corev1.Service {
	for _, s := range o.Services {
		if host == s.Name+"."+s.Namespace+".svc."+domain {
			return s
		}
	}
	return nil
}

func servesPort(svc *corev1.Service, pod neo4jimage.Pod, port int32) bool {
	for _, p := range svc.Spec.Ports {
		if p.Port != port {
			continue
		}
		for _, cp := range pod.Spec.Containers[0].Ports {
			if cp.ContainerPort == p.TargetPort.IntVal || cp.Name == p.TargetPort.StrVal {
				return true
			}
		}
	}
	return false
}

// checkDiscovery: the K8S resolver's selector finds exactly one Service per
// server, and its port name is on each with the cluster port.
func checkDiscovery(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, v neo4jconf.Version, o *render.Objects, conf neo4jimage.Conf) {
	if conf.Get("dbms.cluster.discovery.resolver_type") != "K8S" {
		t.Fatalf("resolver_type = %q", conf.Get("dbms.cluster.discovery.resolver_type"))
	}
	portSetting := "dbms.kubernetes.discovery.service_port_name"
	if !v.CalVer() {
		portSetting = "dbms.kubernetes.discovery.v2.service_port_name"
		if conf.Get("dbms.cluster.discovery.version") != "V2_ONLY" {
			t.Errorf("5.26 runs discovery %q, want V2_ONLY", conf.Get("dbms.cluster.discovery.version"))
		}
	}
	sel, err := labels.Parse(conf.Get("dbms.kubernetes.label_selector"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range o.Services {
		if !sel.Matches(labels.Set(s.Labels)) {
			continue
		}
		found++
		if _, single := s.Spec.Selector["statefulset.kubernetes.io/pod-name"]; !single {
			t.Errorf("resolver selects %s, which is not one server's Service", s.Name)
		}
		if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool {
			return p.Name == conf.Get(portSetting) && p.Port == neo4jconf.PortCluster
		}) {
			t.Errorf("%s has no port named %q (%s) on %d", s.Name, conf.Get(portSetting), portSetting, neo4jconf.PortCluster)
		}
	}
	if want := int(c.Spec.Topology.Primaries + c.Spec.Topology.Secondaries); found != want {
		t.Errorf("resolver selects %d Services, want %d (one per server)", found, want)
	}
	if conf.Get("dbms.kubernetes.cluster_domain") != c.Spec.ClusterDomain {
		t.Errorf("cluster_domain %q, want %q", conf.Get("dbms.kubernetes.cluster_domain"), c.Spec.ClusterDomain)
	}
}

// checkMemory: initial heap ≤ max heap, and heap + page cache + 1Gi fit
// the container's memory limit.
func checkMemory(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, pod neo4jimage.Pod, conf neo4jimage.Conf) {
	initial, max, pc := neo4jBytes(t, conf.Get("server.memory.heap.initial_size")), neo4jBytes(t, conf.Get("server.memory.heap.max_size")), neo4jBytes(t, conf.Get("server.memory.pagecache.size"))
	if initial > max && max > 0 {
		t.Errorf("heap initial %d > max %d: the JVM refuses to start", initial, max)
	}
	limit, ok := pod.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]
	if !ok {
		limit, ok = pod.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory]
	}
	if !ok {
		if conf.Get("server.memory.pagecache.size") != "512M" && !conf.Has("server.memory.heap.max_size") {
			t.Errorf("without a limit, page cache %q", conf.Get("server.memory.pagecache.size"))
		}
		return
	}
	if max == 0 || pc == 0 {
		t.Errorf("with a memory limit, heap %d and page cache %d must both be set", max, pc)
	}
	if max+pc+neo4jconf.Headroom.Value() > limit.Value() {
		t.Errorf("heap %d + page cache %d + 1Gi > limit %d", max, pc, limit.Value())
	}
}

// neo4jBytes reads a Neo4j byte size: digits and an optional unit.
func neo4jBytes(t *testing.T, s string) int64 {
	if s == "" {
		return 0
	}
	units := map[string]int64{"": 1, "k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30}
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	u, ok := units[s[i:]]
	if err != nil || !ok {
		t.Fatalf("byte size %q not understood", s)
	}
	return n * u
}

// checkLogs: logs go to a persistent volume.
func checkLogs(t *testing.T, pod neo4jimage.Pod, conf neo4jimage.Conf) {
	dir := conf.Get("server.directories.logs")
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if (dir == m.MountPath || strings.HasPrefix(dir, m.MountPath+"/")) && isClaim(pod, m.Name) {
			return
		}
	}
	t.Errorf("logs go to %q, which is not on a persistent volume", dir)
}

func isClaim(pod neo4jimage.Pod, volume string) bool {
	return slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == volume && v.PersistentVolumeClaim != nil })
}

func configMaps(o *render.Objects) map[string]*corev1.ConfigMap {
	out := map[string]*corev1.ConfigMap{}
	for _, cm := range o.ConfigMaps {
		out[cm.Name] = cm
	}
	return out
}

var testPKI = sync.OnceValues(func() (map[string][]byte, error) {
	ca, err := pki.NewCA("conformance CA")
	if err != nil {
		return nil, err
	}
	p, err := ca.Issue(24*time.Hour, "graph.team-a.svc.cluster.local")
	if err != nil {
		return nil, err
	}
	return ca.SecretData(p), nil
})

func tlsSecretData(t *testing.T) map[string][]byte {
	data, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkTLS: every SSL policy Neo4j would enable finds what the manual says
// must exist (its base directory, the key and certificate files, a
// trusted folder with a certificate in it, the revoked folder; Neo4j
// creates none), the connectors use the policies, and the ports follow:
// 7473 served only with HTTPS, 7474 not when HTTPS replaced it.
func checkTLS(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, o *render.Objects, pod neo4jimage.Pod, res neo4jimage.Result) {
	conf := res.NeoConf()
	resolve := func(base, p string) string {
		if path.IsAbs(p) {
			return p
		}
		return path.Join(base, p)
	}
	for _, ch := range c.TLSChannels() {
		pre := "dbms.ssl.policy." + ch.Name + "."
		if conf.Get(pre+"enabled") != "true" {
			t.Errorf("%senabled = %q, want true", pre, conf.Get(pre+"enabled"))
			continue
		}
		base := resolve(neo4jimage.Home, conf.Get(pre+"base_directory"))
		if !res.Dirs[base] {
			t.Errorf("%sbase_directory %s is not mounted", pre, base)
		}
		for _, k := range []string{"private_key", "public_certificate"} {
			if f := resolve(base, conf.Get(pre+k)); res.Files[f] == "" {
				t.Errorf("%s%s: %s is not there", pre, k, f)
			}
		}
		trusted := resolve(base, conf.Get(pre+"trusted_dir"))
		n := 0
		for f := range res.Files {
			if path.Dir(f) == trusted {
				n++
			}
		}
		if !res.Dirs[trusted] || n == 0 {
			t.Errorf("%strusted_dir %s: folder %v, %d certificates", pre, trusted, res.Dirs[trusted], n)
		}
		if ch.Name == v1alpha1.ChannelCluster && res.Files[trusted+"/ca.crt"] == "" {
			t.Errorf("the cluster channel's trusted folder lacks the CA: servers could not check each other")
		}
		if revoked := resolve(base, conf.Get(pre+"revoked_dir")); !res.Dirs[revoked] {
			t.Errorf("%srevoked_dir %s is not there", pre, revoked)
		}
		if got := conf.Get(pre + "client_auth"); got != ch.Certificate.ClientAuth {
			t.Errorf("%sclient_auth = %q, want %q", pre, got, ch.Certificate.ClientAuth)
		}
	}
	if b := c.Spec.TLS.Bolt; b != nil && conf.Get("server.bolt.tls_level") != b.Level {
		t.Errorf("server.bolt.tls_level = %q, want %q", conf.Get("server.bolt.tls_level"), b.Level)
	}
	if v, _ := neo4jconf.ParseTag(c.Spec.Image.Tag); len(c.TLSChannels()) > 0 && v.ReloadsTLS() != (conf.Get("dbms.security.tls_reload_enabled") == "true") {
		t.Errorf("dbms.security.tls_reload_enabled = %q on %s", conf.Get("dbms.security.tls_reload_enabled"), c.Spec.Image.Tag)
	}
	https := conf.Get("server.https.enabled") == "true"
	http := conf.Get("server.http.enabled") != "false"
	client := o.Services[slices.IndexFunc(o.Services, func(s *corev1.Service) bool { return s.Name == render.ClientServiceName(c) })]
	if servesPort(client, pod, neo4jconf.PortHTTPS) != https {
		t.Errorf("HTTPS on: %v, but the client Service serves 7473: %v", https, !https)
	}
	if servesPort(client, pod, neo4jconf.PortHTTP) != http {
		t.Errorf("HTTP on: %v, but the client Service serves 7474: %v", http, !http)
	}
}

// checkPlugins: the image installs exactly the plugins without an image of
// their own; every plugin's jar has a way into /plugins (the installer, an
// image volume mounted there, or an init container copying it there);
// each plugin's procedures are unrestricted, the user's additions too;
// licence settings point at mounted files.
func checkPlugins(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, pod neo4jimage.Pod, res neo4jimage.Result) {
	conf := res.NeoConf()
	var installed []string
	for _, p := range c.Spec.Plugins {
		jar := neo4jconf.PluginJar(p.Name)
		switch {
		case p.Image == nil:
			installed = append(installed, p.Name)
		case p.Image.Delivery == v1alpha1.PluginImageVolume:
			if !res.Dirs[jar] {
				t.Errorf("plugin %s: nothing mounted at %s", p.Name, jar)
			}
		default:
			i := slices.IndexFunc(pod.Spec.InitContainers, func(ic corev1.Container) bool { return ic.Image == p.Image.Reference })
			if i < 0 || !slices.Equal(pod.Spec.InitContainers[i].Command, []string{"cp", p.Image.Jar, jar}) ||
				pod.Spec.InitContainers[i].VolumeMounts[0].MountPath != neo4jconf.PluginsDir {
				t.Errorf("plugin %s: no init container copying %s to %s", p.Name, p.Image.Jar, jar)
			}
		}
		if p.LicenseSecret != nil {
			key := map[string]string{"bloom": "dbms.bloom.license_file", "graph-data-science": "gds.enterprise.license_file"}[p.Name]
			if f := conf.Get(key); res.Files[f] == "" {
				t.Errorf("plugin %s: %s = %q, not a mounted file", p.Name, key, f)
			}
		}
	}
	if len(c.Spec.Plugins) > 0 && !slices.Equal(res.Plugins, installed) {
		t.Errorf("the image installs %v, want %v", res.Plugins, installed)
	}
	if len(c.Spec.Plugins) > 0 && !res.Dirs[neo4jconf.PluginsDir] {
		t.Error("/plugins is not mounted: the installer needs it writable")
	}
	unrestricted := strings.Split(conf.Get("dbms.security.procedures.unrestricted"), ",")
	for _, p := range c.Spec.Plugins {
		want := map[string]string{"apoc": "apoc.*", "graph-data-science": "gds.*", "bloom": "bloom.*", "genai": "genai.*", "fleet-management": "fleetManagement.*"}[p.Name]
		if !slices.Contains(unrestricted, want) {
			t.Errorf("plugin %s: %s is not unrestricted (%v)", p.Name, want, unrestricted)
		}
	}
	for _, extra := range c.Spec.Procedures.Unrestricted {
		if !slices.Contains(unrestricted, extra) {
			t.Errorf("the user's %s is not unrestricted", extra)
		}
	}
	if slices.ContainsFunc(c.Spec.Plugins, func(p v1alpha1.PluginSpec) bool { return p.Name == "fleet-management" && p.Image == nil }) &&
		len(c.Spec.Procedures.Allowlist) == 0 && conf.Get("dbms.security.procedures.allowlist") != "*" {
		t.Errorf("dbms.security.procedures.allowlist = %q: every plugin but fleet management would stop loading", conf.Get("dbms.security.procedures.allowlist"))
	}
	if len(c.Spec.Procedures.Allowlist) > 0 {
		allow := strings.Split(conf.Get("dbms.security.procedures.allowlist"), ",")
		for _, want := range append(slices.Clone(c.Spec.Procedures.Allowlist), unrestricted...) {
			if !slices.Contains(allow, want) {
				t.Errorf("%s is not in the allowlist %v: it would not load", want, allow)
			}
		}
	}
}

// userConfigMaps adds the ConfigMaps a spec names for its logs.
func userConfigMaps(c *v1alpha1.Neo4jEnterpriseCluster, cms map[string]*corev1.ConfigMap) map[string]*corev1.ConfigMap {
	for _, ref := range []*v1alpha1.ConfigMapKeyRef{c.Spec.Logging.ServerLogsConfigMap, c.Spec.Logging.UserLogsConfigMap} {
		if ref != nil {
			cms[ref.Name] = &corev1.ConfigMap{Data: map[string]string{ref.Key: "<Configuration><!-- the user's --></Configuration>"}}
		}
	}
	return cms
}

// checkKnobs: the Helm chart's knobs reach the server as the image reads
// them: /import becomes the import root; the LDAP password file becomes
// the setting (the entrypoint's NEO4J_*_FILE step, trailing newline
// stripped); the log configuration is the user's, or JSON when asked; the
// user's mounts are there; the admin Service serves every client port.
func checkKnobs(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, o *render.Objects, res neo4jimage.Result) {
	conf := res.NeoConf()
	if c.Spec.Storage.Import != nil && conf.Get("server.directories.import") != "/import" {
		t.Errorf("server.directories.import = %q, want /import", conf.Get("server.directories.import"))
	}
	if c.Spec.LDAP.SystemPasswordSecret != nil && conf.Get("dbms.security.ldap.authorization.system_password") != "ldap-system-pw" {
		t.Errorf("LDAP system password = %q", conf.Get("dbms.security.ldap.authorization.system_password"))
	}
	l := c.Spec.Logging
	server, user := strings.Join(res.ConfFiles["server-logs.xml"], "\n"), strings.Join(res.ConfFiles["user-logs.xml"], "\n")
	switch {
	case l.ServerLogsConfigMap != nil && !strings.Contains(server, "the user's"):
		t.Errorf("server-logs.xml is not the user's ConfigMap's: %.80s", server)
	case l.JSON && (strings.Count(server, "JsonTemplateLayout") != 4 || !strings.Contains(server, "QueryLogJsonLayout.json")):
		t.Errorf("JSON logs asked, server-logs.xml has %d JSON layouts", strings.Count(server, "JsonTemplateLayout"))
	}
	switch {
	case l.UserLogsXML != "" && user != l.UserLogsXML:
		t.Errorf("user-logs.xml is not the spec's: %.80s", user)
	case l.JSON && l.UserLogsXML == "" && !strings.Contains(user, "StructuredLayoutWithMessage.json"):
		t.Errorf("JSON logs asked, neo4j.log is not JSON")
	}
	for _, m := range c.Spec.AdditionalVolumeMounts {
		if !res.Dirs[m.MountPath] {
			t.Errorf("additional mount %s is not there", m.MountPath)
		}
	}
	if c.Spec.Service.Admin {
		i := slices.IndexFunc(o.Services, func(s *corev1.Service) bool { return s.Name == c.Name+"-admin" })
		if i < 0 || len(o.Services[i].Spec.Ports) < 3 || !o.Services[i].Spec.PublishNotReadyAddresses {
			t.Errorf("admin Service missing or without every port")
		}
	}
}

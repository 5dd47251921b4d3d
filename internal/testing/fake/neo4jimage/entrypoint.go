package neo4jimage

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Home is NEO4J_HOME in the official image.
const Home = "/var/lib/neo4j"

// Series selects the entrypoint: 5.x images or CalVer (2025.x and later).
type Series int

// The two entrypoints.
const (
	Series5 Series = iota
	SeriesCalVer
)

// Result is what Neo4j would find once the entrypoint hands over.
type Result struct {
	// Env is the container's environment after the kubelet and the
	// entrypoint's _FILE step.
	Env map[string]string
	// ConfFiles are the files in $NEO4J_HOME/conf, by name.
	ConfFiles map[string][]string
	// InitialPassword is what `neo4j-admin dbms set-initial-password`
	// would be given ("" when auth is disabled or nothing was set).
	InitialPassword string
	// AuthDisabled is true for NEO4J_AUTH=none.
	AuthDisabled bool
	// Plugins the entrypoint would install.
	Plugins []string
	// LogsDirectory is server.directories.logs as Neo4j would read it.
	LogsDirectory string
	// Files and Dirs are what the container sees mounted: files by
	// absolute path, and the mount points and folders holding files.
	Files map[string]string
	Dirs  map[string]bool
}

// NeoConf is the effective neo4j.conf.
func (r Result) NeoConf() Conf { return parse(r.ConfFiles["neo4j.conf"]) }

// ApocConf is the effective apoc.conf.
func (r Result) ApocConf() Conf { return parse(r.ConfFiles["apoc.conf"]) }

// imageEnv is the Dockerfile's ENV.
var imageEnv = []envVar{
	{"JAVA_HOME", "/opt/java/openjdk"},
	{"NEO4J_SHA256", "sha"},
	{"NEO4J_TARBALL", "neo4j-enterprise-unix.tar.gz"},
	{"NEO4J_EDITION", "enterprise"},
	{"NEO4J_HOME", Home},
	{"LANG", "C.UTF-8"},
}

// imageConfFiles stand for the files the image ships in $NEO4J_HOME/conf.
// Their content is not modelled, only that they are there until /conf
// replaces them.
var imageConfFiles = []string{"neo4j.conf", "neo4j-admin.conf", "server-logs.xml", "user-logs.xml"}

// ImageDefaultMarker is the only line of the fake's stand-in for the
// image's own neo4j.conf.
const ImageDefaultMarker = "# the image's default neo4j.conf (not modelled)"

// notConfigs are NEO4J_ variables the entrypoint does not turn into settings.
var notConfigs = []string{"NEO4J_ACCEPT_LICENSE_AGREEMENT", "NEO4J_AUTH", "NEO4J_AUTH_PATH", "NEO4J_DEBUG",
	"NEO4J_EDITION", "NEO4J_HOME", "NEO4J_PLUGINS", "NEO4J_SHA256", "NEO4J_TARBALL", "NEO4J_DEPRECATION_WARNING"}

// pluginProperties are neo4j-plugins.json's properties, in file order,
// for the plugins both series list (the "_testing" entry aside).
var pluginProperties = map[string][][2]string{
	"apoc":               {{"dbms.security.procedures.unrestricted", "apoc.*"}},
	"apoc-extended":      {{"dbms.security.procedures.unrestricted", "apoc.*"}},
	"graph-data-science": {{"dbms.security.procedures.unrestricted", "gds.*"}},
	"genai":              {{"dbms.security.procedures.unrestricted", "genai.*"}},
	"bloom": {
		{"server.unmanaged_extension_classes", "com.neo4j.bloom.server=/browser/bloom"},
		{"dbms.security.procedures.unrestricted", "bloom.*"},
		{"dbms.bloom.license_file", "/licenses/bloom.license"},
	},
	"fleet-management": {
		{"dbms.security.procedures.unrestricted", "fleetManagement.*"},
		{"dbms.security.procedures.allowlist", "fleetManagement.*"},
	},
}

// pluginProperties5 are the entries only 5/coredb/neo4j-plugins.json has.
var pluginProperties5 = map[string][][2]string{
	"n10s": {{"dbms.security.procedures.unrestricted", "semantics.*"}},
}

func (s *script) pluginProps(name string) ([][2]string, bool) {
	if props, ok := pluginProperties[name]; ok {
		return props, true
	}
	if s.series == Series5 {
		props, ok := pluginProperties5[name]
		return props, ok
	}
	return nil, false
}

type envVar struct{ name, value string }

// Start runs the fake entrypoint for the container named "neo4j" of pod.
// An error is what would make the real script exit non-zero, or a pod
// shape the fake does not model.
func Start(series Series, pod Pod) (Result, error) {
	i := slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == "neo4j" })
	if i < 0 {
		return Result{}, fmt.Errorf("no container named neo4j")
	}
	c := pod.Spec.Containers[i]
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		// The kubelet would add <SERVICE>_PORT_... variables for every
		// Service of the namespace; those of a Service named neo4j* start
		// with NEO4J_ and the script would read them as settings.
		return Result{}, fmt.Errorf("service links are on (enableServiceLinks is not false): Service environment variables are not modelled")
	}
	fs, err := pod.mounts(c)
	if err != nil {
		return Result{}, err
	}
	env, err := pod.environment(c, imageEnv)
	if err != nil {
		return Result{}, err
	}
	s := &script{series: series, hostname: pod.Name, fs: fs, vars: env, conf: map[string][]string{}, noEOL: map[string]bool{}}
	for _, name := range imageConfFiles {
		s.conf[name] = []string{ImageDefaultMarker}
	}
	if err := s.run(); err != nil {
		return Result{}, err
	}
	return s.result(), nil
}

// script is the entrypoint's state: its shell variables (exported or
// not) and the files of $NEO4J_HOME/conf.
type script struct {
	series   Series
	hostname string
	fs       files
	vars     []envVar
	conf     map[string][]string
	password string
	noAuth   bool
	plugins  []string
	// noEOL are the conf files whose last line has no newline yet.
	noEOL map[string]bool
}

func (s *script) get(name string) (string, bool) {
	for _, v := range s.vars {
		if v.name == name {
			return v.value, true
		}
	}
	return "", false
}

func (s *script) set(name, value string) {
	for i := range s.vars {
		if s.vars[i].name == name {
			s.vars[i].value = value
			return
		}
	}
	s.vars = append(s.vars, envVar{name, value})
}

// defaultTo is `: ${name:=value}`: set when unset or empty.
func (s *script) defaultTo(name, value string) {
	if v, _ := s.get(name); v == "" {
		s.set(name, value)
	}
}

func (s *script) run() error {
	steps := []func() error{s.secretFiles, s.license, s.copyConf, s.folders, s.installPlugins, s.dockerDefaults, s.envSettings, s.initialPassword}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (s *script) secretFiles() error {
	for _, v := range slices.Clone(s.vars) {
		if !strings.HasPrefix(v.name, "NEO4J_") || !strings.HasSuffix(v.name, "_FILE") {
			continue
		}
		content, ok := s.fs.files[v.value]
		if !ok {
			return fmt.Errorf("the secret file %q does not exist or is not readable", v.value)
		}
		s.set(strings.TrimSuffix(v.name, "_FILE"), strings.TrimRight(content, "\n"))
	}
	return nil
}

// enterprise is `[ "${NEO4J_EDITION}" == "enterprise" ]`, which gates
// the license, /metrics, the cluster legacy names and the cluster
// defaults.
func (s *script) enterprise() bool {
	edition, _ := s.get("NEO4J_EDITION")
	return edition == "enterprise"
}

func (s *script) license() error {
	if !s.enterprise() {
		return nil
	}
	if v, _ := s.get("NEO4J_ACCEPT_LICENSE_AGREEMENT"); v != "yes" && v != "eval" {
		return fmt.Errorf("license not accepted: NEO4J_ACCEPT_LICENSE_AGREEMENT=%q (want yes or eval)", v)
	}
	return nil
}

// copyConf replaces $NEO4J_HOME/conf with every regular file under /conf.
// A ConfigMap volume's visible names are symlinks into a timestamped
// folder, so find -type f copies the real files, by base name.
func (s *script) copyConf() error {
	if !s.fs.dirs["/conf"] {
		return nil
	}
	s.conf = map[string][]string{}
	for p, content := range s.fs.files {
		if strings.HasPrefix(p, "/conf/") {
			s.conf[path.Base(p)] = lines(content)
			if content != "" && !strings.HasSuffix(content, "\n") {
				s.noEOL[path.Base(p)] = true
			}
		}
	}
	return nil
}

func (s *script) folders() error {
	for _, f := range []struct{ dir, setting string }{
		{"/plugins", "NEO4J_server_directories_plugins"},
		{"/import", "NEO4J_server_directories_import"},
		{"/metrics", "NEO4J_server_directories_metrics"},
		{"/logs", "NEO4J_server_directories_logs"},
		{"/licenses", "NEO4J_server_directories_licenses"},
	} {
		if s.fs.dirs[f.dir] && (f.dir != "/metrics" || s.enterprise()) {
			s.defaultTo(f.setting, f.dir)
		}
	}
	return nil
}

func (s *script) installPlugins() error {
	raw, _ := s.get("NEO4J_PLUGINS")
	if raw == "" {
		raw, _ = s.get("NEO4JLABS_PLUGINS")
	}
	if raw == "" {
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(raw), &names); err != nil {
		return fmt.Errorf("NEO4J_PLUGINS is not a JSON list: %w", err)
	}
	// Every name is checked before anything is installed.
	for _, name := range names {
		if _, ok := s.pluginProps(name); !ok {
			return fmt.Errorf("%q is not a known Neo4j plugin", name)
		}
	}
	before := slices.Clone(s.conf["neo4j.conf"])
	for _, name := range names {
		props, _ := s.pluginProps(name)
		s.plugins = append(s.plugins, name)
		for _, p := range props {
			// `grep -o "^[^#]*" | grep -q --fixed-strings "key="`: the key
			// followed by "=" anywhere before a comment.
			if setOutsideComments(before, p[0]) {
				continue // set by the user's configuration: left alone
			}
			file := s.conf["neo4j.conf"]
			if setOutsideComments(file, p[0]) {
				// `sed "s/key=/&value,/"`: every line holding key=,
				// comment lines included.
				for i, l := range file {
					file[i] = strings.Replace(l, p[0]+"=", p[0]+"="+p[1]+",", 1)
				}
				continue
			}
			s.appendLines("neo4j.conf", "", p[0]+"="+p[1])
		}
	}
	return nil
}

func setOutsideComments(file []string, key string) bool {
	return slices.ContainsFunc(file, func(l string) bool { return strings.Contains(stripComment(l), key+"=") })
}

func (s *script) dockerDefaults() error {
	legacy := [][2]string{
		{"NEO4J_db_tx__log_rotation_retention__policy", "NEO4J_dbms_tx__log_rotation_retention__policy"},
		{"NEO4J_server_memory_pagecache_size", "NEO4J_dbms_memory_pagecache_size"},
		{"NEO4J_server_default__listen__address", "NEO4J_dbms_default__listen__address"},
	}
	if s.enterprise() {
		legacy = append(legacy,
			[2]string{"NEO4J_server_cluster_advertised__address", "NEO4J_causal__clustering_transaction__advertised__address"},
			[2]string{"NEO4J_server_cluster_raft_advertised__address", "NEO4J_causal__clustering_raft__advertised__address"})
		if s.series == Series5 {
			legacy = append(legacy, [2]string{"NEO4J_server_discovery_advertised__address", "NEO4J_causal__clustering_discovery__advertised__address"})
		}
	}
	for _, l := range legacy {
		old, _ := s.get(l[1])
		s.defaultTo(l[0], old)
	}
	defaults := [][2]string{
		{"server.memory.pagecache.size", "512M"},
		{"server.default_listen_address", "0.0.0.0"},
	}
	if s.enterprise() {
		if s.series == Series5 {
			// 5/coredb/docker-entrypoint.sh adds it first of the enterprise ones.
			defaults = append(defaults, [2]string{"server.discovery.advertised_address", s.hostname + ":5000"})
		}
		defaults = append(defaults,
			[2]string{"server.cluster.advertised_address", s.hostname + ":6000"},
			[2]string{"server.cluster.raft.advertised_address", s.hostname + ":7000"},
			[2]string{"server.routing.advertised_address", s.hostname + ":7688"},
		)
	}
	for _, d := range defaults {
		re := regexp.MustCompile("^" + d[0] + "=")
		if !slices.ContainsFunc(s.conf["neo4j.conf"], re.MatchString) {
			// echo -e "\n"key=value >> neo4j.conf
			s.appendLines("neo4j.conf", "", d[0]+"="+d[1])
		}
	}
	return nil
}

// envSettings turns NEO4J_* variables into settings, in `sort -rn` order:
// names have no leading number, so that is reverse byte order.
func (s *script) envSettings() error {
	names := []string{}
	for _, v := range s.vars {
		if strings.HasPrefix(v.name, "NEO4J_") && !slices.Contains(notConfigs, v.name) && !strings.HasSuffix(v.name, "_FILE") {
			names = append(names, v.name)
		}
	}
	slices.Sort(names)
	slices.Reverse(names)
	for _, name := range names {
		value, _ := s.get(name)
		value = strings.TrimRight(value, "\n")
		setting := strings.ReplaceAll(strings.ReplaceAll(strings.TrimPrefix(name, "NEO4J_"), "_", "."), "..", "_")
		if value == "" || (setting != "" && setting[0] >= '0' && setting[0] <= '9') {
			continue
		}
		s.addEnvSetting(setting, value)
	}
	return nil
}

func (s *script) addEnvSetting(setting, value string) {
	file := "neo4j.conf"
	if strings.Split(setting, ".")[0] == "apoc" {
		file = "apoc.conf"
	}
	content, exists := s.conf[file]
	if exists && setting != "server.jvm.additional" && slices.ContainsFunc(content, func(l string) bool { return strings.Contains(l, setting+"=") }) {
		re := regexp.MustCompile("^" + setting + "=.*")
		if s.noEOL[file] && re.MatchString(content[len(content)-1]) {
			s.noEOL[file] = false // sed deleted the unterminated line
		}
		s.conf[file] = slices.DeleteFunc(content, re.MatchString)
	}
	// echo "key=value" >> file
	s.appendLines(file, setting+"="+value)
}

// appendLines is `echo ... >> file` of text ending in a newline: when the
// file does not end in one, the first line written continues its last
// line.
func (s *script) appendLines(file string, add ...string) {
	content := s.conf[file]
	if s.noEOL[file] {
		content[len(content)-1] += add[0]
		add = add[1:]
		s.noEOL[file] = false
	}
	s.conf[file] = append(content, add...)
}

var authPattern = regexp.MustCompile(`^([^/]+)/([^/]+)/?([tT][rR][uU][eE])?$`)

func (s *script) initialPassword() error {
	auth, _ := s.get("NEO4J_AUTH")
	if p, _ := s.get("NEO4J_AUTH_PATH"); p != "" {
		content, ok := s.fs.files[p]
		if !ok {
			return fmt.Errorf("the password file %q does not exist", p)
		}
		auth = strings.TrimRight(content, "\n")
	}
	switch m := authPattern.FindStringSubmatch(auth); {
	case auth == "":
	case auth == "none":
		s.noAuth = true
		s.addEnvSetting("dbms.security.auth_enabled", "false")
	case m == nil:
		return fmt.Errorf("invalid value for NEO4J_AUTH")
	case m[2] == "neo4j":
		return fmt.Errorf("invalid password: it cannot be 'neo4j'")
	case m[1] != "neo4j":
		return fmt.Errorf("invalid admin username %q: it must be neo4j", m[1])
	default:
		s.password = m[2]
	}
	return nil
}

func (s *script) result() Result {
	env := map[string]string{}
	for _, v := range s.vars {
		env[v.name] = v.value
	}
	r := Result{Env: env, ConfFiles: s.conf, InitialPassword: s.password, AuthDisabled: s.noAuth, Plugins: s.plugins,
		Files: s.fs.files, Dirs: s.fs.dirs}
	r.LogsDirectory = r.NeoConf().Get("server.directories.logs")
	return r
}

func lines(content string) []string {
	if content == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(content, "\n"), "\n")
}

func stripComment(l string) string {
	if i := strings.IndexByte(l, '#'); i >= 0 {
		return l[:i]
	}
	return l
}

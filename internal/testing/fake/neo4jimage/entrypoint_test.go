package neo4jimage

// These tests pin each fact the fake encodes against docker-entrypoint.sh
// of neo4j/docker-neo4j at 9df98ef9d8d19eaea2fd711f4ae0f9c8d70e9a82,
// directories docker-image-src/calver/coredb and docker-image-src/5/coredb.
// Line numbers below are those of calver/coredb/docker-entrypoint.sh
// unless "5.x" says otherwise.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const podName = "graph-server-0"

// The blocks `echo -e "\n"key=value` appends when a docker default is
// missing (lines 574-583; 5.x 575-585).
var (
	defaultsHead = []string{
		"", "server.memory.pagecache.size=512M",
		"", "server.default_listen_address=0.0.0.0",
	}
	discoveryDefault  = []string{"", "server.discovery.advertised_address=" + podName + ":5000"}
	enterpriseDefault = []string{
		"", "server.cluster.advertised_address=" + podName + ":6000",
		"", "server.cluster.raft.advertised_address=" + podName + ":7000",
		"", "server.routing.advertised_address=" + podName + ":7688",
	}
)

func concat(parts ...[]string) []string { return slices.Concat(parts...) }

// ---- pod construction ----

type podOpt func(*Pod)

func newPod(env []corev1.EnvVar, opts ...podOpt) Pod {
	p := Pod{
		Name:       podName,
		Namespace:  "graphs",
		HostIP:     "192.168.0.9",
		PodIP:      "10.1.2.3",
		ConfigMaps: map[string]*corev1.ConfigMap{},
		Secrets:    map[string]*corev1.Secret{},
		Spec: corev1.PodSpec{EnableServiceLinks: new(false), Containers: []corev1.Container{
			{Name: "sidecar", Env: []corev1.EnvVar{ev("NEO4J_AUTH", "neo4j/neo4j")}},
			{Name: "neo4j", Env: env},
		}},
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func mountVolume(p *Pod, mountPath string, src corev1.VolumeSource) {
	name := fmt.Sprintf("vol-%d", len(p.Spec.Volumes))
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: src})
	c := &p.Spec.Containers[1]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: mountPath})
}

// withConfigMap mounts ConfigMap name (holding data) at mountPath, with
// items when given.
func withConfigMap(mountPath, name string, data map[string]string, items ...corev1.KeyToPath) podOpt {
	return func(p *Pod) {
		p.ConfigMaps[name] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace}, Data: data}
		mountVolume(p, mountPath, corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items}})
	}
}

// withSecret mounts Secret name at mountPath, every key as a file.
func withSecret(mountPath, name string, data map[string]string) podOpt {
	return func(p *Pod) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		p.Secrets[name] = s
		mountVolume(p, mountPath, corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}})
	}
}

// withSecretObject adds a Secret that is not mounted (for secretKeyRef).
func withSecretObject(name string, data map[string]string) podOpt {
	return func(p *Pod) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		p.Secrets[name] = s
	}
}

// withConfigMapObject adds a ConfigMap that is not mounted.
func withConfigMapObject(name string, data map[string]string) podOpt {
	return func(p *Pod) {
		p.ConfigMaps[name] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace}, Data: data}
	}
}

func withEmptyDir(mountPath string) podOpt {
	return func(p *Pod) {
		mountVolume(p, mountPath, corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}})
	}
}

func ev(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func fieldEnv(name, fieldPath string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: fieldPath}}}
}

func secretEnv(name, secret, key string, optional bool) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key, Optional: &optional}}}
}

func configMapEnv(name, cm, key string, optional bool) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: cm}, Key: key, Optional: &optional}}}
}

// licensed is env with the license accepted first.
func licensed(env ...corev1.EnvVar) []corev1.EnvVar {
	return append([]corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "yes")}, env...)
}

// confFile is the text of a file, one line each, newline-terminated.
func confFile(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// ---- expectations ----

type want struct {
	err string // a substring of the error; "" for success

	files    []string            // names in $NEO4J_HOME/conf; nil: not checked
	neo      []string            // exact neo4j.conf lines; nil: not checked
	apoc     []string            // exact apoc.conf lines; nil: not checked
	untouch  []string            // conf files that must still be the image's
	settings map[string]string   // neo4j.conf: Get(key) == value
	all      map[string][]string // neo4j.conf: All(key)
	apocSet  map[string]string   // apoc.conf: Get(key) == value
	absent   []string            // keys neo4j.conf must not have
	apocNot  []string            // keys apoc.conf must not have
	env      map[string]string   // Result.Env
	noEnv    []string            // variables Result.Env must not have

	password     string
	authDisabled bool
	plugins      []string
	logs         string // "" means /logs, the image's default; unsetLogs: no setting
}

const unsetLogs = "(unset)"

type startCase struct {
	name   string
	series Series
	pod    Pod
	want   want
}

func runStartCases(t *testing.T, cases []startCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Start(tc.series, tc.pod)
			w := tc.want
			if w.err != "" {
				if err == nil {
					t.Fatalf("Start succeeded, want an error containing %q; neo4j.conf:\n%s", w.err, strings.Join(r.ConfFiles["neo4j.conf"], "\n"))
				}
				if !strings.Contains(err.Error(), w.err) {
					t.Fatalf("Start error = %q, want it to contain %q", err, w.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			checkResult(t, r, w)
		})
	}
}

func checkResult(t *testing.T, r Result, w want) {
	t.Helper()
	neo, apoc := r.NeoConf(), r.ApocConf()
	if err := neo.Check(); err != nil {
		t.Errorf("neo4j.conf does not pass Check: %v\n%s", err, strings.Join(r.ConfFiles["neo4j.conf"], "\n"))
	}
	if err := apoc.Check(); err != nil {
		t.Errorf("apoc.conf does not pass Check: %v", err)
	}
	if w.files != nil {
		got := slices.Sorted(maps.Keys(r.ConfFiles))
		if !slices.Equal(got, slices.Sorted(slices.Values(w.files))) {
			t.Errorf("conf files = %q, want %q", got, slices.Sorted(slices.Values(w.files)))
		}
	}
	if w.neo != nil && !slices.Equal(r.ConfFiles["neo4j.conf"], w.neo) {
		t.Errorf("neo4j.conf =\n%s\nwant\n%s", quoteLines(r.ConfFiles["neo4j.conf"]), quoteLines(w.neo))
	}
	if w.apoc != nil && !slices.Equal(r.ConfFiles["apoc.conf"], w.apoc) {
		t.Errorf("apoc.conf =\n%s\nwant\n%s", quoteLines(r.ConfFiles["apoc.conf"]), quoteLines(w.apoc))
	}
	for _, f := range w.untouch {
		if got := r.ConfFiles[f]; !slices.Equal(got, []string{ImageDefaultMarker}) {
			t.Errorf("%s = %q, want the image's own file", f, got)
		}
	}
	for k, v := range w.settings {
		if !neo.Has(k) {
			t.Errorf("neo4j.conf has no %s, want %q", k, v)
		} else if got := neo.Get(k); got != v {
			t.Errorf("neo4j.conf %s = %q, want %q", k, got, v)
		}
	}
	for k, v := range w.all {
		if got := neo.All(k); !slices.Equal(got, v) {
			t.Errorf("neo4j.conf All(%s) = %q, want %q", k, got, v)
		}
	}
	for k, v := range w.apocSet {
		if got := apoc.Get(k); !apoc.Has(k) || got != v {
			t.Errorf("apoc.conf %s = %q (set: %v), want %q", k, got, apoc.Has(k), v)
		}
	}
	for _, k := range w.absent {
		if neo.Has(k) {
			t.Errorf("neo4j.conf has %s=%q, want it absent", k, neo.Get(k))
		}
	}
	for _, k := range w.apocNot {
		if apoc.Has(k) {
			t.Errorf("apoc.conf has %s=%q, want it absent", k, apoc.Get(k))
		}
	}
	for k, v := range w.env {
		if got, ok := r.Env[k]; !ok || got != v {
			t.Errorf("env %s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
	for _, k := range w.noEnv {
		if v, ok := r.Env[k]; ok {
			t.Errorf("env %s = %q, want it unset", k, v)
		}
	}
	if r.InitialPassword != w.password {
		t.Errorf("InitialPassword = %q, want %q", r.InitialPassword, w.password)
	}
	if r.AuthDisabled != w.authDisabled {
		t.Errorf("AuthDisabled = %v, want %v", r.AuthDisabled, w.authDisabled)
	}
	if !slices.Equal(r.Plugins, w.plugins) {
		t.Errorf("Plugins = %q, want %q", r.Plugins, w.plugins)
	}
	logs := w.logs
	switch logs {
	case "":
		logs = "/logs"
	case unsetLogs:
		logs = ""
	}
	if r.LogsDirectory != logs {
		t.Errorf("LogsDirectory = %q, want %q", r.LogsDirectory, logs)
	}
}

func quoteLines(ls []string) string {
	var b strings.Builder
	for i, l := range ls {
		fmt.Fprintf(&b, "  %2d %q\n", i, l)
	}
	return b.String()
}

// ---- the entrypoint ----

var imageFiles = []string{"neo4j.conf", "neo4j-admin.conf", "server-logs.xml", "user-logs.xml"}

// Facts 1 and 5 (doc.go): without /conf the image's files stay, the
// docker defaults are appended with $(hostname) (the pod name), and /logs
// (a directory of the image) becomes server.directories.logs.
func TestStartWithoutConf(t *testing.T) {
	runStartCases(t, []startCase{
		{
			name:   "5.x: defaults with discovery on :5000, added before the cluster one (5.x line 582)",
			series: Series5,
			pod:    newPod(licensed()),
			want: want{
				files:   imageFiles,
				untouch: []string{"neo4j-admin.conf", "server-logs.xml", "user-logs.xml"},
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, discoveryDefault, enterpriseDefault,
					[]string{"server.directories.logs=/logs"}),
				absent: []string{"server.directories.plugins", "server.directories.import", "server.directories.metrics",
					"server.directories.licenses", "server.directories.data"},
				env: map[string]string{"NEO4J_HOME": Home, "NEO4J_EDITION": "enterprise", "NEO4J_server_directories_logs": "/logs"},
			},
		},
		{
			name:   "CalVer: the same without server.discovery.advertised_address",
			series: SeriesCalVer,
			pod:    newPod(licensed()),
			want: want{
				files:   imageFiles,
				untouch: []string{"neo4j-admin.conf", "server-logs.xml", "user-logs.xml"},
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, enterpriseDefault,
					[]string{"server.directories.logs=/logs"}),
				absent: []string{"server.discovery.advertised_address", "server.directories.plugins"},
			},
		},
		{
			name:   "the docker defaults use the bare pod name, never the namespace",
			series: SeriesCalVer,
			pod:    func() Pod { p := newPod(licensed()); p.Name = "other-7"; return p }(),
			want: want{settings: map[string]string{
				"server.cluster.advertised_address":      "other-7:6000",
				"server.cluster.raft.advertised_address": "other-7:7000",
				"server.routing.advertised_address":      "other-7:7688",
			}},
		},
		{
			// Fact 5: `[ -d /plugins ]` ... `: ${NEO4J_server_directories_plugins:="/plugins"}`, lines 492-537.
			name:   "mounted /plugins, /import, /metrics, /licenses become directory settings, sorted -rn",
			series: SeriesCalVer,
			pod:    newPod(licensed(), withEmptyDir("/plugins"), withEmptyDir("/import"), withEmptyDir("/metrics"), withEmptyDir("/licenses"), withEmptyDir("/data")),
			want: want{
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, enterpriseDefault, []string{
					"server.directories.plugins=/plugins",
					"server.directories.metrics=/metrics",
					"server.directories.logs=/logs",
					"server.directories.licenses=/licenses",
					"server.directories.import=/import",
				}),
				absent: []string{"server.directories.data"},
			},
		},
		{
			name:   "an env directory setting beats the mounted folder (`:=` only fills an unset variable)",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_server_directories_import", "/data/import")), withEmptyDir("/import")),
			want:   want{settings: map[string]string{"server.directories.import": "/data/import"}},
		},
	})
}

const mountedNeoConf = `# rendered by the operator
server.cluster.advertised_address=x.svc:6000
server.jvm.additional=-XX:+UseG1GC
server.jvm.additional=-XX:+AlwaysPreTouch
server.directories.logs=/data/logs
db.tx_log.rotation.retention_policy=1 days
server.bolt.listen_address=:7687
`

const mountedApocConf = "apoc.import.file.enabled=true\n"

// withConf mounts ConfigMap "conf" at /conf with items neo4j.conf and
// apoc.conf (and a key that is not an item).
func withConf(neo string) podOpt {
	return withConfigMap("/conf", "conf",
		map[string]string{"neo4j.conf": neo, "apoc.conf": mountedApocConf, "not-an-item.conf": "x=y\n"},
		corev1.KeyToPath{Key: "neo4j.conf", Path: "neo4j.conf"},
		corev1.KeyToPath{Key: "apoc.conf", Path: "apoc.conf"})
}

// Facts 4, 5 and 7: /conf replaces the image's files (lines 479-484);
// docker defaults do not override the copied file (add_docker_default_to_conf,
// lines 254-265); /logs beats the file's server.directories.logs unless
// the environment sets it.
func TestStartWithMountedConf(t *testing.T) {
	runStartCases(t, []startCase{
		{
			name:   "CalVer: only the items are there, file keys kept, missing defaults appended",
			series: SeriesCalVer,
			pod:    newPod(licensed(), withConf(mountedNeoConf)),
			want: want{
				files: []string{"neo4j.conf", "apoc.conf"},
				neo: []string{
					"# rendered by the operator",
					"server.cluster.advertised_address=x.svc:6000",
					"server.jvm.additional=-XX:+UseG1GC",
					"server.jvm.additional=-XX:+AlwaysPreTouch",
					// server.directories.logs=/data/logs deleted by `sed /^key=.*/d` (line 291)
					"db.tx_log.rotation.retention_policy=1 days",
					"server.bolt.listen_address=:7687",
					"", "server.memory.pagecache.size=512M",
					"", "server.default_listen_address=0.0.0.0",
					"", "server.cluster.raft.advertised_address=" + podName + ":7000",
					"", "server.routing.advertised_address=" + podName + ":7688",
					"server.directories.logs=/logs",
				},
				apoc: []string{"apoc.import.file.enabled=true"},
				all:  map[string][]string{"server.jvm.additional": {"-XX:+UseG1GC", "-XX:+AlwaysPreTouch"}},
			},
		},
		{
			name:   "5.x: discovery default appended, cluster address from the file kept",
			series: Series5,
			pod:    newPod(licensed(), withConf(mountedNeoConf)),
			want: want{
				files: []string{"neo4j.conf", "apoc.conf"},
				settings: map[string]string{
					"server.cluster.advertised_address":   "x.svc:6000",
					"server.discovery.advertised_address": podName + ":5000",
					"server.directories.logs":             "/logs",
				},
				all: map[string][]string{"server.cluster.advertised_address": {"x.svc:6000"}},
			},
		},
		{
			name:   "NEO4J_server_directories_logs in the env wins over /logs and the file",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_server_directories_logs", "/data/logs")), withConf(mountedNeoConf)),
			want: want{
				settings: map[string]string{"server.directories.logs": "/data/logs"},
				all:      map[string][]string{"server.directories.logs": {"/data/logs"}},
				logs:     "/data/logs",
				env:      map[string]string{"NEO4J_server_directories_logs": "/data/logs"},
			},
		},
		{
			name:   "a file setting that is a docker default is not duplicated",
			series: SeriesCalVer,
			pod: newPod(licensed(), withConf(confFile(
				"server.memory.pagecache.size=4G",
				"server.default_listen_address=::",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
			))),
			want: want{neo: []string{
				"server.memory.pagecache.size=4G",
				"server.default_listen_address=::",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
				"server.directories.logs=/logs",
			}},
		},
		{
			name:   "a commented default does not count (grep ^key=)",
			series: SeriesCalVer,
			pod:    newPod(licensed(), withConf(confFile("#server.memory.pagecache.size=4G"))),
			want:   want{settings: map[string]string{"server.memory.pagecache.size": "512M"}},
		},
		{
			name:   "ConfigMap without items: every key is a file",
			series: SeriesCalVer,
			pod: newPod(licensed(), withConfigMap("/conf", "conf",
				map[string]string{"neo4j.conf": "a.b=c\n", "apoc.conf": mountedApocConf, "server-logs.xml": "<Configuration/>\n"})),
			want: want{files: []string{"neo4j.conf", "apoc.conf", "server-logs.xml"}, settings: map[string]string{"a.b": "c"}},
		},
		{
			name:   "find /conf -type f copies nested items flattened",
			series: SeriesCalVer,
			pod: newPod(licensed(), withConfigMap("/conf", "conf",
				map[string]string{"neo4j.conf": "a.b=c\n", "logs": "<Configuration/>\n"},
				corev1.KeyToPath{Key: "neo4j.conf", Path: "neo4j.conf"},
				corev1.KeyToPath{Key: "logs", Path: "xml/server-logs.xml"})),
			want: want{files: []string{"neo4j.conf", "server-logs.xml"}},
		},
		{
			name:   "an empty /conf: the image's files are gone, neo4j.conf is only what the script appends",
			series: SeriesCalVer,
			pod:    newPod(licensed(), withEmptyDir("/conf")),
			want: want{
				files: []string{"neo4j.conf"},
				neo:   concat(defaultsHead, enterpriseDefault, []string{"server.directories.logs=/logs"}),
			},
		},
		{
			// `echo "key=value" >> file` (line 295) continues an unterminated last line.
			name:   "a neo4j.conf without a final newline gets the first env setting glued to its last line",
			series: SeriesCalVer,
			pod: newPod(licensed(), withConf(strings.TrimSuffix(confFile(
				"server.memory.pagecache.size=4G",
				"server.default_listen_address=::",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
			), "\n"))),
			want: want{
				neo: []string{
					"server.memory.pagecache.size=4G",
					"server.default_listen_address=::",
					"server.cluster.advertised_address=a:6000",
					"server.cluster.raft.advertised_address=a:7000",
					"server.routing.advertised_address=a:7688server.directories.logs=/logs",
				},
				logs:   unsetLogs, // the glued line's key is server.routing.advertised_address
				absent: []string{"server.directories.logs"},
			},
		},
		{
			// `echo -e "\n"key=value` (line 263): the "\n" ends the unterminated line.
			name:   "a neo4j.conf without a final newline: a docker default starts on the next line, no blank line",
			series: SeriesCalVer,
			pod:    newPod(licensed(), withConf("server.cluster.advertised_address=a:6000")),
			want: want{neo: concat(
				[]string{"server.cluster.advertised_address=a:6000", "server.memory.pagecache.size=512M"},
				[]string{"", "server.default_listen_address=0.0.0.0"},
				enterpriseDefault[2:],
				[]string{"server.directories.logs=/logs"},
			)},
		},
		{
			name:   "a neo4j.conf whose unterminated last line an env setting deletes",
			series: SeriesCalVer,
			pod: newPod(licensed(ev("NEO4J_server_memory_pagecache_size", "1G")), withConf(strings.TrimSuffix(confFile(
				"server.default_listen_address=::",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
				"server.memory.pagecache.size=4G",
			), "\n"))),
			want: want{neo: []string{
				"server.default_listen_address=::",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
				// sorted -rn, pagecache comes first; sed deleting the
				// unterminated line leaves a file that ends in a newline.
				"server.memory.pagecache.size=1G",
				"server.directories.logs=/logs",
			}},
		},
	})
}

// Fact 8: NEO4J_* variables become settings (lines 590-615), written by
// add_env_setting_to_conf (lines 267-297).
func TestStartEnvSettings(t *testing.T) {
	runStartCases(t, []startCase{
		{
			name:   "naming: _ is a dot, __ an underscore; sorted -rn; a file line is replaced, not duplicated",
			series: SeriesCalVer,
			pod: newPod(licensed(
				ev("NEO4J_db_tx__log_rotation_retention__policy", "2 days"),
				ev("NEO4J_dbms_security_auth__minimum__password__length", "12"),
			), withConf(confFile(
				"db.tx_log.rotation.retention_policy=1 days",
				"server.default_listen_address=0.0.0.0",
				"server.memory.pagecache.size=1G",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
			))),
			want: want{neo: []string{
				"server.default_listen_address=0.0.0.0",
				"server.memory.pagecache.size=1G",
				"server.cluster.advertised_address=a:6000",
				"server.cluster.raft.advertised_address=a:7000",
				"server.routing.advertised_address=a:7688",
				"server.directories.logs=/logs",
				"dbms.security.auth_minimum_password_length=12",
				"db.tx_log.rotation.retention_policy=2 days",
			}},
		},
		{
			name:   "three underscores: ___ is ._ (sed s/_/./g then s/\\.\\./_/g)",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_a___b", "v"))),
			want:   want{settings: map[string]string{"a_.b": "v"}},
		},
		{
			name:   "server.jvm.additional from env is appended after the file's lines",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_server_jvm_additional", "-Dx=1")), withConf(mountedNeoConf)),
			want: want{all: map[string][]string{
				"server.jvm.additional": {"-XX:+UseG1GC", "-XX:+AlwaysPreTouch", "-Dx=1"},
			}},
		},
		{
			name:   "apoc.* goes to the mounted apoc.conf, not neo4j.conf",
			series: SeriesCalVer,
			pod: newPod(licensed(ev("NEO4J_apoc_export_file_enabled", "true"), ev("NEO4J_apoc_import_file_enabled", "false")),
				withConf(mountedNeoConf)),
			want: want{
				apoc:   []string{"apoc.import.file.enabled=false", "apoc.export.file.enabled=true"},
				absent: []string{"apoc.export.file.enabled", "apoc.import.file.enabled"},
			},
		},
		{
			name:   "apoc.* without /conf creates apoc.conf",
			series: Series5,
			pod:    newPod(licensed(ev("NEO4J_apoc_export_file_enabled", "true"))),
			want: want{
				files:  append(slices.Clone(imageFiles), "apoc.conf"),
				apoc:   []string{"apoc.export.file.enabled=true"},
				absent: []string{"apoc.export.file.enabled"},
			},
		},
		{
			name:   "control variables, _FILE variables, empty values and names starting with a digit are not settings",
			series: SeriesCalVer,
			pod: newPod(licensed(
				ev("NEO4J_AUTH", "neo4j/secret123"),
				ev("NEO4J_AUTH_PATH", ""),
				ev("NEO4J_PLUGINS", "[]"),
				ev("NEO4J_EDITION", "enterprise"),
				ev("NEO4J_HOME", Home),
				ev("NEO4J_DEBUG", "yes"),
				ev("NEO4J_DEPRECATION_WARNING", "x"),
				ev("NEO4J_server_bolt_listen__address", ""),
				ev("NEO4J_1x_y", "z"),
				ev("NEO4J_dbms_foo_FILE", "/secrets/foo"),
			), withSecret("/secrets", "s", map[string]string{"foo": "bar\n"})),
			want: want{
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, enterpriseDefault, []string{
					"server.directories.logs=/logs",
					"dbms.foo=bar", // the _FILE step exported NEO4J_dbms_foo
				}),
				env:      map[string]string{"NEO4J_dbms_foo": "bar", "NEO4J_SHA256": "sha", "NEO4J_TARBALL": "neo4j-enterprise-unix.tar.gz"},
				password: "secret123",
			},
		},
		{
			// setting="" passes the ^[0-9] test (line 609): "=x" is appended.
			name:   "a variable named just NEO4J_ writes a line with no key",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_", "x"))),
			want:   want{settings: map[string]string{"": "x"}},
		},
		{
			name:   "an empty env value does not remove the file's line",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_server_bolt_listen__address", "")), withConf(mountedNeoConf)),
			want:   want{settings: map[string]string{"server.bolt.listen_address": ":7687"}},
		},
		{
			name:   "trailing newlines of a value are dropped (value=$(echo ...))",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_dbms_x", "v\n\n"))),
			want:   want{settings: map[string]string{"dbms.x": "v"}},
		},
		{
			// Lines 559-566; 5.x line 564. The old name is not a control
			// variable, so it is written under its own name too.
			name:   "legacy NEO4J_dbms_memory_pagecache_size becomes server.memory.pagecache.size",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_dbms_memory_pagecache_size", "1G"))),
			want: want{
				all: map[string][]string{
					"server.memory.pagecache.size": {"1G"},
					"dbms.memory.pagecache.size":   {"1G"},
				},
				env: map[string]string{"NEO4J_server_memory_pagecache_size": "1G"},
			},
		},
		{
			name:   "legacy: a new name that is set wins over the old one",
			series: SeriesCalVer,
			pod: newPod(licensed(ev("NEO4J_dbms_memory_pagecache_size", "1G"),
				ev("NEO4J_server_memory_pagecache_size", "2G"))),
			want: want{all: map[string][]string{"server.memory.pagecache.size": {"2G"}}},
		},
		{
			name:   "legacy transaction, raft and listen address names",
			series: SeriesCalVer,
			pod: newPod(licensed(
				ev("NEO4J_dbms_tx__log_rotation_retention__policy", "3 days"),
				ev("NEO4J_dbms_default__listen__address", "::"),
				ev("NEO4J_causal__clustering_transaction__advertised__address", "t:6000"),
				ev("NEO4J_causal__clustering_raft__advertised__address", "r:7000"),
				ev("NEO4J_causal__clustering_discovery__advertised__address", "d:5000"),
			)),
			want: want{
				all: map[string][]string{
					"db.tx_log.rotation.retention_policy":    {"3 days"},
					"server.default_listen_address":          {"::"},
					"server.cluster.advertised_address":      {"t:6000"},
					"server.cluster.raft.advertised_address": {"r:7000"},
				},
				absent: []string{"server.discovery.advertised_address"},
			},
		},
		{
			name:   "5.x: legacy discovery address",
			series: Series5,
			pod:    newPod(licensed(ev("NEO4J_causal__clustering_discovery__advertised__address", "d:5000"))),
			want: want{all: map[string][]string{
				"server.discovery.advertised_address":            {"d:5000"},
				"causal_clustering.discovery_advertised_address": {"d:5000"},
			}},
		},
	})
}

// Fact 1: the kubelet resolves env before the script sees it.
func TestStartKubeletEnv(t *testing.T) {
	runStartCases(t, []startCase{
		{
			name:   "$(VAR) of an earlier variable expands; a later or unknown one stays; $$ is $; fieldRefs; secretKeyRef",
			series: SeriesCalVer,
			pod: newPod(licensed(
				fieldEnv("POD_NAME", "metadata.name"),
				fieldEnv("POD_NAMESPACE", "metadata.namespace"),
				fieldEnv("POD_IP", "status.podIP"),
				fieldEnv("HOST_IP", "status.hostIP"),
				ev("NEO4J_server_cluster_advertised__address", "$(POD_NAME).$(POD_NAMESPACE).svc:6000"),
				ev("NEO4J_server_bolt_advertised__address", "$(LATER):7687"),
				ev("NEO4J_server_routing_advertised__address", "$(UNKNOWN):7688"),
				ev("NEO4J_dbms_dollar", "a$$b$$(POD_NAME)"),
				ev("NEO4J_dbms_image__env", "$(NEO4J_HOME)"), // image ENV is not a kubelet source
				ev("LATER", "late"),
				secretEnv("NEO4J_AUTH", "auth", "NEO4J_AUTH", false),
			), withSecretObject("auth", map[string]string{"NEO4J_AUTH": "neo4j/fromsecret"})),
			want: want{
				env: map[string]string{
					"POD_NAME":      podName,
					"POD_NAMESPACE": "graphs",
					"POD_IP":        "10.1.2.3",
					"HOST_IP":       "192.168.0.9",
					"NEO4J_AUTH":    "neo4j/fromsecret",
				},
				settings: map[string]string{
					"server.cluster.advertised_address": podName + ".graphs.svc:6000",
					"server.bolt.advertised_address":    "$(LATER):7687",
					"server.routing.advertised_address": "$(UNKNOWN):7688",
					"dbms.dollar":                       "a$b$(POD_NAME)",
					"dbms.image_env":                    "$(NEO4J_HOME)",
				},
				password: "fromsecret",
			},
		},
		{
			name:   "a later definition of a variable replaces the earlier one",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("A", "1"), ev("NEO4J_dbms_a", "$(A)"), ev("A", "2"), ev("NEO4J_dbms_b", "$(A)"))),
			want:   want{env: map[string]string{"A": "2"}, settings: map[string]string{"dbms.a": "1", "dbms.b": "2"}},
		},
		{
			// The image's ENV is only beneath the container's. A community
			// edition skips the license (line 432), /metrics (line 509),
			// the cluster legacy names (line 562) and the cluster defaults
			// (line 578).
			name:   "the container's env overrides the image ENV: NEO4J_EDITION=community",
			series: Series5,
			pod: newPod([]corev1.EnvVar{ev("NEO4J_EDITION", "community"),
				ev("NEO4J_causal__clustering_raft__advertised__address", "r:7000")}, withEmptyDir("/metrics")),
			want: want{
				env: map[string]string{"NEO4J_EDITION": "community"},
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, []string{
					"server.directories.logs=/logs",
					"causal_clustering.raft_advertised_address=r:7000",
				}),
			},
		},
		{
			name:   "configMapKeyRef",
			series: SeriesCalVer,
			pod:    newPod(licensed(configMapEnv("NEO4J_dbms_c", "cm", "k", false)), withConfigMapObject("cm", map[string]string{"k": "v"})),
			want:   want{settings: map[string]string{"dbms.c": "v"}},
		},
		{
			name:   "configMapKeyRef to a missing key fails the pod",
			series: SeriesCalVer,
			pod:    newPod(licensed(configMapEnv("NEO4J_dbms_c", "cm", "missing", false)), withConfigMapObject("cm", map[string]string{"k": "v"})),
			want:   want{err: `has no key "missing"`},
		},
		{
			name:   "an optional missing key leaves the variable out",
			series: SeriesCalVer,
			pod: newPod(licensed(
				configMapEnv("NEO4J_dbms_c", "cm", "missing", true),
				secretEnv("NEO4J_dbms_s", "nosecret", "k", true),
			), withConfigMapObject("cm", map[string]string{"k": "v"})),
			want: want{noEnv: []string{"NEO4J_dbms_c", "NEO4J_dbms_s"}, absent: []string{"dbms.c", "dbms.s"}},
		},
		{
			name:   "secretKeyRef to a missing Secret fails the pod",
			series: SeriesCalVer,
			pod:    newPod(licensed(secretEnv("NEO4J_AUTH", "nosecret", "NEO4J_AUTH", false))),
			want:   want{err: `Secret "nosecret" is not there`},
		},
		{
			name:   "a volume mount without its volume",
			series: SeriesCalVer,
			pod: func() Pod {
				p := newPod(licensed())
				p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "ghost", MountPath: "/conf"}}
				return p
			}(),
			want: want{err: `names no volume`},
		},
		{
			name:   "no container named neo4j",
			series: SeriesCalVer,
			pod:    func() Pod { p := newPod(licensed()); p.Spec.Containers[1].Name = "db"; return p }(),
			want:   want{err: "no container named neo4j"},
		},
	})
}

// Fact 3: lines 431-466.
func TestStartLicense(t *testing.T) {
	cases := []struct {
		name  string
		env   []corev1.EnvVar
		fails bool
	}{
		{"missing", nil, true},
		{"no", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "no")}, true},
		{"empty", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "")}, true},
		{"YES is case sensitive", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "YES")}, true},
		{"yes", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "yes")}, false},
		{"eval", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "eval")}, false},
		{"from a _FILE", []corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT_FILE", "/lic/accept")}, false},
	}
	for _, series := range []Series{Series5, SeriesCalVer} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d/%s", series, tc.name), func(t *testing.T) {
				r, err := Start(series, newPod(tc.env, withSecret("/lic", "lic", map[string]string{"accept": "eval\n"})))
				switch {
				case tc.fails && err == nil:
					t.Fatal("Start succeeded, want the license error")
				case tc.fails && !strings.Contains(err.Error(), "license not accepted"):
					t.Fatalf("Start error = %v, want the license error", err)
				case !tc.fails && err != nil:
					t.Fatalf("Start: %v", err)
				}
				if err == nil && r.NeoConf().Has("ACCEPT.LICENSE.AGREEMENT") {
					t.Error("the license variable became a setting")
				}
			})
		}
	}
}

// Fact 9: set_initial_password (lines 299-360) and lines 619-633; fact 2:
// the _FILE step (lines 405-426).
func TestStartAuth(t *testing.T) {
	authSecret := withSecret("/auth", "neo4j-auth", map[string]string{"NEO4J_AUTH": "neo4j/fromfile1\n"})
	runStartCases(t, []startCase{
		{
			name:   "neo4j/<password>",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "neo4j/secret123"))),
			want:   want{password: "secret123", absent: []string{"dbms.security.auth_enabled", "AUTH"}},
		},
		{
			name:   "neo4j/<password>/true (require a change)",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "neo4j/secret123/true"))),
			want:   want{password: "secret123"},
		},
		{
			name:   "no NEO4J_AUTH: no password, auth on",
			series: SeriesCalVer,
			pod:    newPod(licensed()),
			want:   want{absent: []string{"dbms.security.auth_enabled"}},
		},
		{
			name:   "none disables auth in neo4j.conf",
			series: Series5,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "none"))),
			want: want{
				authDisabled: true,
				neo: concat([]string{ImageDefaultMarker}, defaultsHead, discoveryDefault, enterpriseDefault, []string{
					"server.directories.logs=/logs",
					"dbms.security.auth_enabled=false",
				}),
			},
		},
		{
			name:   "none replaces the file's auth_enabled line",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "none")), withConf(confFile("dbms.security.auth_enabled=true"))),
			want:   want{authDisabled: true, all: map[string][]string{"dbms.security.auth_enabled": {"false"}}},
		},
		{
			name:   "the password neo4j is refused",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "neo4j/neo4j"))),
			want:   want{err: "cannot be 'neo4j'"},
		},
		{
			name:   "a user other than neo4j is refused",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "admin/pw"))),
			want:   want{err: "must be neo4j"},
		},
		{
			name:   "the password check comes before the user check",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "admin/neo4j"))),
			want:   want{err: "cannot be 'neo4j'"},
		},
		{
			name:   "no slash is invalid",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "secret123"))),
			want:   want{err: "invalid value for NEO4J_AUTH"},
		},
		{
			name:   "NEO4J_AUTH_PATH: read from the mounted Secret, trailing newline stripped, NEO4J_AUTH ignored",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "neo4j/fromenv1"), ev("NEO4J_AUTH_PATH", "/auth/NEO4J_AUTH")), authSecret),
			want:   want{password: "fromfile1", absent: []string{"AUTH.PATH"}},
		},
		{
			name:   "NEO4J_AUTH_PATH to a missing file",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH_PATH", "/auth/missing")), authSecret),
			want:   want{err: "does not exist"},
		},
		{
			name:   "NEO4J_AUTH_FILE sets NEO4J_AUTH from the file",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH", "neo4j/fromenv1"), ev("NEO4J_AUTH_FILE", "/auth/NEO4J_AUTH")), authSecret),
			want: want{
				password: "fromfile1",
				env:      map[string]string{"NEO4J_AUTH": "neo4j/fromfile1", "NEO4J_AUTH_FILE": "/auth/NEO4J_AUTH"},
				absent:   []string{"AUTH", "AUTH.FILE", "AUTH_FILE"},
			},
		},
		{
			name:   "NEO4J_AUTH_FILE to a missing file",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_AUTH_FILE", "/auth/missing")), authSecret),
			want:   want{err: "does not exist or is not readable"},
		},
	})
}

// Fact 6: install_neo4j_plugins and apply_plugin_default_configuration
// (lines 182-252, 540-545) with neo4j-plugins.json.
func TestStartPlugins(t *testing.T) {
	unrestricted := "dbms.security.procedures.unrestricted"
	runStartCases(t, []startCase{
		{
			name:   "apoc without /conf: appended before the docker defaults",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc"]`))),
			want: want{
				plugins: []string{"apoc"},
				neo: concat([]string{ImageDefaultMarker, "", unrestricted + "=apoc.*"}, defaultsHead, enterpriseDefault,
					[]string{"server.directories.logs=/logs"}),
				absent: []string{"PLUGINS"},
			},
		},
		{
			name:   "apoc: the mounted neo4j.conf's own setting is left alone",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc"]`)), withConf(confFile(unrestricted+"=my.*"))),
			want:   want{plugins: []string{"apoc"}, all: map[string][]string{unrestricted: {"my.*"}}},
		},
		{
			name:   "apoc: a commented setting in the file does not count",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc"]`)), withConf(confFile("#"+unrestricted+"=my.*"))),
			want:   want{plugins: []string{"apoc"}, all: map[string][]string{unrestricted: {"apoc.*"}}},
		},
		{
			name:   "two plugins: the second is prepended to the first's value (sed s/key=/&value,/)",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc", "graph-data-science"]`))),
			want: want{
				plugins: []string{"apoc", "graph-data-science"},
				all:     map[string][]string{unrestricted: {"gds.*,apoc.*"}},
			},
		},
		{
			name:   "bloom's three properties",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["bloom"]`))),
			want: want{plugins: []string{"bloom"}, settings: map[string]string{
				"server.unmanaged_extension_classes": "com.neo4j.bloom.server=/browser/bloom",
				unrestricted:                         "bloom.*",
				"dbms.bloom.license_file":            "/licenses/bloom.license",
			}},
		},
		{
			name:   "fleet-management is known to both series",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["fleet-management"]`))),
			want: want{plugins: []string{"fleet-management"}, settings: map[string]string{
				unrestricted:                         "fleetManagement.*",
				"dbms.security.procedures.allowlist": "fleetManagement.*",
			}},
		},
		{
			name:   "n10s is known to 5.x",
			series: Series5,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["n10s"]`))),
			want:   want{plugins: []string{"n10s"}, settings: map[string]string{unrestricted: "semantics.*"}},
		},
		{
			name:   "n10s is not known to CalVer",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["n10s"]`))),
			want:   want{err: `"n10s" is not a known Neo4j plugin`},
		},
		{
			name:   "an unknown plugin fails",
			series: Series5,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc", "nope"]`))),
			want:   want{err: `"nope" is not a known Neo4j plugin`},
		},
		{
			name:   "not a JSON list",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `apoc`))),
			want:   want{err: "not a JSON list"},
		},
		{
			name:   "NEO4JLABS_PLUGINS is the old name",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4JLABS_PLUGINS", `["apoc"]`))),
			want:   want{plugins: []string{"apoc"}, settings: map[string]string{unrestricted: "apoc.*"}},
		},
		{
			name:   "an env setting still overrides a plugin property",
			series: SeriesCalVer,
			pod:    newPod(licensed(ev("NEO4J_PLUGINS", `["apoc"]`), ev("NEO4J_dbms_security_procedures_unrestricted", "x.*"))),
			want:   want{plugins: []string{"apoc"}, all: map[string][]string{unrestricted: {"x.*"}}},
		},
	})
}

func TestConfParse(t *testing.T) {
	cases := []struct {
		name      string
		lines     []string
		wantErr   string
		wantKeys  []string
		wantAll   map[string][]string
		wantGet   map[string]string
		wantDupes []string
	}{
		{
			name:    "a key set twice is a duplicate",
			lines:   []string{"a.b=1", "c.d=2", "a.b=3"},
			wantErr: "a.b", wantKeys: []string{"a.b", "c.d"}, wantDupes: []string{"a.b"},
			wantGet: map[string]string{"a.b": "3"}, wantAll: map[string][]string{"a.b": {"1", "3"}},
		},
		{
			name:     "server.jvm.additional may repeat, in order",
			lines:    []string{"server.jvm.additional=-Da=1", "x.y=z", "server.jvm.additional=-Db=2"},
			wantKeys: []string{"server.jvm.additional", "x.y"},
			wantAll:  map[string][]string{"server.jvm.additional": {"-Da=1", "-Db=2"}},
			wantGet:  map[string]string{"server.jvm.additional": "-Db=2"},
		},
		{
			name:     "comments and blank lines are ignored",
			lines:    []string{"# a.b=1", "   #a.b=2", "", "   ", "a.b=3"},
			wantKeys: []string{"a.b"},
			wantAll:  map[string][]string{"a.b": {"3"}},
		},
		{
			name:     "a value may hold =",
			lines:    []string{"server.unmanaged_extension_classes=com.neo4j.bloom.server=/browser/bloom"},
			wantKeys: []string{"server.unmanaged_extension_classes"},
			wantGet:  map[string]string{"server.unmanaged_extension_classes": "com.neo4j.bloom.server=/browser/bloom"},
		},
		{
			name:     "spaces around the key are trimmed",
			lines:    []string{"  a.b =1"},
			wantKeys: []string{"a.b"},
			wantGet:  map[string]string{"a.b": "1"},
		},
		{
			name:     "a line without = is malformed",
			lines:    []string{"a.b=1", "garbage"},
			wantErr:  "garbage",
			wantKeys: []string{"a.b"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := parse(tc.lines)
			err := c.Check()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Check = %v, want an error mentioning %q", err, tc.wantErr)
			}
			if !slices.Equal(c.Keys(), tc.wantKeys) {
				t.Errorf("Keys = %q, want %q", c.Keys(), tc.wantKeys)
			}
			if !slices.Equal(c.Duplicates, tc.wantDupes) {
				t.Errorf("Duplicates = %q, want %q", c.Duplicates, tc.wantDupes)
			}
			for k, v := range tc.wantAll {
				if got := c.All(k); !slices.Equal(got, v) {
					t.Errorf("All(%s) = %q, want %q", k, got, v)
				}
			}
			for k, v := range tc.wantGet {
				if got := c.Get(k); got != v {
					t.Errorf("Get(%s) = %q, want %q", k, got, v)
				}
			}
			if c.Has("nope") || c.Get("nope") != "" || c.All("nope") != nil {
				t.Error("an absent key reads as set")
			}
		})
	}
}

// expand is k8s.io/kubernetes third_party/forked/golang/expansion.Expand
// with MappingFuncFor over the container's earlier variables.
func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "x", "EMPTY": ""}
	cases := []struct{ in, want string }{
		{"$(A)", "x"},
		{"pre-$(A)-post", "pre-x-post"},
		{"$(A)$(A)", "xx"},
		{"$(EMPTY)|", "|"},
		{"$(B)", "$(B)"},
		{"$$", "$"},
		{"$$(A)", "$(A)"},
		{"$$$(A)", "$x"},
		{"$A", "$A"},
		{"a$", "a$"},
		{"$", "$"},
		{"$()", "$()"},
		{"$(A", "$(A"},
		{"$(A $$", "$(A $"},
		{"$(A $(A)", "$(A $(A)"}, // the name is "A $(A"
		{"100$", "100$"},
	}
	for _, tc := range cases {
		if got := expand(tc.in, vars); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestServiceLinksRefused(t *testing.T) {
	p := newPod([]corev1.EnvVar{ev("NEO4J_ACCEPT_LICENSE_AGREEMENT", "yes")})
	p.Spec.EnableServiceLinks = nil
	if _, err := Start(SeriesCalVer, p); err == nil || !strings.Contains(err.Error(), "service links are on") {
		t.Errorf("err = %v, want service links refused", err)
	}
}

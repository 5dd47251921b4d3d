package neo4jimage

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// The FAKE of running neo4j-admin in the official image with the
// container's command set (so the image's ENTRYPOINT, tini and
// docker-entrypoint.sh, does not run; Kubernetes' command replaces it).
// Facts, from the Dockerfiles of docker-image-src/5/coredb and
// calver/coredb (NEO4J_HOME=/var/lib/neo4j, ENV PATH=$NEO4J_HOME/bin:$PATH,
// user neo4j uid 7474 with home $NEO4J_HOME, /var/lib/neo4j world-
// writable) and from the Operations Manual's neo4j-admin pages
// (backup-restore/online-backup.adoc, consistency-checker.adoc, tools/
// neo4j-admin: HEAP_SIZE "a number and a unit, for example, 512m"):
//   - the command is $NEO4J_HOME/bin/neo4j-admin, or neo4j-admin on PATH;
//   - `database backup` and `database check` accept only their documented
//     options, in --name=value form, some from a version on;
//   - backup takes database names or patterns, check exactly one name;
//   - local --to-path, --from-path and --temp-path must be folders the
//     container has mounted (a cloud URI is not local);
//   - HEAP_SIZE is a number and a unit.

// AdminRun is what neo4j-admin would run.
type AdminRun struct {
	// Command is "database backup" or "database check".
	Command   string
	Options   map[string]string
	Databases []string
	Env       map[string]string
	// Dirs are the folders the container has mounted.
	Dirs map[string]bool
	// Config is what --additional-config adds (nil without it).
	Config Conf
}

// adminOption is an option of a command, known from a version on.
type adminOption struct {
	name  string
	since neo4jconf.Version
	// values, when set, are the only values accepted.
	values []string
}

var (
	v526  = neo4jconf.Version{Major: 5, Minor: 26}
	bools = []string{"true", "false"}
)

// adminOptions are the documented options of each command (5.x and dev
// manuals; the dev-only ones with the release that brought them).
var adminOptions = map[string][]adminOption{
	"database backup": {
		{name: "from", since: v526}, {name: "to-path", since: v526},
		{name: "type", since: v526, values: []string{"FULL", "DIFF", "AUTO"}},
		{name: "compress", since: v526, values: bools}, {name: "keep-failed", since: v526, values: bools},
		{name: "parallel-recovery", since: v526, values: bools}, {name: "pagecache", since: v526},
		{name: "temp-path", since: v526}, {name: "include-metadata", since: v526, values: []string{"none", "all", "users", "roles"}},
		{name: "inspect-path", since: v526}, {name: "additional-config", since: v526},
		{name: "expand-commands", since: v526, values: bools}, {name: "verbose", since: v526, values: bools},
		{name: "prefer-diff-as-parent", since: neo4jconf.Version{Major: 2025, Minor: 4}, values: bools},
		{name: "remote-address-resolution", since: neo4jconf.Version{Major: 2025, Minor: 9}, values: bools},
		{name: "parallel-download", since: neo4jconf.Version{Major: 2025, Minor: 11}, values: bools},
		{name: "skip-recovery", since: neo4jconf.Version{Major: 2025, Minor: 11}, values: bools},
	},
	"database check": {
		{name: "from-path", since: v526}, {name: "temp-path", since: v526}, {name: "report-path", since: v526},
		{name: "from-path-data", since: v526}, {name: "from-path-txn", since: v526},
		{name: "max-off-heap-memory", since: v526}, {name: "threads", since: v526},
		{name: "check-counts", since: v526, values: bools}, {name: "check-graph", since: v526, values: bools},
		{name: "check-indexes", since: v526, values: bools}, {name: "check-property-owners", since: v526, values: bools},
		{name: "additional-config", since: v526}, {name: "force", since: v526, values: bools},
		{name: "expand-commands", since: v526, values: bools}, {name: "verbose", since: v526, values: bools},
	},
}

var (
	heapSize = regexp.MustCompile(`^[0-9]+[kKmMgG]$`)
	cloudURI = regexp.MustCompile(`^(s3|gs|azb)://`)
)

// RunAdmin checks the container named name of pod as neo4j-admin of
// version v would start, and returns what it would run.
func RunAdmin(v neo4jconf.Version, pod Pod, name string) (AdminRun, error) {
	i := slices.IndexFunc(append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...), func(c corev1.Container) bool { return c.Name == name })
	if i < 0 {
		return AdminRun{}, fmt.Errorf("no container named %s", name)
	}
	c := append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)[i]
	if len(c.Command) != 1 || (c.Command[0] != Home+"/bin/neo4j-admin" && c.Command[0] != "neo4j-admin") {
		return AdminRun{}, fmt.Errorf("command %q is not neo4j-admin", c.Command)
	}
	fs, err := pod.mounts(c)
	if err != nil {
		return AdminRun{}, err
	}
	env, err := pod.adminEnv(c)
	if err != nil {
		return AdminRun{}, err
	}
	run := AdminRun{Options: map[string]string{}, Env: env, Dirs: fs.dirs}
	if h, ok := env["HEAP_SIZE"]; ok && !heapSize.MatchString(h) {
		return run, fmt.Errorf("HEAP_SIZE %q is not a number and a unit", h)
	}
	if len(c.Args) < 2 {
		return run, fmt.Errorf("args %q name no command", c.Args)
	}
	run.Command = c.Args[0] + " " + c.Args[1]
	known, ok := adminOptions[run.Command]
	if !ok {
		return run, fmt.Errorf("neo4j-admin %s is not modelled", run.Command)
	}
	for _, a := range c.Args[2:] {
		if !strings.HasPrefix(a, "--") {
			run.Databases = append(run.Databases, a)
			continue
		}
		if err := run.option(v, known, a); err != nil {
			return run, err
		}
	}
	if err := run.check(fs); err != nil {
		return run, err
	}
	return run, run.additionalConfig(fs)
}

// additionalConfig reads the --additional-config file, which must be
// mounted, and checks the SSL policies it turns on: their base directory
// must hold the key, the certificate, a trusted folder with a
// certificate, and the revoked folder (the manual: "the existence of the
// directories, the certificate file, and the private key are
// mandatory").
func (r *AdminRun) additionalConfig(fs files) error {
	file, ok := r.Options["additional-config"]
	if !ok {
		return nil
	}
	content, ok := fs.files[file]
	if !ok {
		return fmt.Errorf("--additional-config=%s is not a file the container has mounted", file)
	}
	r.Config = parse(lines(content))
	for _, k := range r.Config.Keys() {
		scope, found := strings.CutPrefix(k, "dbms.ssl.policy.")
		scope, _, _ = strings.Cut(scope, ".")
		if !found || !strings.HasSuffix(k, ".enabled") || r.Config.Get(k) != "true" {
			continue
		}
		if err := policyFiles(fs, r.Config, "dbms.ssl.policy."+scope+"."); err != nil {
			return fmt.Errorf("SSL policy %s: %w", scope, err)
		}
	}
	return nil
}

func policyFiles(fs files, conf Conf, p string) error {
	base := conf.Get(p + "base_directory")
	at := func(k string) string {
		v := conf.Get(p + k)
		if strings.HasPrefix(v, "/") {
			return v
		}
		return base + "/" + v
	}
	for _, k := range []string{"private_key", "public_certificate"} {
		if _, ok := fs.files[at(k)]; !ok {
			return fmt.Errorf("%s %s is not there", k, at(k))
		}
	}
	trusted := at("trusted_dir") + "/"
	if !slices.ContainsFunc(slices.Collect(maps.Keys(fs.files)), func(f string) bool { return strings.HasPrefix(f, trusted) }) {
		return fmt.Errorf("trusted_dir %s holds no certificate", trusted)
	}
	if !fs.dirs[at("revoked_dir")] {
		return fmt.Errorf("revoked_dir %s does not exist", at("revoked_dir"))
	}
	return nil
}

func (r *AdminRun) option(v neo4jconf.Version, known []adminOption, arg string) error {
	name, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
	if !ok {
		return fmt.Errorf("option %q is not --name=value", arg)
	}
	i := slices.IndexFunc(known, func(o adminOption) bool { return o.name == name })
	if i < 0 {
		return fmt.Errorf("neo4j-admin %s has no option --%s", r.Command, name)
	}
	if o := known[i]; v.Before(o.since) {
		return fmt.Errorf("--%s needs Neo4j %d.%d or later", name, o.since.Major, o.since.Minor)
	} else if len(o.values) > 0 && !slices.Contains(o.values, value) {
		return fmt.Errorf("--%s=%s: want one of %v", name, value, o.values)
	}
	if _, dup := r.Options[name]; dup {
		return fmt.Errorf("--%s given twice", name)
	}
	r.Options[name] = value
	return nil
}

// check applies the command's rules on databases and local folders.
func (r *AdminRun) check(fs files) error {
	switch r.Command {
	case "database check":
		if len(r.Databases) != 1 || strings.ContainsAny(r.Databases[0], "*?") {
			return fmt.Errorf("database check takes one database name, got %q", r.Databases)
		}
	case "database backup":
		if r.Options["from"] == "" {
			return fmt.Errorf("database backup without --from")
		}
	}
	for _, opt := range []string{"to-path", "from-path", "temp-path", "report-path"} {
		p, ok := r.Options[opt]
		if !ok || cloudURI.MatchString(p) {
			continue
		}
		if !fs.dirs[p] {
			return fmt.Errorf("--%s=%s is not a folder the container has mounted", opt, p)
		}
	}
	return nil
}

// adminEnv is the container's environment, envFrom Secrets included
// (each key a variable; the kubelet skips keys that are not variable
// names), then env over it.
func (p Pod) adminEnv(c corev1.Container) (map[string]string, error) {
	out := map[string]string{}
	for _, src := range c.EnvFrom {
		if src.SecretRef == nil {
			return nil, fmt.Errorf("envFrom other than a Secret is not modelled")
		}
		s := p.Secrets[src.SecretRef.Name]
		if s == nil {
			return nil, fmt.Errorf("envFrom Secret %s does not exist", src.SecretRef.Name)
		}
		for k, v := range s.Data {
			out[src.Prefix+k] = string(v)
		}
	}
	c.EnvFrom = nil
	env, err := p.environment(c, imageEnv)
	if err != nil {
		return nil, err
	}
	for _, e := range env {
		out[e.name] = e.value
	}
	return out, nil
}

package helmmigrate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/helmchart"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

const ns = "graphs"

// chart is a cluster of four releases (three primaries, one secondary) as
// the FAKE chart creates it, with bound claims and their volumes.
func chart(edit func(i int, r *helmchart.Release)) []client.Object {
	var out []client.Object
	for i, name := range []string{"server-1", "server-2", "server-3", "analytics-1"} {
		r := helmchart.Release{Namespace: ns, Name: name, Neo4jName: "prod", Image: "neo4j:5.26.12-enterprise", Password: "s3cret",
			StorageClass: "fast", Size: "100Gi", Memory: "4Gi", FirstRelease: i == 0, Secondary: name == "analytics-1",
			Env: map[string]string{"NEO4J_PLUGINS": `["apoc"]`},
			UserConfig: map[string]string{
				"dbms.cluster.discovery.version": "V2_ONLY",
				"server.memory.heap.max_size":    "1G", "server.memory.heap.initial_size": "1G", "server.memory.pagecache.size": "512m",
				"db.transaction.timeout":                           "60s",
				"dbms.security.oidc.azure.client_secret":           "hunter2",
				"apoc.export.file.enabled":                         "true",
				"dbms.security.ldap.authorization.system_password": "$(bash -c 'cat /config/ldapPassword/LDAP_PASS')",
				"server.jvm.additional":                            "-XX:+UseG1GC\n-XX:-OmitStackTraceInFastThrow\n-XX:+ExitOnOutOfMemoryError",
			}}
		if edit != nil {
			edit(i, &r)
		}
		out = append(out, helmchart.Objects(r)...)
		pv := volume("pv-"+name, r.StorageClass, "100Gi")
		claim := helmchart.Claim(r, pv.Name)
		claim.UID = types.UID("uid-" + claim.Name)
		pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: claim.Name, UID: claim.UID}
		out = append(out, pv, claim)
	}
	return out
}

func volume(name, class, size string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeSpec{
		StorageClassName: class, PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
	}}
}

func fakeClient(objs []client.Object) client.Client {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&corev1.PersistentVolumeClaim{}).Build()
}

func plan(t *testing.T, objs []client.Object, names ...string) (*Plan, error) {
	t.Helper()
	found, err := Gather(context.Background(), fakeClient(objs), ns, names)
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return Build(found, Options{Namespace: ns})
}

// TestGoldenPlan: the dry run's output for the four releases.
func TestGoldenPlan(t *testing.T) {
	p, err := plan(t, chart(nil))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.Print(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cret") || strings.Contains(b.String(), "hunter2") {
		t.Fatal("a password or secret is printed")
	}
	if p.Cluster.Spec.Config["dbms.security.oidc.azure.client_secret"] != "hunter2" {
		t.Error("the cluster created lost a secret-looking setting")
	}
	path := filepath.Join("testdata", "plan.golden")
	if *updateGolden {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("plan differs from %s (make update-golden):\n%s", path, b.String())
	}
}

func TestPlanMapsReleases(t *testing.T) {
	p, err := plan(t, chart(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Cluster.Spec
	if s.Topology.Primaries != 3 || s.Topology.Secondaries != 1 {
		t.Errorf("topology %+v, want 3 primaries and 1 secondary", s.Topology)
	}
	want := map[string]string{"analytics-1": "data-prod-secondary-0", "server-1": "data-prod-primary-0", "server-2": "data-prod-primary-1", "server-3": "data-prod-primary-2"}
	for _, sv := range p.Servers {
		if want[sv.Release] != sv.NewClaim || sv.Volume != "pv-"+sv.Release {
			t.Errorf("release %s → claim %s on %s, want %s on pv-%s", sv.Release, sv.NewClaim, sv.Volume, want[sv.Release], sv.Release)
		}
	}
	if s.Storage.Data.SubPath != "data" || s.Storage.Data.Size.String() != "100Gi" || *s.Storage.Data.StorageClassName != "fast" {
		t.Errorf("data volume %+v", s.Storage.Data)
	}
	if s.Memory.Heap.String() != "1Gi" || s.Memory.PageCache.String() != "512Mi" {
		t.Errorf("memory heap %s page cache %s, want 1Gi and 512Mi", s.Memory.Heap, s.Memory.PageCache)
	}
	if strings.Join(s.JVM.AdditionalArguments, " ") != "-XX:+ExitOnOutOfMemoryError" {
		t.Errorf("JVM arguments %v: Neo4j's defaults are rendered by the operator, the user's kept", s.JVM.AdditionalArguments)
	}
	if s.APOCConfig["apoc.export.file.enabled"] != "true" || s.Config["db.transaction.timeout"] != "60s" || len(s.Config) != 3 {
		t.Errorf("config %v apoc %v", s.Config, s.APOCConfig)
	}
	if s.Auth.SecretName != "prod-auth-from-helm" || string(p.AuthSecret.Data["NEO4J_AUTH"]) != "neo4j/s3cret" {
		t.Errorf("auth %+v", s.Auth)
	}
	c := p.Claims[0]
	if c.Spec.VolumeName != "pv-analytics-1" || *c.Spec.StorageClassName != "fast" || c.Labels["neo4j.graphops.dev/role"] != "secondary" {
		t.Errorf("claim %s: %+v %v", c.Name, c.Spec, c.Labels)
	}
}

func TestPlanRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(i int, r *helmchart.Release)
		objs func([]client.Object) []client.Object
		want string
	}{
		{"discovery v1, the 5.x default", func(_ int, r *helmchart.Release) { delete(r.UserConfig, "dbms.cluster.discovery.version") }, nil,
			"release analytics-1 runs discovery V1_ONLY (the 5.x default); the operator runs V2_ONLY"},
		{"a version the operator does not run", func(_ int, r *helmchart.Release) { r.Image = "neo4j:5.17.0-enterprise" }, nil,
			"names Neo4j 5.17; 5.26 or later is required: upgrade the releases with the chart first"},
		{"releases on two images", func(i int, r *helmchart.Release) {
			if i == 2 {
				r.Image = "neo4j:5.26.13-enterprise"
			}
		}, nil, "finish the chart's upgrade first"},
		{"two clusters", func(i int, r *helmchart.Release) {
			if i == 3 {
				r.Neo4jName = "other"
			}
		}, nil, "migrate one cluster at a time"},
		{"only secondaries", func(_ int, r *helmchart.Release) { r.Secondary = true }, nil, "a cluster needs primaries"},
		{"no password Secret", nil, func(objs []client.Object) []client.Object {
			return drop(objs, func(o client.Object) bool { _, ok := o.(*corev1.Secret); return ok })
		}, `the password Secret "prod-auth" of release analytics-1 was not found`},
		{"an unbound claim", nil, func(objs []client.Object) []client.Object {
			for _, o := range objs {
				if c, ok := o.(*corev1.PersistentVolumeClaim); ok && c.Name == "data-server-2-0" {
					c.Status.Phase = corev1.ClaimPending
				}
			}
			return objs
		}, "release server-2: claim data-server-2-0 is Pending, not bound to a volume"},
		{"a missing claim", nil, func(objs []client.Object) []client.Object {
			return drop(objs, func(o client.Object) bool { return o.GetName() == "data-server-3-0" })
		}, "release server-3: its data claim data-server-3-0 was not found"},
		{"two primaries set up differently", func(i int, r *helmchart.Release) {
			if i == 1 {
				r.UserConfig["db.transaction.timeout"] = "90s"
			}
		}, nil, "releases server-1 and server-2 (both primary) differ in config db.transaction.timeout: the operator runs every server of a role alike"},
		{"a setting on the primaries only", func(_ int, r *helmchart.Release) {
			if r.Secondary {
				delete(r.UserConfig, "db.transaction.timeout")
			}
		}, nil, "differ in config db.transaction.timeout, set on the primaries only, which spec.secondary cannot express"},
		{"transaction logs outside the data volume", func(_ int, r *helmchart.Release) {
			r.UserConfig["server.directories.transaction.logs.root"] = "/txlogs"
		}, nil, "config server.directories.transaction.logs.root=/txlogs is outside /data: the servers would start without it"},
		{"no user config", nil, func(objs []client.Object) []client.Object {
			return drop(objs, func(o client.Object) bool { return o.GetName() == "server-2-user-config" })
		}, "release server-2: ConfigMap server-2-user-config or server-2-default-config was not found"},
		{"two releases on one volume", nil, func(objs []client.Object) []client.Object {
			for _, o := range objs {
				if c, ok := o.(*corev1.PersistentVolumeClaim); ok && c.Name == "data-server-3-0" {
					c.Spec.VolumeName = "pv-server-2"
				}
			}
			return objs
		}, "releases server-2 and server-3 both use volume pv-server-2"},
		{"a memory limit the heap does not fit", func(_ int, r *helmchart.Release) { r.Memory = "2Gi" }, nil,
			"the cluster that matches the releases would not run: primaries: heap 1024m + page cache 512m + 1Gi of headroom must fit within the memory limit 2Gi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := chart(tc.edit)
			if tc.objs != nil {
				objs = tc.objs(objs)
			}
			_, err := plan(t, objs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func drop(objs []client.Object, f func(client.Object) bool) []client.Object {
	var out []client.Object
	for _, o := range objs {
		if !f(o) {
			out = append(out, o)
		}
	}
	return out
}

func TestNeo4jBytes(t *testing.T) {
	for in, want := range map[string]string{"1G": "1Gi", "512m": "512Mi", "2GiB": "2Gi", "300MB": "300Mi", "1024k": "1Mi", "4096": "4Ki",
		"1g": "1Gi", "2gb": "2Gi", "1.5G": "1536Mi", "2TB": "2Ti", "1kB": "1Ki", "3 G": "3Gi"} {
		q, err := neo4jBytes(in)
		if err != nil || q.String() != want {
			t.Errorf("%s: %v %v, want %s", in, q.String(), err, want)
		}
	}
	// Spellings the settings reference does not list, and an overflow.
	for _, in := range []string{"G", "", "2Gi", "10x", "1Gb", "1GIB", "1t", "16EB"} {
		if _, err := neo4jBytes(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestPlanSecondariesOfTheirOwn: what the secondaries run differently goes
// to spec.secondary; folders off the data volume are left out, with a note.
func TestPlanSecondariesOfTheirOwn(t *testing.T) {
	p, err := plan(t, chart(func(_ int, r *helmchart.Release) {
		r.UserConfig["server.directories.import"] = "/import"
		if r.Secondary {
			r.Memory = "8Gi"
			r.UserConfig["server.memory.pagecache.size"] = "4g"
			r.UserConfig["db.transaction.timeout"] = "5m"
			r.UserConfig["gds.enterprise.license_file"] = "/licenses/gds.license"
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Cluster.Spec
	if s.Resources.Limits.Memory().String() != "4Gi" || s.Secondary.Resources.Limits.Memory().String() != "8Gi" {
		t.Errorf("resources: cluster %v, secondaries %v", s.Resources.Limits, s.Secondary.Resources)
	}
	if s.Memory.PageCache.String() != "512Mi" || s.Secondary.Memory.PageCache.String() != "4Gi" || s.Secondary.Memory.Heap.String() != "1Gi" {
		t.Errorf("memory: cluster %+v, secondaries %+v", s.Memory, s.Secondary.Memory)
	}
	want := v1alpha1.Neo4jConfig{"db.transaction.timeout": "5m", "gds.enterprise.license_file": "/licenses/gds.license"}
	if !equality.Semantic.DeepEqual(s.Secondary.Config, want) || s.Config["db.transaction.timeout"] != "60s" {
		t.Errorf("config: cluster %v, secondaries %v", s.Config, s.Secondary.Config)
	}
	if _, ok := s.Config["server.directories.import"]; ok || !strings.Contains(strings.Join(p.Notes, "\n"), "config server.directories.import=/import not carried over: only /data moves") {
		t.Errorf("import folder: config %v notes %v", s.Config, p.Notes)
	}
	if n := strings.Count(strings.Join(p.Notes, "\n"), "server.memory.heap.initial_size"); n != 1 {
		t.Errorf("the initial heap note appears %d times, want once", n)
	}
	if p.Servers[0].Release != "analytics-1" || p.Claims[0].Spec.StorageClassName == nil || *p.Claims[0].Spec.StorageClassName != "fast" {
		t.Errorf("claim class from the volume: %+v", p.Claims[0].Spec)
	}
}

package backup

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The backup port of every server of testCluster (which reports no
// status.servers: Neo4j not observed), secondaries first.
const from = "--from=" +
	"graph-secondary-0-internals.db.svc.cluster.local:6362," +
	"graph-secondary-1-internals.db.svc.cluster.local:6362," +
	"graph-primary-0-internals.db.svc.cluster.local:6362," +
	"graph-primary-1-internals.db.svc.cluster.local:6362," +
	"graph-primary-2-internals.db.svc.cluster.local:6362"

func testCluster() *v1alpha1.Neo4jEnterpriseCluster {
	return &v1alpha1.Neo4jEnterpriseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "graph", Namespace: "db"},
		Spec: v1alpha1.Neo4jEnterpriseClusterSpec{
			Topology: v1alpha1.Topology{Primaries: 3, Secondaries: 2},
			Image:    v1alpha1.ImageSpec{Tag: "2025.10.1-enterprise"},
			Backup:   v1alpha1.BackupSpec{Enabled: true},
		},
	}
}

func clusterWithTag(tag string) *v1alpha1.Neo4jEnterpriseCluster {
	c := testCluster()
	c.Spec.Image.Tag = tag
	return c
}

func newBackup(name string, s v1alpha1.Neo4jBackupSpec) *v1alpha1.Neo4jBackup {
	s.Cluster = "graph"
	return &v1alpha1.Neo4jBackup{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db"}, Spec: s}
}

func qty(s string) *resource.Quantity { return ptr.To(resource.MustParse(s)) }

// Targets used across the tests.
var (
	volumeTarget = v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups", Path: "neo4j/graph"}}
	s3FileTarget = v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "neo4j-backups", Prefix: "prod/graph",
		Credentials: &v1alpha1.CloudCredentials{SecretName: "aws-backup", Key: "credentials"}}}
	s3EnvTarget = v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "neo4j-backups", Prefix: "prod/graph",
		Credentials: &v1alpha1.CloudCredentials{SecretName: "aws-env-creds"}}}
	s3IRSATarget = v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "neo4j-backups", Prefix: "prod/graph"}}
	gcsKeyTarget = v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "neo4j-backups", Prefix: "graph",
		Credentials: &v1alpha1.CloudCredentials{SecretName: "gcs-sa", Key: "key.json"}}}
	azureEnvTarget = v1alpha1.BackupTarget{Azure: &v1alpha1.AzureTarget{StorageAccount: "neo4jbackups", Container: "backups", Prefix: "graph",
		Credentials: &v1alpha1.CloudCredentials{SecretName: "azure-storage"}}}
)

func shared(t v1alpha1.BackupTarget) v1alpha1.BackupTarget {
	t = *t.DeepCopy()
	t.Folder = v1alpha1.FolderShared
	return t
}

// goldenCases are the Jobs kept in testdata/<name>.yaml.
func goldenCases() []struct {
	name   string
	backup *v1alpha1.Neo4jBackup
} {
	return []struct {
		name   string
		backup *v1alpha1.Neo4jBackup
	}{
		{"volume", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget})},
		{"volume-shared", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: shared(volumeTarget)})},
		{"s3-credentials-file", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: s3FileTarget})},
		{"s3-env-credentials", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: s3EnvTarget})},
		{"s3-irsa", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: s3IRSATarget, ServiceAccountName: "neo4j-backup"})},
		{"gcs-key", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: gcsKeyTarget})},
		{"azure-env-credentials", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: azureEnvTarget})},
		{"consistency-check", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{
			Target: volumeTarget, Databases: []string{"neo4j", "system"}, Type: v1alpha1.BackupFull, ConsistencyCheck: true,
		})},
		{"temp-volume-claim", newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{
			Target:     s3IRSATarget,
			TempVolume: v1alpha1.TempVolumeSpec{Size: qty("50Gi"), StorageClassName: ptr.To("fast-ssd")},
			Heap:       qty("1Gi"),
			PageCache:  qty("2Gi"),
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("4Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi")},
			},
			ServiceAccountName: "neo4j-backup",
		})},
	}
}

func jobYAML(t *testing.T, j *batchv1.Job) []byte {
	t.Helper()
	j = j.DeepCopy()
	j.TypeMeta = metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}
	data, err := yaml.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestJobGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, jobYAML(t, Job(tc.backup, testCluster()))) })
	}
}

// golden compares got with testdata/<name>.yaml, or writes it there with
// -update (make update-golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make update-golden)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Job %s differs from %s; if intended, run make update-golden and review the diff.\ngot:\n%s", name, path, got)
	}
}

// With spec.tls.backup, the backup step presents the cluster's backup
// certificate and reads the client policy (golden file backup-tls.yaml).
func TestJobGoldenBackupTLS(t *testing.T) {
	c := testCluster()
	c.Spec.TLS.Backup = &v1alpha1.TLSCertificate{SecretName: "graph-backup-tls"}
	b := newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget})
	golden(t, "backup-tls", jobYAML(t, Job(b, c)))
	args := Job(b, c).Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, "--additional-config=/backup-conf/neo4j-admin.conf") {
		t.Errorf("args %q lack the client policy", args)
	}
}

func TestJobDeterministic(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			first := jobYAML(t, Job(tc.backup, testCluster()))
			for i := 0; i < 20; i++ {
				if again := jobYAML(t, Job(tc.backup, testCluster())); !bytes.Equal(first, again) {
					t.Fatalf("render %d differs from the first:\n%s\nvs\n%s", i+2, first, again)
				}
			}
		})
	}
}

func TestJobDoesNotModifyItsInputs(t *testing.T) {
	b := newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: s3FileTarget, PodLabels: map[string]string{"team": "data"}})
	c := testCluster()
	wantB, wantC := b.DeepCopy(), c.DeepCopy()
	j := Job(b, c)
	j.Spec.Template.Labels["team"] = "changed"
	j.Spec.Template.Spec.Containers[0].Args[0] = "changed"
	if !reflect.DeepEqual(b, wantB) {
		t.Errorf("Job changed the backup:\n%+v\nwant\n%+v", b, wantB)
	}
	if !reflect.DeepEqual(c, wantC) {
		t.Errorf("Job changed the cluster")
	}
}

func TestBackupArgs(t *testing.T) {
	head := func(toPath string) []string {
		return []string{"database", "backup", from, "--to-path=" + toPath, "--type=AUTO", "--compress=true", "--include-metadata=all", "--temp-path=/backup-temp"}
	}
	with := func(base []string, more ...string) []string { return append(append([]string{}, base...), more...) }
	for _, tc := range []struct {
		name string
		spec v1alpha1.Neo4jBackupSpec
		want []string
	}{
		{"defaults", v1alpha1.Neo4jBackupSpec{Target: volumeTarget}, []string{
			"database", "backup",
			"--from=graph-secondary-0-internals.db.svc.cluster.local:6362,graph-secondary-1-internals.db.svc.cluster.local:6362,graph-primary-0-internals.db.svc.cluster.local:6362,graph-primary-1-internals.db.svc.cluster.local:6362,graph-primary-2-internals.db.svc.cluster.local:6362",
			"--to-path=/backups",
			"--type=AUTO",
			"--compress=true",
			"--include-metadata=all",
			"--temp-path=/backup-temp",
			"*",
		}},
		{"pageCache 2Gi", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, PageCache: qty("2Gi")},
			with(head("/backups"), "--pagecache=2048m", "*")},
		{"pageCache 1.5Gi", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, PageCache: qty("1536Mi")},
			with(head("/backups"), "--pagecache=1536m", "*")},
		{"pageCache decimal 500M rounds down to whole MiB", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, PageCache: qty("500M")},
			with(head("/backups"), "--pagecache=476m", "*")},
		{"pageCache 1Ki is at least 1m", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, PageCache: qty("1Ki")},
			with(head("/backups"), "--pagecache=1m", "*")},
		{"compress false", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, Compress: ptr.To(false)},
			[]string{"database", "backup", from, "--to-path=/backups", "--type=AUTO", "--compress=false", "--include-metadata=all", "--temp-path=/backup-temp", "*"}},
		{"includeMetadata users", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, IncludeMetadata: "users"},
			[]string{"database", "backup", from, "--to-path=/backups", "--type=AUTO", "--compress=true", "--include-metadata=users", "--temp-path=/backup-temp", "*"}},
		{"type FULL", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, Type: v1alpha1.BackupFull},
			[]string{"database", "backup", from, "--to-path=/backups", "--type=FULL", "--compress=true", "--include-metadata=all", "--temp-path=/backup-temp", "*"}},
		{"parallelDownload", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, ParallelDownload: true},
			with(head("/backups"), "--parallel-download=true", "*")},
		{"pageCache then parallelDownload", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, ParallelDownload: true, PageCache: qty("1Gi")},
			with(head("/backups"), "--pagecache=1024m", "--parallel-download=true", "*")},
		{"databases and patterns keep their order, last", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, Databases: []string{"system", "neo4j", "sales-*", "db?"}},
			with(head("/backups"), "system", "neo4j", "sales-*", "db?")},
		{"volume Shared writes into the mounted path", v1alpha1.Neo4jBackupSpec{Target: shared(volumeTarget)},
			with(head("/backups"), "*")},
		{"s3 PerBackup with prefix", v1alpha1.Neo4jBackupSpec{Target: s3FileTarget},
			with(head("s3://neo4j-backups/prod/graph/nightly-1/"), "*")},
		{"s3 PerBackup without prefix", v1alpha1.Neo4jBackupSpec{Target: v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "bucket"}}},
			with(head("s3://bucket/nightly-1/"), "*")},
		{"s3 Shared with prefix", v1alpha1.Neo4jBackupSpec{Target: shared(s3IRSATarget)},
			with(head("s3://neo4j-backups/prod/graph/"), "*")},
		{"s3 Shared without prefix", v1alpha1.Neo4jBackupSpec{Target: v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "bucket"}, Folder: v1alpha1.FolderShared}},
			with(head("s3://bucket/"), "*")},
		{"gcs PerBackup with prefix", v1alpha1.Neo4jBackupSpec{Target: gcsKeyTarget},
			with(head("gs://neo4j-backups/graph/nightly-1/"), "*")},
		{"gcs PerBackup without prefix", v1alpha1.Neo4jBackupSpec{Target: v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "bucket"}}},
			with(head("gs://bucket/nightly-1/"), "*")},
		{"gcs Shared with prefix", v1alpha1.Neo4jBackupSpec{Target: shared(gcsKeyTarget)},
			with(head("gs://neo4j-backups/graph/"), "*")},
		{"azure PerBackup with prefix", v1alpha1.Neo4jBackupSpec{Target: azureEnvTarget},
			with(head("azb://neo4jbackups/backups/graph/nightly-1/"), "*")},
		{"azure PerBackup without prefix", v1alpha1.Neo4jBackupSpec{Target: v1alpha1.BackupTarget{Azure: &v1alpha1.AzureTarget{StorageAccount: "acct", Container: "box"}}},
			with(head("azb://acct/box/nightly-1/"), "*")},
		{"azure Shared without prefix", v1alpha1.Neo4jBackupSpec{Target: v1alpha1.BackupTarget{Azure: &v1alpha1.AzureTarget{StorageAccount: "acct", Container: "box"}, Folder: v1alpha1.FolderShared}},
			with(head("azb://acct/box/"), "*")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BackupArgs("nightly-1", Defaulted(tc.spec), testCluster())
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("BackupArgs =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestBackupArgsFollowTheCluster(t *testing.T) {
	c := testCluster()
	c.Namespace = "other"
	c.Spec.Topology = v1alpha1.Topology{Primaries: 1}
	c.Spec.ClusterDomain = "k8s.example"
	got := BackupArgs("b", Defaulted(v1alpha1.Neo4jBackupSpec{Target: volumeTarget}), c)
	if want := "--from=graph-primary-0-internals.other.svc.k8s.example:6362"; got[2] != want {
		t.Errorf("got %q, want %q", got[2], want)
	}
}

func TestCheckArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec v1alpha1.Neo4jBackupSpec
		db   string
		want []string
	}{
		{"volume reads the mounted folder", v1alpha1.Neo4jBackupSpec{Target: volumeTarget}, "neo4j",
			[]string{"database", "check", "--from-path=/backups", "--temp-path=/backup-temp", "--report-path=/backup-temp", "neo4j"}},
		{"s3 reads the backup's folder", v1alpha1.Neo4jBackupSpec{Target: s3FileTarget}, "system",
			[]string{"database", "check", "--from-path=s3://neo4j-backups/prod/graph/nightly-1/", "--temp-path=/backup-temp", "--report-path=/backup-temp", "system"}},
		{"gcs", v1alpha1.Neo4jBackupSpec{Target: gcsKeyTarget}, "neo4j",
			[]string{"database", "check", "--from-path=gs://neo4j-backups/graph/nightly-1/", "--temp-path=/backup-temp", "--report-path=/backup-temp", "neo4j"}},
		{"azure", v1alpha1.Neo4jBackupSpec{Target: azureEnvTarget}, "neo4j",
			[]string{"database", "check", "--from-path=azb://neo4jbackups/backups/graph/nightly-1/", "--temp-path=/backup-temp", "--report-path=/backup-temp", "neo4j"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckArgs("nightly-1", Defaulted(tc.spec), tc.db); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CheckArgs =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestConsistencyCheckSteps(t *testing.T) {
	j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{
		Target: volumeTarget, Databases: []string{"neo4j", "system"}, Type: v1alpha1.BackupFull, ConsistencyCheck: true,
	}), testCluster())
	pod := j.Spec.Template.Spec
	var initNames, names []string
	for _, c := range pod.InitContainers {
		initNames = append(initNames, c.Name)
	}
	for _, c := range pod.Containers {
		names = append(names, c.Name)
	}
	if want := []string{"backup", "check-0"}; !reflect.DeepEqual(initNames, want) {
		t.Errorf("init containers %q, want %q", initNames, want)
	}
	if want := []string{"check-1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("containers %q, want %q", names, want)
	}
	wantArgs := [][]string{
		{"database", "backup", from, "--to-path=/backups", "--type=FULL", "--compress=true", "--include-metadata=all", "--temp-path=/backup-temp", "neo4j", "system"},
		{"database", "check", "--from-path=/backups", "--temp-path=/backup-temp", "--report-path=/backup-temp", "neo4j"},
		{"database", "check", "--from-path=/backups", "--temp-path=/backup-temp", "--report-path=/backup-temp", "system"},
	}
	all := append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...)
	for i, c := range all {
		if !reflect.DeepEqual(c.Args, wantArgs[i]) {
			t.Errorf("%s args %q, want %q", c.Name, c.Args, wantArgs[i])
		}
		if want := []string{"/var/lib/neo4j/bin/neo4j-admin"}; !reflect.DeepEqual(c.Command, want) {
			t.Errorf("%s command %q, want %q", c.Name, c.Command, want)
		}
	}

	// Without a check, the backup is the only container.
	j = Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget}), testCluster())
	if pod := j.Spec.Template.Spec; pod.InitContainers != nil || len(pod.Containers) != 1 || pod.Containers[0].Name != "backup" {
		t.Errorf("init %v, containers %v: want no init containers and one container named backup", pod.InitContainers, pod.Containers)
	}
}

func TestLocation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target v1alpha1.BackupTarget
		want   string
	}{
		{"volume PerBackup", volumeTarget, "pvc://backups/neo4j/graph/nightly-1/"},
		{"volume Shared", shared(volumeTarget), "pvc://backups/neo4j/graph/"},
		{"volume PerBackup without path", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}}, "pvc://backups/nightly-1/"},
		{"volume Shared without path", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}, Folder: v1alpha1.FolderShared}, "pvc://backups/"},
		{"s3 PerBackup", s3FileTarget, "s3://neo4j-backups/prod/graph/nightly-1/"},
		{"s3 Shared", shared(s3EnvTarget), "s3://neo4j-backups/prod/graph/"},
		{"gcs PerBackup", gcsKeyTarget, "gs://neo4j-backups/graph/nightly-1/"},
		{"gcs Shared without prefix", v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "bucket"}, Folder: v1alpha1.FolderShared}, "gs://bucket/"},
		{"azure PerBackup", azureEnvTarget, "azb://neo4jbackups/backups/graph/nightly-1/"},
		{"azure Shared", shared(azureEnvTarget), "azb://neo4jbackups/backups/graph/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Location("nightly-1", Defaulted(v1alpha1.Neo4jBackupSpec{Target: tc.target})); got != tc.want {
				t.Errorf("Location = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHeapEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		heap *resource.Quantity
		want []corev1.EnvVar
	}{
		{"unset", nil, []corev1.EnvVar{{Name: "HOME", Value: "/backup-home"}}},
		{"512Mi", qty("512Mi"), []corev1.EnvVar{{Name: "HOME", Value: "/backup-home"}, {Name: "HEAP_SIZE", Value: "512m"}}},
		{"2Gi", qty("2Gi"), []corev1.EnvVar{{Name: "HOME", Value: "/backup-home"}, {Name: "HEAP_SIZE", Value: "2048m"}}},
		{"1Ki is at least 1m", qty("1Ki"), []corev1.EnvVar{{Name: "HOME", Value: "/backup-home"}, {Name: "HEAP_SIZE", Value: "1m"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, Heap: tc.heap}), testCluster())
			if got := j.Spec.Template.Spec.Containers[0].Env; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("env %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGCSKeyFile(t *testing.T) {
	j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: gcsKeyTarget}), testCluster())
	pod := j.Spec.Template.Spec
	wantEnv := []corev1.EnvVar{{Name: "HOME", Value: "/backup-home"}, {Name: "GOOGLE_APPLICATION_CREDENTIALS", Value: "/credentials/key.json"}}
	if got := pod.Containers[0].Env; !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("env %+v, want %+v", got, wantEnv)
	}
	wantVol := corev1.Volume{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: "gcs-sa", Items: []corev1.KeyToPath{{Key: "key.json", Path: "key.json"}}, DefaultMode: ptr.To[int32](0o440),
	}}}
	if got := pod.Volumes[len(pod.Volumes)-1]; !reflect.DeepEqual(got, wantVol) {
		t.Errorf("volume %+v, want %+v", got, wantVol)
	}
	wantMount := corev1.VolumeMount{Name: "credentials", MountPath: "/credentials", ReadOnly: true}
	if got := pod.Containers[0].VolumeMounts[len(pod.Containers[0].VolumeMounts)-1]; !reflect.DeepEqual(got, wantMount) {
		t.Errorf("mount %+v, want %+v", got, wantMount)
	}
}

func TestS3CredentialsFile(t *testing.T) {
	j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: s3FileTarget}), testCluster())
	pod := j.Spec.Template.Spec
	wantVol := corev1.Volume{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName:  "aws-backup",
		Items:       []corev1.KeyToPath{{Key: "credentials", Path: "credentials"}, {Key: "config", Path: "config"}},
		DefaultMode: ptr.To[int32](0o440),
		Optional:    ptr.To(true),
	}}}
	if got := pod.Volumes[len(pod.Volumes)-1]; !reflect.DeepEqual(got, wantVol) {
		t.Errorf("volume %+v, want %+v", got, wantVol)
	}
	wantMounts := []corev1.VolumeMount{
		{Name: "home", MountPath: "/backup-home"},
		{Name: "temp", MountPath: "/backup-temp"},
		{Name: "credentials", MountPath: "/backup-home/.aws", ReadOnly: true},
	}
	if got := pod.Containers[0].VolumeMounts; !reflect.DeepEqual(got, wantMounts) {
		t.Errorf("mounts %+v, want %+v", got, wantMounts)
	}
	if got := pod.Containers[0].EnvFrom; got != nil {
		t.Errorf("envFrom %+v, want none with a credentials file", got)
	}
}

func TestTempVolume(t *testing.T) {
	j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget}), testCluster())
	want := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: qty("10Gi")}}
	if got := j.Spec.Template.Spec.Volumes[1]; got.Name != "temp" || !reflect.DeepEqual(got.VolumeSource, want) {
		t.Errorf("temp volume %+v, want an emptyDir limited to 10Gi", got)
	}
	j = Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget,
		TempVolume: v1alpha1.TempVolumeSpec{Size: qty("50Gi"), StorageClassName: ptr.To("fast-ssd")}}), testCluster())
	want = corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"neo4j.graphops.dev/backup": "nightly-1"}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To("fast-ssd"),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("50Gi")}},
		},
	}}}
	if got := j.Spec.Template.Spec.Volumes[1]; got.Name != "temp" || !reflect.DeepEqual(got.VolumeSource, want) {
		t.Errorf("temp volume %+v, want %+v", got.VolumeSource, want)
	}
}

func TestVolumeMountSubPath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target v1alpha1.BackupTarget
		want   string
	}{
		{"PerBackup", volumeTarget, "neo4j/graph/nightly-1"},
		{"Shared", shared(volumeTarget), "neo4j/graph"},
		{"PerBackup without path", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}}, "nightly-1"},
		{"Shared without path mounts the claim's root", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}, Folder: v1alpha1.FolderShared}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: tc.target}), testCluster()).Spec.Template.Spec
			want := corev1.VolumeMount{Name: "target", MountPath: "/backups", SubPath: tc.want}
			if got := pod.Containers[0].VolumeMounts[2]; !reflect.DeepEqual(got, want) {
				t.Errorf("mount %+v, want %+v", got, want)
			}
			wantVol := corev1.Volume{Name: "target", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "backups"}}}
			if got := pod.Volumes[2]; !reflect.DeepEqual(got, wantVol) {
				t.Errorf("volume %+v, want %+v", got, wantVol)
			}
		})
	}
}

// TestNoSecretOnTheCommandLine: credentials reach the pod as a mounted
// file or as variables from the Secret, never as values in the spec.
func TestNoSecretOnTheCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  v1alpha1.BackupTarget
		secret  string
		envFrom bool
	}{
		{"s3 env credentials", s3EnvTarget, "aws-env-creds", true},
		{"azure env credentials", azureEnvTarget, "azure-storage", true},
		{"s3 credentials file", s3FileTarget, "aws-backup", false},
		{"gcs key file", gcsKeyTarget, "gcs-sa", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{
				Target: tc.target, Databases: []string{"neo4j"}, Type: v1alpha1.BackupFull, ConsistencyCheck: true, Heap: qty("1Gi"),
			}), testCluster())
			pod := j.Spec.Template.Spec
			all := append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...)
			if len(all) != 2 {
				t.Fatalf("want a backup and a check container, got %d", len(all))
			}
			for _, c := range all {
				var wantEnvFrom []corev1.EnvFromSource
				if tc.envFrom {
					wantEnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: tc.secret}}}}
				}
				if !reflect.DeepEqual(c.EnvFrom, wantEnvFrom) {
					t.Errorf("%s: envFrom %+v, want %+v", c.Name, c.EnvFrom, wantEnvFrom)
				}
				for _, e := range c.Env {
					if e.ValueFrom != nil {
						t.Errorf("%s: variable %s reads %+v; secrets come through envFrom or files only", c.Name, e.Name, e.ValueFrom)
					}
					switch e.Name {
					case "HOME", "HEAP_SIZE", "GOOGLE_APPLICATION_CREDENTIALS":
					default:
						t.Errorf("%s: unexpected variable %s=%q", c.Name, e.Name, e.Value)
					}
					if strings.Contains(e.Value, tc.secret) {
						t.Errorf("%s: variable %s=%q names the Secret", c.Name, e.Name, e.Value)
					}
				}
				for _, a := range append(append([]string{}, c.Command...), c.Args...) {
					if strings.Contains(strings.ToLower(a), "secret") || strings.Contains(a, tc.secret) {
						t.Errorf("%s: argument %q mentions a secret", c.Name, a)
					}
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tag      string
		parallel bool
		want     string
	}{
		{"parallelDownload on 5.26", "5.26.12-enterprise", true, "parallelDownload needs Neo4j 2025.11 or later; the cluster runs 5.26"},
		{"parallelDownload on 2025.10", "2025.10.1-enterprise", true, "parallelDownload needs Neo4j 2025.11 or later; the cluster runs 2025.10"},
		{"parallelDownload on 2025.11", "2025.11.0-enterprise", true, ""},
		{"parallelDownload on 2026.01", "2026.01.0-enterprise", true, ""},
		{"no parallelDownload on 5.26", "5.26.12-enterprise", false, ""},
		{"default tag", "", false, ""},
		{"default tag is 2025.10", "", true, "parallelDownload needs Neo4j 2025.11 or later; the cluster runs 2025.10"},
		{"unreadable tag", "latest", false, `image tag "latest" does not start with a Neo4j version such as 2025.10.1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Version(Defaulted(v1alpha1.Neo4jBackupSpec{Target: volumeTarget, ParallelDownload: tc.parallel}), clusterWithTag(tc.tag))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Version = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCleanupJob(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  v1alpha1.BackupTarget
		subPath string
	}{
		{"with path", volumeTarget, "neo4j/graph"},
		{"without path", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackup("nightly-202612010600", v1alpha1.Neo4jBackupSpec{Target: tc.target})
			j := CleanupJob(b, testCluster(), "nightly-202612010600-cleanup")
			if j.Name != "nightly-202612010600-cleanup" || j.Namespace != "db" {
				t.Errorf("job %s/%s, want db/nightly-202612010600-cleanup", j.Namespace, j.Name)
			}
			pod := j.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			c := pod.Containers[0]
			if want := []string{"rm", "-rf", "--", "/backups/nightly-202612010600"}; !reflect.DeepEqual(c.Command, want) {
				t.Errorf("command %q, want %q", c.Command, want)
			}
			if c.Args != nil {
				t.Errorf("args %q, want none", c.Args)
			}
			if want := []corev1.VolumeMount{{Name: "target", MountPath: "/backups", SubPath: tc.subPath}}; !reflect.DeepEqual(c.VolumeMounts, want) {
				t.Errorf("mounts %+v, want %+v", c.VolumeMounts, want)
			}
			wantVol := []corev1.Volume{{Name: "target", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "backups"}}}}
			if !reflect.DeepEqual(pod.Volumes, wantVol) {
				t.Errorf("volumes %+v, want %+v", pod.Volumes, wantVol)
			}
			if c.Image != "neo4j:2025.10.1-enterprise" {
				t.Errorf("image %q", c.Image)
			}
			if pod.RestartPolicy != corev1.RestartPolicyNever || !reflect.DeepEqual(pod.AutomountServiceAccountToken, ptr.To(false)) {
				t.Errorf("restartPolicy %s automount %v, want Never and false", pod.RestartPolicy, pod.AutomountServiceAccountToken)
			}
			if !reflect.DeepEqual(j.Spec.BackoffLimit, ptr.To[int32](2)) {
				t.Errorf("backoffLimit %v, want 2", j.Spec.BackoffLimit)
			}
			wantLabels := map[string]string{
				"app.kubernetes.io/name":       "neo4j",
				"app.kubernetes.io/managed-by": "neo4j-operator",
				"app.kubernetes.io/component":  "backup-cleanup",
				"neo4j.graphops.dev/backup":    "nightly-202612010600",
				"neo4j.graphops.dev/backup-of": "graph",
			}
			if !reflect.DeepEqual(j.Labels, wantLabels) || !reflect.DeepEqual(j.Spec.Template.Labels, wantLabels) {
				t.Errorf("labels %v / pod %v, want %v", j.Labels, j.Spec.Template.Labels, wantLabels)
			}
			checkSecure(t, j)
		})
	}
}

func TestDeletable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target v1alpha1.BackupTarget
		want   bool
	}{
		{"volume PerBackup", v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}, Folder: v1alpha1.FolderPerBackup}, true},
		{"volume, folder defaulted to PerBackup", volumeTarget, true},
		{"volume Shared", shared(volumeTarget), false},
		{"s3 PerBackup", s3FileTarget, false},
		{"s3 Shared", shared(s3FileTarget), false},
		{"gcs PerBackup", gcsKeyTarget, false},
		{"azure PerBackup", azureEnvTarget, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Deletable(v1alpha1.Neo4jBackupSpec{Target: tc.target}); got != tc.want {
				t.Errorf("Deletable = %t, want %t", got, tc.want)
			}
		})
	}
}

// checkSecure asserts the restricted pod security standard and that the
// pod is never selected by the cluster's Services.
func checkSecure(t *testing.T, j *batchv1.Job) {
	t.Helper()
	pod := j.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil {
		t.Fatal("no pod security context")
	}
	if !reflect.DeepEqual(psc.RunAsNonRoot, ptr.To(true)) || !reflect.DeepEqual(psc.RunAsUser, ptr.To[int64](7474)) ||
		!reflect.DeepEqual(psc.RunAsGroup, ptr.To[int64](7474)) || !reflect.DeepEqual(psc.FSGroup, ptr.To[int64](7474)) {
		t.Errorf("pod security context %+v: want non-root user, group and fsGroup 7474", psc)
	}
	if !reflect.DeepEqual(psc.SeccompProfile, &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}) {
		t.Errorf("seccomp %+v, want RuntimeDefault", psc.SeccompProfile)
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s, want Never", pod.RestartPolicy)
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no security context", c.Name)
			continue
		}
		if !reflect.DeepEqual(sc.AllowPrivilegeEscalation, ptr.To(false)) {
			t.Errorf("%s: allowPrivilegeEscalation %v, want false", c.Name, sc.AllowPrivilegeEscalation)
		}
		if !reflect.DeepEqual(sc.Capabilities, &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}) {
			t.Errorf("%s: capabilities %+v, want drop ALL", c.Name, sc.Capabilities)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", c.Name)
		}
		if c.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
			t.Errorf("%s: terminationMessagePolicy %q, want FallbackToLogsOnError", c.Name, c.TerminationMessagePolicy)
		}
	}
	for _, labels := range []map[string]string{j.Labels, j.Spec.Template.Labels} {
		for _, k := range []string{"neo4j.graphops.dev/cluster", "neo4j.graphops.dev/role"} {
			if v, ok := labels[k]; ok {
				t.Errorf("label %s=%s: the cluster's Services select pods by it", k, v)
			}
		}
	}
}

func TestJobSecurity(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			j := Job(tc.backup, testCluster())
			checkSecure(t, j)
			pod := j.Spec.Template.Spec
			wantToken := tc.backup.Spec.ServiceAccountName != ""
			if !reflect.DeepEqual(pod.AutomountServiceAccountToken, ptr.To(wantToken)) {
				t.Errorf("automountServiceAccountToken %v, want %t", pod.AutomountServiceAccountToken, wantToken)
			}
			if pod.ServiceAccountName != tc.backup.Spec.ServiceAccountName {
				t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, tc.backup.Spec.ServiceAccountName)
			}
			if !reflect.DeepEqual(j.Spec.BackoffLimit, ptr.To[int32](3)) {
				t.Errorf("backoffLimit %v, want 3", j.Spec.BackoffLimit)
			}
		})
	}
}

// A failed pod is retried 3 times unless the user says otherwise, 0
// (no retry) included.
func TestJobBackoffLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  *int32
		want int32
	}{{"unset", nil, 3}, {"0: no retry", ptr.To[int32](0), 0}, {"5", ptr.To[int32](5), 5}} {
		t.Run(tc.name, func(t *testing.T) {
			j := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, BackoffLimit: tc.set}), testCluster())
			if got := j.Spec.BackoffLimit; got == nil || *got != tc.want {
				t.Errorf("backoffLimit %v, want %d", got, tc.want)
			}
		})
	}
}

func TestJobLabels(t *testing.T) {
	b := newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget,
		PodLabels:      map[string]string{"team": "data", "neo4j.graphops.dev/backup": "mine"},
		PodAnnotations: map[string]string{"cost-center": "42"},
	})
	j := Job(b, testCluster())
	wantJob := map[string]string{
		"app.kubernetes.io/name":       "neo4j",
		"app.kubernetes.io/managed-by": "neo4j-operator",
		"app.kubernetes.io/component":  "backup",
		"neo4j.graphops.dev/backup":    "nightly-1",
		"neo4j.graphops.dev/backup-of": "graph",
	}
	if !reflect.DeepEqual(j.Labels, wantJob) {
		t.Errorf("job labels %v, want %v", j.Labels, wantJob)
	}
	wantPod := map[string]string{"team": "data"}
	for k, v := range wantJob {
		wantPod[k] = v // the operator's labels win over podLabels
	}
	if !reflect.DeepEqual(j.Spec.Template.Labels, wantPod) {
		t.Errorf("pod labels %v, want %v", j.Spec.Template.Labels, wantPod)
	}
	if want := map[string]string{"cost-center": "42"}; !reflect.DeepEqual(j.Spec.Template.Annotations, want) {
		t.Errorf("pod annotations %v, want %v", j.Spec.Template.Annotations, want)
	}
}

// TestPodLabelsCannotJoinTheClientService: spec.podLabels is copied onto
// the pod as is, so a user label neo4j.graphops.dev/cluster=<cluster>
// puts the backup pod behind the cluster's client Service (it selects on
// that label alone): Job drops such labels (admission refuses them too).
func TestPodLabelsCannotJoinTheClientService(t *testing.T) {
	b := newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget,
		PodLabels: map[string]string{"neo4j.graphops.dev/cluster": "graph"}})
	got := Job(b, testCluster()).Spec.Template.Labels
	if v, ok := got["neo4j.graphops.dev/cluster"]; ok {
		t.Fatalf("pod label neo4j.graphops.dev/cluster=%s copied from spec.podLabels; the client Service would select the backup pod", v)
	}
}

func TestSchedulingOfTheJob(t *testing.T) {
	c := testCluster()
	c.Spec.Scheduling = v1alpha1.SchedulingSpec{
		NodeSelector:      map[string]string{"pool": "neo4j"},
		Tolerations:       []corev1.Toleration{{Key: "dedicated", Value: "neo4j", Effect: corev1.TaintEffectNoSchedule}},
		Affinity:          &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{}},
		PriorityClassName: "high",
		TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
		}},
	}
	c.Spec.Image.PullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}

	// Unset: the cluster's node selection, without the servers' affinity
	// and spread constraints.
	pod := Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget}), c).Spec.Template.Spec
	if !reflect.DeepEqual(pod.NodeSelector, map[string]string{"pool": "neo4j"}) || len(pod.Tolerations) != 1 || pod.PriorityClassName != "high" {
		t.Errorf("nodeSelector %v tolerations %v priorityClassName %q: want the cluster's", pod.NodeSelector, pod.Tolerations, pod.PriorityClassName)
	}
	if pod.Affinity != nil || pod.TopologySpreadConstraints != nil {
		t.Errorf("affinity %v spread %v: want none", pod.Affinity, pod.TopologySpreadConstraints)
	}
	if want := []corev1.LocalObjectReference{{Name: "registry"}}; !reflect.DeepEqual(pod.ImagePullSecrets, want) {
		t.Errorf("imagePullSecrets %v, want %v", pod.ImagePullSecrets, want)
	}
	if c.Spec.Scheduling.Affinity == nil || len(c.Spec.Scheduling.TopologySpreadConstraints) != 1 {
		t.Error("Job changed the cluster's scheduling")
	}

	// Set: the backup's own, whole.
	own := &v1alpha1.SchedulingSpec{NodeSelector: map[string]string{"pool": "batch"}, Affinity: &corev1.Affinity{}}
	pod = Job(newBackup("nightly-1", v1alpha1.Neo4jBackupSpec{Target: volumeTarget, Scheduling: own}), c).Spec.Template.Spec
	if !reflect.DeepEqual(pod.NodeSelector, map[string]string{"pool": "batch"}) || pod.Tolerations != nil || pod.PriorityClassName != "" || pod.Affinity == nil {
		t.Errorf("nodeSelector %v tolerations %v priorityClassName %q affinity %v: want the backup's", pod.NodeSelector, pod.Tolerations, pod.PriorityClassName, pod.Affinity)
	}
}

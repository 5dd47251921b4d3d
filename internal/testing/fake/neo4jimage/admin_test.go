package neo4jimage

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

func adminPod(args []string, env ...corev1.EnvVar) Pod {
	return Pod{Name: "b", Spec: corev1.PodSpec{
		Volumes: []corev1.Volume{{Name: "temp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		Containers: []corev1.Container{{Name: "backup", Command: []string{Home + "/bin/neo4j-admin"}, Args: args, Env: env,
			VolumeMounts: []corev1.VolumeMount{{Name: "temp", MountPath: "/backup-temp"}}}},
	}}
}

func TestRunAdmin(t *testing.T) {
	v5, v2510, v2511 := neo4jconf.Version{Major: 5, Minor: 26}, neo4jconf.Version{Major: 2025, Minor: 10}, neo4jconf.Version{Major: 2025, Minor: 11}
	backup := func(extra ...string) []string {
		return append([]string{"database", "backup", "--from=a:6362", "--to-path=s3://b/p/", "--temp-path=/backup-temp"}, extra...)
	}
	for _, tc := range []struct {
		name string
		v    neo4jconf.Version
		pod  Pod
		err  string // "" when neo4j-admin would run
	}{
		{"a backup to S3", v5, adminPod(backup("--type=AUTO", "neo4j", "s*")), ""},
		{"an unknown option", v5, adminPod(backup("--parallel=true")), "neo4j-admin database backup has no option --parallel"},
		{"an option from a later release", v2510, adminPod(backup("--parallel-download=true")), "--parallel-download needs Neo4j 2025.11 or later"},
		{"the same option on that release", v2511, adminPod(backup("--parallel-download=true")), ""},
		{"a value outside the documented ones", v5, adminPod(backup("--type=INCREMENTAL")), "--type=INCREMENTAL: want one of [FULL DIFF AUTO]"},
		{"an option without =", v5, adminPod(backup("--compress")), `option "--compress" is not --name=value`},
		{"a local path not mounted", v5, adminPod([]string{"database", "backup", "--from=a:6362", "--to-path=/backups"}), "--to-path=/backups is not a folder the container has mounted"},
		{"no --from", v5, adminPod([]string{"database", "backup", "--to-path=s3://b/"}), "database backup without --from"},
		{"check of a pattern", v5, adminPod([]string{"database", "check", "--from-path=s3://b/", "n*"}), `database check takes one database name, got ["n*"]`},
		{"check of two databases", v5, adminPod([]string{"database", "check", "--from-path=s3://b/", "a", "b"}), "database check takes one database name"},
		{"a bad HEAP_SIZE", v5, adminPod(backup(), corev1.EnvVar{Name: "HEAP_SIZE", Value: "2Gi"}), `HEAP_SIZE "2Gi" is not a number and a unit`},
		{"a good HEAP_SIZE", v5, adminPod(backup(), corev1.EnvVar{Name: "HEAP_SIZE", Value: "2048m"}), ""},
		{"not neo4j-admin", v5, func() Pod { p := adminPod(backup()); p.Spec.Containers[0].Command = []string{"sh", "-c"}; return p }(), `command ["sh" "-c"] is not neo4j-admin`},
		{"the entrypoint's way (no command) is not this model", v5, func() Pod { p := adminPod(backup()); p.Spec.Containers[0].Command = nil; return p }(), "is not neo4j-admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunAdmin(tc.v, tc.pod, "backup")
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestRunAdminEnvFrom(t *testing.T) {
	p := adminPod([]string{"database", "backup", "--from=a:6362", "--to-path=azb://acct/c/"})
	p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "az"}}}}
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "AZURE_STORAGE_ACCOUNT", Value: "override"}}
	p.Secrets = map[string]*corev1.Secret{"az": {Data: map[string][]byte{"AZURE_STORAGE_ACCOUNT": []byte("acct"), "AZURE_STORAGE_KEY": []byte("k")}}}
	run, err := RunAdmin(neo4jconf.Version{Major: 2025, Minor: 10}, p, "backup")
	if err != nil {
		t.Fatal(err)
	}
	if run.Env["AZURE_STORAGE_KEY"] != "k" || run.Env["AZURE_STORAGE_ACCOUNT"] != "override" {
		t.Fatalf("env %v: want the Secret's keys, env over them", run.Env)
	}
	p.Secrets = nil
	if _, err := RunAdmin(neo4jconf.Version{Major: 2025, Minor: 10}, p, "backup"); err == nil || !strings.Contains(err.Error(), "envFrom Secret az does not exist") {
		t.Fatalf("error %v", err)
	}
}

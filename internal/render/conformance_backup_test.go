package render_test

// Conformance of backup Jobs: each container of a rendered backup Job is
// started in the FAKE of neo4j-admin in the official image
// (internal/testing/fake/neo4jimage, admin.go), for every target and both series,
// and what it would reach is checked against the rendered cluster: every
// --from address is an internals Service that serves the backup port on
// a server whose neo4j.conf listens for backups there.

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/backup"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/fake/neo4jimage"
)

func TestConformanceBackupJobs(t *testing.T) {
	creds := &v1alpha1.CloudCredentials{SecretName: "creds", Key: "file"}
	env := &v1alpha1.CloudCredentials{SecretName: "creds"}
	targets := map[string]v1alpha1.Neo4jBackupSpec{
		"volume":        {Target: v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups", Path: "graph"}}},
		"volume-shared": {Type: v1alpha1.BackupDiff, Target: v1alpha1.BackupTarget{Folder: v1alpha1.FolderShared, Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}}},
		"s3-file":       {Target: v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "b", Prefix: "p", Credentials: creds}}},
		"s3-env":        {Target: v1alpha1.BackupTarget{S3: &v1alpha1.S3Target{Bucket: "b", Credentials: env}}},
		"gcs":           {Target: v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "b", Credentials: creds}}},
		"azure":         {Target: v1alpha1.BackupTarget{Azure: &v1alpha1.AzureTarget{StorageAccount: "acct", Container: "c", Credentials: env}}},
		"checked": {Type: v1alpha1.BackupFull, ConsistencyCheck: true, Databases: []string{"neo4j", "system"},
			Heap: ptr.To(resource.MustParse("1Gi")), PageCache: ptr.To(resource.MustParse("512Mi")),
			Target: v1alpha1.BackupTarget{Volume: &v1alpha1.VolumeTarget{ClaimName: "backups"}}},
		"ephemeral-temp": {TempVolume: v1alpha1.TempVolumeSpec{Size: ptr.To(resource.MustParse("20Gi")), StorageClassName: ptr.To("fast")},
			Target: v1alpha1.BackupTarget{GCS: &v1alpha1.GCSTarget{Bucket: "b"}}},
	}
	for tag := range tags {
		for name, spec := range targets {
			for _, tls := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/tls=%v", name, tag, tls), func(t *testing.T) {
					c := loadSample(t, "../../config/samples/neo4j_v1alpha1_neo4jenterprisecluster_production.yaml")
					c.Spec.Image.Tag = tag
					if tls {
						c.Spec.TLS.Backup = &v1alpha1.TLSCertificate{SecretName: "backup-cert"}
					}
					spec.Cluster = c.Name
					b := &v1alpha1.Neo4jBackup{ObjectMeta: metav1.ObjectMeta{Name: "nightly-1", Namespace: c.Namespace}, Spec: spec}
					conformBackup(t, c, b)
				})
			}
		}
	}
}

func conformBackup(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, b *v1alpha1.Neo4jBackup) {
	v, err := neo4jconf.ParseTag(c.Spec.Image.Tag)
	if err != nil {
		t.Fatal(err)
	}
	o := mustRender(t, c)
	job := backup.Job(b, c)
	pod := neo4jimage.Pod{Name: "nightly-1-abcde", Namespace: c.Namespace, Spec: job.Spec.Template.Spec,
		Secrets: map[string]*corev1.Secret{"creds": {Data: map[string][]byte{"file": []byte("[default]\n"), "config": []byte("[default]\n"),
			"AWS_ACCESS_KEY_ID": []byte("id"), "AZURE_STORAGE_ACCOUNT": []byte("acct")}}},
		ConfigMaps: configMaps(o)}
	for _, ch := range c.TLSChannels() {
		pod.Secrets[c.TLSSecretName(ch)] = &corev1.Secret{Data: tlsSecretData(t)}
	}
	steps := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, step := range steps {
		run, err := neo4jimage.RunAdmin(v, pod, step.Name)
		if err != nil {
			t.Fatalf("%s: neo4j-admin would refuse: %v", step.Name, err)
		}
		if run.Env["HOME"] == "" || !run.Dirs[run.Env["HOME"]] {
			t.Errorf("%s: HOME %q is not a mounted folder: a non-root user's HOME may be /", step.Name, run.Env["HOME"])
		}
		if run.Command == "database backup" {
			checkFrom(t, c, o, run.Options["from"])
			checkBackupTLS(t, c, o, run)
		}
	}
	if b.Spec.ConsistencyCheck && len(steps) != 1+len(b.Spec.Databases) {
		t.Errorf("%d steps, want the backup and one check per database", len(steps))
	}
}

// checkFrom: every address is a server's internals Service serving the
// backup port, and that server's neo4j.conf listens for backups there.
func checkFrom(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, o *render.Objects, from string) {
	addrs := strings.Split(from, ",")
	if len(addrs) != int(c.Spec.Topology.Primaries+c.Spec.Topology.Secondaries) {
		t.Errorf("--from names %d servers, want every one of %d", len(addrs), c.Spec.Topology.Primaries+c.Spec.Topology.Secondaries)
	}
	cms := configMaps(o)
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(port)
		svc := serviceByFQDN(o, host, c.WithDefaults().Spec.ClusterDomain)
		if svc == nil {
			t.Errorf("%s: no such Service", a)
			continue
		}
		served := false
		for _, sp := range svc.Spec.Ports {
			served = served || (sp.Port == int32(p) && sp.TargetPort.IntValue() == p)
		}
		if !served {
			t.Errorf("%s: Service %s does not serve port %d", a, svc.Name, p)
		}
		role := svc.Labels[render.LabelRole]
		listens := false
		for _, cm := range cms {
			if cm.Labels[render.LabelRole] == role && strings.Contains(cm.Data[render.FileNeo4jConf], fmt.Sprintf("server.backup.listen_address=0.0.0.0:%d\n", p)) {
				listens = true
			}
		}
		if !listens {
			t.Errorf("%s: the %s servers' neo4j.conf does not listen for backups on 0.0.0.0:%d", a, role, p)
		}
	}
}

// checkBackupTLS: the backup client speaks TLS exactly when the servers'
// backup port does, with the same policy.
func checkBackupTLS(t *testing.T, c *v1alpha1.Neo4jEnterpriseCluster, o *render.Objects, run neo4jimage.AdminRun) {
	client := run.Config.Get("dbms.ssl.policy.backup.enabled") == "true"
	for _, cm := range configMaps(o) {
		conf := cm.Data[render.FileNeo4jConf]
		if conf == "" {
			continue
		}
		server := strings.Contains(conf, "dbms.ssl.policy.backup.enabled=true\n")
		if server != client {
			t.Errorf("%s: the servers' backup port speaks TLS %v, the backup client %v", cm.Name, server, client)
		}
		if client && !strings.Contains(conf, "dbms.ssl.policy.backup.base_directory="+run.Config.Get("dbms.ssl.policy.backup.base_directory")+"\n") {
			t.Errorf("%s: the client's backup policy folder differs from the servers'", cm.Name)
		}
	}
}

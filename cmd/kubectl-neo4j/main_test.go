package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

// The plugin against a real API server (envtest): kubectl's flags reach
// it, doctor's exit code is 0 for calm and 1 for churn, status prints a
// table and JSON. The churn analysis itself is table-tested in
// internal/doctor; the e2e suite runs it on the seed replay.
func TestPlugin(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS unset: `make test` sets it")
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "plugin"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		root := newRoot(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
		root.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}

	out, err := run("doctor", "-n", "plugin")
	if err != nil || !strings.Contains(out, "calm: 0 StatefulSets") {
		t.Fatalf("an empty namespace: %v\n%s", err, out)
	}

	// A StatefulSet with ten revisions made in the window is churning.
	replicas := int32(1)
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "plugin", Name: "web"}, Spec: appsv1.StatefulSetSpec{
		Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
	if err := env.Client.Create(ctx, sts); err != nil {
		t.Fatal(err)
	}
	yes := true
	for i := range 10 {
		rev := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: "plugin", Name: "web-" + string(rune('a'+i)),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: sts.UID, Controller: &yes}}},
			Revision: int64(i + 1), Data: runtime.RawExtension{Raw: []byte(`{}`)}}
		if err := env.Client.Create(ctx, rev); err != nil {
			t.Fatal(err)
		}
	}
	out, err = run("doctor", "-n", "plugin", "--since", "10m")
	var code exitCode
	if !errors.As(err, &code) || code != 1 || !strings.Contains(out, "CHURN plugin/web: 10 new revisions") {
		t.Fatalf("churn: %v\n%s", err, out)
	}
	out, err = run("doctor", "-A", "-o", "json")
	var report struct{ Churning bool }
	if !errors.As(err, &code) || json.Unmarshal([]byte(out), &report) != nil || !report.Churning {
		t.Fatalf("-A -o json: %v\n%s", err, out)
	}

	// status: a cluster, its StatefulSet (none here: no operator runs).
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "plugin", Name: "graph"},
		Spec: v1alpha1.Neo4jEnterpriseClusterSpec{AcceptLicenseAgreement: "eval", Topology: v1alpha1.Topology{Primaries: 3}}}
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Status.Phase, c.Status.ReadyServers = v1alpha1.PhaseReady, "3/3"
	c.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "AllServersReady", Message: "3/3", LastTransitionTime: metav1.NewTime(time.Now())}}
	if err := env.Client.Status().Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	u := &v1alpha1.Neo4jUser{ObjectMeta: metav1.ObjectMeta{Namespace: "plugin", Name: "alice"},
		Spec: v1alpha1.Neo4jUserSpec{ClusterRef: v1alpha1.ClusterReference{Name: "graph"}, Username: "alice",
			PasswordSecretRef: &v1alpha1.SecretKeyRef{Name: "alice", Key: "password"}, Roles: []string{"reader"}}}
	if err := env.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	u.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Exists", LastTransitionTime: metav1.NewTime(time.Now())},
		{Type: "Synced", Status: metav1.ConditionTrue, Reason: "Synced", LastTransitionTime: metav1.NewTime(time.Now())}}
	if err := env.Client.Status().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	out, err = run("status", "-n", "plugin", "graph")
	if err != nil || !strings.Contains(out, "Cluster plugin/graph: Ready, 3/3 servers ready") || !strings.Contains(out, "AllServersReady") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`user\s+alice\s+alice\s+True\s+Synced\s+roles: reader`).MatchString(out) {
		t.Fatalf("status lists no user alice:\n%s", out)
	}
	out, err = run("status", "-n", "plugin", "-o", "json")
	var list []clusterStatus
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Phase != "Ready" {
		t.Fatalf("status -o json: %v\n%s", err, out)
	}
	if _, err := run("status", "-n", "plugin", "absent"); err == nil {
		t.Error("an absent cluster is an error")
	}

	// migrate-from-helm: the e2e suite runs a whole migration; here, the
	// command's wiring.
	if out, err := run("migrate-from-helm", "-n", "plugin"); err == nil || !strings.Contains(err.Error(), "no releases of the Neo4j chart found in namespace plugin") {
		t.Errorf("no releases: %v\n%s", err, out)
	}
	if _, err := run("migrate-from-helm", "-n", "plugin", "--apply", "--dry-run"); err == nil || !strings.Contains(err.Error(), "--apply and --dry-run: choose one") {
		t.Errorf("--apply --dry-run: %v", err)
	}
	if out, err := run("--version"); err != nil || !strings.Contains(out, "kubectl-neo4j version dev") {
		t.Errorf("--version: %v %s", err, out)
	}
}

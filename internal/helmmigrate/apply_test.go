package helmmigrate

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// TestApply runs the steps against a fake client, which binds nothing: the
// last wait times out, and everything before it is checked, then run again
// (a second run after a failure finds every step done). The e2e suite runs
// it on a control plane whose volume binder binds the new claims.
func TestApply(t *testing.T) {
	ctx := context.Background()
	objs := chart(nil)
	c := fakeClient(objs)
	found, err := Gather(ctx, c, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(found, Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, c)
	var out bytes.Buffer
	a := Applier{Client: c, Out: &out, Timeout: 50 * time.Millisecond, Interval: 10 * time.Millisecond}
	for run := 1; run <= 2; run++ {
		err = a.Apply(ctx, p)
		if err == nil || !strings.Contains(err.Error(), "waiting for claim data-prod-secondary-0 to bind to volume pv-analytics-1") {
			t.Fatalf("run %d: %v\n%s", run, err, out.String())
		}
	}
	for _, s := range p.Servers {
		var pv corev1.PersistentVolume
		mustGet(t, c, "", s.Volume, &pv)
		if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain || pv.Spec.ClaimRef.Name != s.NewClaim || pv.Spec.ClaimRef.UID != "" {
			t.Errorf("volume %s: %s, claimRef %+v", s.Volume, pv.Spec.PersistentVolumeReclaimPolicy, pv.Spec.ClaimRef)
		}
		var claim corev1.PersistentVolumeClaim
		mustGet(t, c, ns, s.NewClaim, &claim)
		if claim.Spec.VolumeName != s.Volume {
			t.Errorf("claim %s names %s", s.NewClaim, claim.Spec.VolumeName)
		}
		var sts appsv1.StatefulSet
		mustGet(t, c, ns, s.Release, &sts)
		if *sts.Spec.Replicas != 0 {
			t.Errorf("release %s still has %d replicas", s.Release, *sts.Spec.Replicas)
		}
	}
	// As the volume binder leaves them: the old claims Lost. A later run
	// still finds the releases, and goes on.
	for _, s := range p.Servers {
		var old corev1.PersistentVolumeClaim
		mustGet(t, c, ns, s.OldClaim, &old)
		old.Status.Phase = corev1.ClaimLost
		if err := c.Status().Update(ctx, &old); err != nil {
			t.Fatal(err)
		}
	}
	found, err = Gather(ctx, c, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(found, Options{Namespace: ns}); err != nil {
		t.Fatalf("after the move: %v", err)
	}
	var cluster v1alpha1.Neo4jEnterpriseCluster
	mustGet(t, c, ns, "prod", &cluster)
	var secret corev1.Secret
	mustGet(t, c, ns, "prod-auth-from-helm", &secret)
	if string(secret.Data["NEO4J_AUTH"]) != "neo4j/s3cret" {
		t.Errorf("secret %v", secret.Data)
	}
	after := count(t, c)
	// Added: 4 claims, 1 Secret, 1 cluster. Nothing removed.
	for kind, n := range before {
		added := map[string]int{"claims": 4, "secrets": 1}[kind]
		if after[kind] != n+added {
			t.Errorf("%s: %d before, %d after, want %d", kind, n, after[kind], n+added)
		}
	}
}

// TestApplyRefusesAVolumeBoundElsewhere: a volume whose claim is neither
// the release's nor the new one is left alone.
func TestApplyRefusesAVolumeBoundElsewhere(t *testing.T) {
	ctx := context.Background()
	objs := chart(nil)
	c := fakeClient(objs)
	found, _ := Gather(ctx, c, ns, nil)
	p, err := Build(found, Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	var pv corev1.PersistentVolume
	mustGet(t, c, "", "pv-server-2", &pv)
	pv.Spec.ClaimRef.Name = "someone-else"
	if err := c.Update(ctx, &pv); err != nil {
		t.Fatal(err)
	}
	a := Applier{Client: c, Out: &bytes.Buffer{}, Timeout: 50 * time.Millisecond, Interval: 10 * time.Millisecond}
	err = a.Apply(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "volume pv-server-2 is bound to graphs/someone-else, which is neither the release's claim nor the new one") {
		t.Fatalf("got %v", err)
	}
	mustGet(t, c, "", "pv-server-2", &pv)
	if pv.Spec.ClaimRef.Name != "someone-else" {
		t.Errorf("claimRef changed to %s", pv.Spec.ClaimRef.Name)
	}
}

// TestPreflightRefusesTakenNames: a Service of the cluster's name that is
// not the cluster's stops the migration before any change.
func TestPreflightRefusesTakenNames(t *testing.T) {
	ctx := context.Background()
	objs := append(chart(nil), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prod"}})
	c := fakeClient(objs)
	found, _ := Gather(ctx, c, ns, nil)
	p, err := Build(found, Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	err = Applier{Client: c, Out: &bytes.Buffer{}}.Apply(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "*v1.Service prod already exists and is not the cluster's: choose another name with --name") {
		t.Fatalf("got %v", err)
	}
	var sts appsv1.StatefulSet
	mustGet(t, c, ns, "server-1", &sts)
	if *sts.Spec.Replicas != 1 {
		t.Error("a release was scaled before the preflight failed")
	}
}

func mustGet(t *testing.T, c client.Client, namespace, name string, obj client.Object) {
	t.Helper()
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, c client.Client) map[string]int {
	t.Helper()
	lists := map[string]client.ObjectList{"claims": &corev1.PersistentVolumeClaimList{}, "volumes": &corev1.PersistentVolumeList{},
		"secrets": &corev1.SecretList{}, "configmaps": &corev1.ConfigMapList{}, "statefulsets": &appsv1.StatefulSetList{}}
	out := map[string]int{}
	for k, l := range lists {
		if err := c.List(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		items, _ := meta.ExtractList(l)
		out[k] = len(items)
	}
	return out
}

// TestVolumesMoveOnlyFromStoppedServers: a release scaled up again after
// the stop step (helm upgrade, a GitOps sync), or any pod still mounting a
// claim, stops the run before that volume moves.
func TestVolumesMoveOnlyFromStoppedServers(t *testing.T) {
	ctx := context.Background()
	c := fakeClient(chart(nil))
	found, _ := Gather(ctx, c, ns, nil)
	p, err := Build(found, Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	a := Applier{Client: c, Out: &bytes.Buffer{}, Timeout: 50 * time.Millisecond, Interval: 10 * time.Millisecond}
	if err := a.stopReleases(ctx, p); err != nil {
		t.Fatal(err)
	}
	var sts appsv1.StatefulSet
	mustGet(t, c, ns, "analytics-1", &sts)
	one := int32(1)
	sts.Spec.Replicas = &one
	if err := c.Update(ctx, &sts); err != nil {
		t.Fatal(err)
	}
	err = a.moveVolumes(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "StatefulSet analytics-1 was scaled up again") {
		t.Fatalf("got %v", err)
	}
	var pv corev1.PersistentVolume
	mustGet(t, c, "", "pv-analytics-1", &pv)
	if pv.Spec.ClaimRef.Name != "data-analytics-1-0" {
		t.Errorf("the volume moved: claimRef %s", pv.Spec.ClaimRef.Name)
	}

	debug := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "debug"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "sh", Image: "busybox"}},
		Volumes: []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-server-2-0"}}}}}}
	if err := c.Create(ctx, debug); err != nil {
		t.Fatal(err)
	}
	err = a.stopReleases(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "waiting for the pods using claim data-server-2-0 (debug) to stop") {
		t.Fatalf("got %v", err)
	}
}

// TestPreflightRefusesAClaimOfAnotherVolume: a leftover claim of a new
// claim's name stops the run before anything changes.
func TestPreflightRefusesAClaimOfAnotherVolume(t *testing.T) {
	ctx := context.Background()
	leftover := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "data-prod-primary-1"},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-elsewhere"}}
	c := fakeClient(append(chart(nil), leftover))
	found, _ := Gather(ctx, c, ns, nil)
	p, err := Build(found, Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	err = Applier{Client: c, Out: &bytes.Buffer{}}.Apply(ctx, p)
	if err == nil || !strings.Contains(err.Error(), `claim data-prod-primary-1 already exists and names volume "pv-elsewhere", not pv-server-2`) {
		t.Fatalf("got %v", err)
	}
	var pv corev1.PersistentVolume
	mustGet(t, c, "", "pv-server-2", &pv)
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Error("the preflight changed a volume")
	}
}

// Package webhook_test proves the operator calm beside a mutating
// admission webhook on StatefulSets, the way policy engines and platforms
// run them: it adds a label, an annotation, an environment variable and a
// resource to the pod template. envtest's kube-apiserver calls a webhook
// served by this test; the operator runs under a manager, as deployed.
package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

func TestWebhook(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Mutating webhook suite (envtest)")
}

const ns = "webhooked"

var (
	ctx    context.Context
	cancel context.CancelFunc
	env    *envtest.Environment
	k      client.Client
	calls  atomic.Int64
)

// policy mutates every StatefulSet it admits, as a platform's policy
// engine would: always the same additions, whatever the operator sent.
type policy struct{}

func (policy) Handle(_ context.Context, req admission.Request) admission.Response {
	calls.Add(1)
	sts := &appsv1.StatefulSet{}
	if err := json.Unmarshal(req.Object.Raw, sts); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	t := &sts.Spec.Template
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Labels["policy.example.com/team"] = "platform"
	t.Annotations["policy.example.com/checked"] = "true"
	for i := range t.Spec.Containers {
		c := &t.Spec.Containers[i]
		if c.Name != "neo4j" {
			continue
		}
		found := false
		for _, e := range c.Env {
			found = found || e.Name == "POLICY_INJECTED"
		}
		if !found {
			c.Env = append(c.Env, corev1.EnvVar{Name: "POLICY_INJECTED", Value: "1"})
		}
		if c.Resources.Requests == nil {
			c.Resources.Requests = corev1.ResourceList{}
		}
		c.Resources.Requests[corev1.ResourceEphemeralStorage] = resource.MustParse("1Gi")
	}
	out, err := json.Marshal(sts)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, out)
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())
	fail, none := admissionv1.Fail, admissionv1.SideEffectClassNone
	path := "/mutate-statefulsets"
	env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{MutatingWebhooks: []*admissionv1.MutatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: "policy"},
			Webhooks: []admissionv1.MutatingWebhook{{
				Name:                    "statefulsets.policy.example.com",
				ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Name: "policy", Namespace: "default", Path: &path}},
				Rules:                   []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update}, Rule: admissionv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"statefulsets"}}}},
				FailurePolicy:           &fail,
				SideEffects:             &none,
				AdmissionReviewVersions: []string{"v1"},
			}},
		}}},
	}
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
	cfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred())
	k, err = client.New(cfg, client.Options{Scheme: testenv.Scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())

	wo := env.WebhookInstallOptions
	server := webhook.NewServer(webhook.Options{Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir})
	server.Register(path, &webhook.Admission{Handler: policy{}})
	skip := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: testenv.Scheme, Cache: controllers.CacheOptions([]string{ns}, nil), WebhookServer: server,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: config.Controller{SkipNameValidation: &skip},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(mgr.Add(server)).To(Succeed())
	Expect((&controllers.Neo4jEnterpriseClusterReconciler{Client: apply.Counted(mgr.GetClient(), true), APIReader: mgr.GetAPIReader(),
		Scheme: mgr.GetScheme(), Recorder: mgr.GetEventRecorder("neo4j-operator"), MaxConcurrentReconciles: 2, WatchSecrets: true,
	}).SetupWithManager(ctx, mgr)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

func statefulSet() *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{}
	ExpectWithOffset(1, k.Get(ctx, client.ObjectKey{Namespace: ns, Name: "policed-primary"}, s)).To(Succeed())
	return s
}

var _ = Describe("Beside a mutating webhook on StatefulSets", func() {
	It("never fights it: 0 StatefulSet writes across 20 readiness flips, each one reconciled", func() {
		c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "policed"}}
		c.Spec.AcceptLicenseAgreement = "eval"
		c.Spec.Topology = v1alpha1.Topology{Primaries: 3}
		Expect(k.Create(ctx, c)).To(Succeed())
		Eventually(func(g Gomega) {
			s := &appsv1.StatefulSet{}
			g.Expect(k.Get(ctx, client.ObjectKey{Namespace: ns, Name: "policed-primary"}, s)).To(Succeed())
			g.Expect(s.Spec.Template.Labels).To(HaveKeyWithValue("policy.example.com/team", "platform"))
		}, 20*time.Second, 100*time.Millisecond).Should(Succeed())
		Expect(calls.Load()).To(BeNumerically(">=", 1), "the webhook admitted the StatefulSet")
		env := statefulSet().Spec.Template.Spec.Containers[0].Env
		Expect(env[len(env)-1]).To(Equal(corev1.EnvVar{Name: "POLICY_INJECTED", Value: "1"}))

		updates := func() float64 { return testutil.ToFloat64(apply.Writes.WithLabelValues("StatefulSet", "update")) }
		// A reconcile compares the StatefulSet: skipped or written.
		compared := func() float64 {
			return testutil.ToFloat64(apply.WritesSkipped.WithLabelValues("StatefulSet")) + updates()
		}
		time.Sleep(2 * time.Second) // the creation's reconciles settle
		before, seen, gen := updates(), compared(), statefulSet().Generation
		for i := range 20 {
			s := statefulSet()
			n := int32(3 * (i % 2)) // 0, 3, 0, ...: pods turning ready and back
			s.Status.Replicas, s.Status.ReadyReplicas, s.Status.ObservedGeneration = 3, n, s.Generation
			Expect(k.Status().Update(ctx, s)).To(Succeed())
			Eventually(compared, 10*time.Second, 20*time.Millisecond).Should(BeNumerically(">", seen), "flip %d was reconciled", i)
			seen = compared()
		}
		Expect(updates()-before).To(BeZero(), "StatefulSet writes beside the webhook")
		Expect(statefulSet().Generation).To(Equal(gen), "no new generation, so no new revision")
	})

	It("still owns its own fields: an edit of the operator's env var is put back once", func() {
		s := statefulSet()
		before := testutil.ToFloat64(apply.Writes.WithLabelValues("StatefulSet", "update"))
		for i, e := range s.Spec.Template.Spec.Containers[0].Env {
			if e.Name == "NEO4J_EDITION" {
				s.Spec.Template.Spec.Containers[0].Env[i].Value = "community"
			}
		}
		Expect(k.Update(ctx, s)).To(Succeed())
		Eventually(func() string {
			for _, e := range statefulSet().Spec.Template.Spec.Containers[0].Env {
				if e.Name == "NEO4J_EDITION" {
					return e.Value
				}
			}
			return ""
		}, 10*time.Second, 50*time.Millisecond).Should(Equal("enterprise"))
		Expect(testutil.ToFloat64(apply.Writes.WithLabelValues("StatefulSet", "update")) - before).To(Equal(1.0))
	})
})

package plan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/plan"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/rollout"
	"github.com/graphops-dev/neo4j-operator/internal/scale"
	"github.com/graphops-dev/neo4j-operator/internal/tlsreload"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	return s
}()

func kindOf(obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		panic(err)
	}
	return gvk.Kind
}

func cluster(primaries, secondaries int32, edit ...func(*v1alpha1.Neo4jEnterpriseCluster)) *v1alpha1.Neo4jEnterpriseCluster {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Name: "graph", Namespace: "ns"}}
	c.Spec.AcceptLicenseAgreement = "eval"
	c.Spec.Topology = v1alpha1.Topology{Primaries: primaries, Secondaries: secondaries}
	for _, e := range edit {
		e(c)
	}
	return c
}

func svc(name string) client.Object {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
}

// owned is what the cache would hold for a cluster of that many servers.
func owned(primaries, secondaries int32) map[string]client.Object {
	objs, err := render.Render(cluster(primaries, secondaries))
	if err != nil {
		panic(err)
	}
	out := map[string]client.Object{}
	for _, o := range objs.All() {
		switch o.(type) {
		case *corev1.Service, *appsv1.StatefulSet, *policyv1.PodDisruptionBudget, *corev1.ConfigMap:
			out[plan.Key(kindOf(o), o.GetName())] = o
		}
	}
	return out
}

// liveSets are the StatefulSets a cluster rendered, by role, as the cache
// holds them once applied.
func liveSets(c *v1alpha1.Neo4jEnterpriseCluster) map[neo4jconf.Role]*appsv1.StatefulSet {
	objs, err := render.Render(c)
	if err != nil {
		panic(err)
	}
	out := map[neo4jconf.Role]*appsv1.StatefulSet{}
	for i, s := range objs.StatefulSets {
		out[[]neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary}[i]] = s
	}
	return out
}

func clusterTLS(c *v1alpha1.Neo4jEnterpriseCluster) {
	c.Spec.TLS.Cluster = &v1alpha1.TLSCertificate{SecretName: "peers", ClientAuth: "REQUIRE"}
}

func allowFullRestart(c *v1alpha1.Neo4jEnterpriseCluster) {
	c.Annotations = map[string]string{v1alpha1.AnnotationAllowFullRestart: "true"}
}

// configMapName is the i-th ConfigMap a cluster renders.
func configMapName(c *v1alpha1.Neo4jEnterpriseCluster, i int) string {
	objs, err := render.Render(c)
	if err != nil {
		panic(err)
	}
	return objs.ConfigMaps[i].Name
}

func names(objs []client.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, plan.Key(kindOf(o), o.GetName()))
	}
	return out
}

func TestCompute(t *testing.T) {
	found := plan.Auth{Found: true}
	for _, tc := range []struct {
		name     string
		observed plan.Observed
		// expectations
		paused, generate, waiting bool
		apply                     int
		prune                     []string
		issue                     string // "Reason: message substring"
	}{
		{name: "paused: nothing but status",
			observed: plan.Observed{Cluster: cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
			}), Auth: found},
			paused: true},
		{name: "new cluster, generated password: the Secret first, then 12 objects",
			observed: plan.Observed{Cluster: cluster(3, 0)}, generate: true, apply: 12},
		{name: "the user's Secret is missing: wait, apply nothing",
			observed: plan.Observed{Cluster: cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Spec.Auth.SecretName = "mine" })},
			waiting:  true, issue: "AuthSecretMissing: auth Secret ns/mine not found; create it with key NEO4J_AUTH=neo4j/<password>"},
		{name: "the Secret's value is unusable: wait, apply nothing",
			observed: plan.Observed{Cluster: cluster(3, 0), Auth: plan.Auth{Found: true, Problem: "auth Secret ns/graph-auth key NEO4J_AUTH: the password may not contain a slash"}},
			waiting:  true, issue: "AuthSecretInvalid: the password may not contain a slash"},
		{name: "a setting Neo4j would refuse: report, apply and prune nothing",
			observed: plan.Observed{Cluster: cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Spec.Env = []corev1.EnvVar{{Name: "NEO4J_db_transaction_timout", Value: "1s"}}
			}), Auth: found, Owned: owned(3, 0)},
			issue: `InvalidSpec: did you mean "db.transaction.timeout"?`},
		{name: "steady state: everything desired exists, nothing to prune",
			observed: plan.Observed{Cluster: cluster(3, 2), Auth: found, Owned: owned(3, 2)}, apply: 18},
		{name: "secondaries scaled to zero: their StatefulSet and Services go, sorted",
			observed: plan.Observed{Cluster: cluster(3, 0), Auth: found, Owned: owned(3, 2)}, apply: 12,
			prune: []string{"ConfigMap/" + configMapName(cluster(3, 2), 1), "PodDisruptionBudget/graph-secondary", "Service/graph-secondary-0-internals", "Service/graph-secondary-1-internals", "Service/graph-secondary-headless", "StatefulSet/graph-secondary"}},
		{name: "a primary removed: its internals Service goes",
			observed: plan.Observed{Cluster: cluster(3, 0), Auth: found, Owned: owned(4, 0)}, apply: 12,
			prune: []string{"Service/graph-primary-3-internals"}},
		{name: "a setting that needs a restart: a new ConfigMap, the old one pruned (once no pod mounts it)",
			observed: plan.Observed{Cluster: cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) {
				c.Spec.Config = v1alpha1.Neo4jConfig{"db.transaction.timeout": "10s"}
			}), Auth: found, Owned: owned(3, 0)}, apply: 12,
			prune: []string{"ConfigMap/" + configMapName(cluster(3, 0), 0)}},
		{name: "a formation-only change (the secondaries count) keeps the primaries' ConfigMap: nothing pruned",
			observed: plan.Observed{Cluster: cluster(3, 1), Auth: found, Owned: owned(3, 0)}, apply: 17},
		{name: "cluster TLS turned on while the servers run without: held, nothing applied or pruned",
			observed: plan.Observed{Cluster: cluster(3, 1, clusterTLS), Auth: found, Owned: owned(3, 1), StatefulSets: liveSets(cluster(3, 1))},
			issue:    "FullRestartRequired: spec.tls.cluster turns on TLS between the servers of a running cluster"},
		{name: "cluster TLS turned off while the servers run it: held",
			observed: plan.Observed{Cluster: cluster(3, 1), Auth: found, Owned: owned(3, 1), StatefulSets: liveSets(cluster(3, 1, clusterTLS))},
			issue:    "FullRestartRequired: spec.tls.cluster turns off TLS between the servers of a running cluster: Neo4j needs the same cluster policy on every server, so all of them must stop and start again together, with downtime. Annotate the cluster neo4j.graphops.dev/allow-full-restart=true to restart it so, or set spec.tls.cluster back; until then none of its objects change"},
		{name: "cluster TLS turned on, full restart allowed: applied",
			observed: plan.Observed{Cluster: cluster(3, 1, clusterTLS, allowFullRestart), Auth: found, Owned: owned(3, 1), StatefulSets: liveSets(cluster(3, 1))},
			apply:    17, prune: []string{"ConfigMap/" + configMapName(cluster(3, 1), 0), "ConfigMap/" + configMapName(cluster(3, 1), 1)}},
		{name: "cluster TLS on from the start: nothing held",
			observed: plan.Observed{Cluster: cluster(3, 1, clusterTLS), Auth: found, StatefulSets: liveSets(cluster(3, 1, clusterTLS))},
			apply:    17},
		{name: "an unknown owned object is pruned",
			observed: plan.Observed{Cluster: cluster(1, 0), Auth: found, Owned: map[string]client.Object{"Service/stray": svc("stray")}}, apply: 10,
			prune: []string{"Service/stray"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan.Compute(tc.observed, kindOf)
			if p.Paused != tc.paused || p.GenerateAuthSecret != tc.generate || p.WaitingForSecret != tc.waiting {
				t.Errorf("paused %v generate %v waiting %v, want %v %v %v", p.Paused, p.GenerateAuthSecret, p.WaitingForSecret, tc.paused, tc.generate, tc.waiting)
			}
			if len(p.Apply) != tc.apply {
				t.Errorf("apply %d objects %v, want %d", len(p.Apply), names(p.Apply), tc.apply)
			}
			if got := names(p.Prune); !slices.Equal(got, tc.prune) {
				t.Errorf("prune %v, want %v", got, tc.prune)
			}
			var issues []string
			for _, i := range p.Issues {
				issues = append(issues, fmt.Sprintf("%s: %s", i.Reason, i.Message))
			}
			if tc.issue == "" && len(issues) > 0 || tc.issue != "" && (len(issues) != 1 || !strings.HasPrefix(issues[0], strings.SplitN(tc.issue, ":", 2)[0]) || !strings.Contains(issues[0], strings.SplitN(tc.issue, ": ", 2)[1])) {
				t.Errorf("issues %q, want %q", issues, tc.issue)
			}
		})
	}
}

// The plan is a function of what was observed: the same input, the same
// plan, object for object.
func TestComputeIsDeterministic(t *testing.T) {
	o := plan.Observed{Cluster: cluster(5, 3), Auth: plan.Auth{Found: true}, Owned: owned(7, 4)}
	first := plan.Compute(o, kindOf)
	for range 50 {
		p := plan.Compute(o, kindOf)
		if !slices.Equal(names(p.Apply), names(first.Apply)) || !slices.Equal(names(p.Prune), names(first.Prune)) {
			t.Fatal("two plans of the same observation differ")
		}
	}
}

// Every object the renderer makes is of a kind the write path knows.
func TestApplyOrder(t *testing.T) {
	p := plan.Compute(plan.Observed{Cluster: cluster(3, 1), Auth: plan.Auth{Found: true}}, kindOf)
	got := names(p.Apply)
	if got[0] != "ServiceAccount/graph-server" || !strings.HasPrefix(got[3], "ConfigMap/graph-primary-config-") || !strings.HasPrefix(got[len(got)-1], "PodDisruptionBudget/") {
		t.Errorf("identity and configuration must come before workloads: %v", got)
	}
}

// Objects of kinds the API server does not serve are not applied; a spec
// that asks for a monitor says so in an issue, and a certificate in
// TLSReady (so not here).
func TestOptionalKindsNotServed(t *testing.T) {
	c := cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) {
		c.Spec.Monitoring.ServiceMonitor = &v1alpha1.PrometheusMonitor{}
		c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca"}}}
	})
	kinds := func(p plan.Plan) []string {
		var out []string
		for _, o := range p.Apply {
			out = append(out, o.GetObjectKind().GroupVersionKind().Kind)
		}
		return out
	}
	none := plan.Compute(plan.Observed{Cluster: c, Auth: plan.Auth{Found: true}}, kindOf)
	if k := kinds(none); slices.Contains(k, "ServiceMonitor") || slices.Contains(k, "Certificate") {
		t.Errorf("applied without their CRDs: %v", k)
	}
	if len(none.Issues) != 1 || none.Issues[0].Reason != "PrometheusOperatorMissing" || !strings.Contains(none.Issues[0].Message, "graph-metrics") {
		t.Errorf("issues %+v", none.Issues)
	}
	all := plan.Compute(plan.Observed{Cluster: c, Auth: plan.Auth{Found: true}, CertManager: true,
		Monitors: map[string]bool{"ServiceMonitor": true, "PodMonitor": true}}, kindOf)
	if k := kinds(all); !slices.Contains(k, "ServiceMonitor") || !slices.Contains(k, "Certificate") || len(all.Issues) != 0 {
		t.Errorf("with the CRDs: %v, issues %+v", k, all.Issues)
	}
}

// The disruption budget follows Neo4j's health (issue 26): one server of
// a role may go while the cluster is healthy by the roll's verdict, none
// otherwise; without observation the spec's budget stands, and with no
// poll yet (a restarted operator) the status written before decides.
func TestDisruptionBudgetFollowsNeo4j(t *testing.T) {
	srv := func(pod, health string) neo4j.Server {
		return neo4j.Server{ID: pod, Name: pod, Address: pod + "-internals.ns.svc.cluster.local:7687", State: "Enabled", Health: health}
	}
	copyOf := func(pod, status string, writer bool) neo4j.Database {
		return neo4j.Database{Name: "neo4j", Type: "standard", Access: "read-write", Address: pod + "-internals.ns.svc.cluster.local:7687",
			Role: "primary", Writer: writer, RequestedStatus: "online", CurrentStatus: status, RequestedPrimaries: 2, CurrentPrimaries: 2}
	}
	system := neo4j.Database{Name: "system", Type: "system", Address: "graph-primary-0-internals.ns.svc.cluster.local:7687", Role: "primary",
		Writer: true, RequestedStatus: "online", CurrentStatus: "online"}
	healthy := &observer.Observation{Servers: []neo4j.Server{srv("graph-primary-0", "Available"), srv("graph-primary-1", "Available")},
		Databases: []neo4j.Database{system, copyOf("graph-primary-0", "online", true), copyOf("graph-primary-1", "online", false)}}
	catchingUp := &observer.Observation{Servers: healthy.Servers,
		Databases: []neo4j.Database{system, copyOf("graph-primary-0", "online", true), copyOf("graph-primary-1", "store copying", false)}}
	leaderless := &observer.Observation{Servers: healthy.Servers,
		Databases: []neo4j.Database{system, copyOf("graph-primary-0", "online", false), copyOf("graph-primary-1", "online", false)}}
	wasReady := func(c *v1alpha1.Neo4jEnterpriseCluster) {
		for _, t := range []string{v1alpha1.ConditionClusterFormed, v1alpha1.ConditionServersHealthy} {
			c.Status.Conditions = append(c.Status.Conditions, metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: "x"})
		}
	}
	for _, tc := range []struct {
		name   string
		c      *v1alpha1.Neo4jEnterpriseCluster
		obs    *observer.Observation
		scale  bool // Neo4j observed
		expect int32
	}{
		{"not observing Neo4j: the spec's budget", cluster(2, 0), nil, false, 1},
		{"healthy: one at a time", cluster(2, 0), healthy, true, 1},
		{"a copy catching up: none", cluster(2, 0), catchingUp, true, 0},
		{"a database without a writer: none", cluster(2, 0), leaderless, true, 0},
		{"Neo4j unreachable: none", cluster(2, 0), &observer.Observation{Failure: neo4j.Unavailable, Message: "x"}, true, 0},
		{"no poll yet, the status said ready: one", cluster(2, 0, wasReady), nil, true, 1},
		{"no poll yet, nothing known: none", cluster(2, 0), nil, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := plan.Observed{Cluster: tc.c, Auth: plan.Auth{Found: true}, Neo4j: tc.obs}
			if tc.scale {
				o.Scale = &scale.Input{Cluster: tc.c, Neo4j: tc.obs, Current: map[neo4jconf.Role]int32{neo4jconf.Primary: 2}, Fresh: true, CacheSynced: true}
			}
			p := plan.Compute(o, kindOf)
			var got []int32
			for _, obj := range p.Apply {
				if pdb, ok := obj.(*policyv1.PodDisruptionBudget); ok {
					got = append(got, pdb.Spec.MaxUnavailable.IntVal)
				}
			}
			if len(got) != 1 || got[0] != tc.expect {
				t.Errorf("maxUnavailable %v, want [%d]", got, tc.expect)
			}
		})
	}
}

// The steps a plan asks for, in order (issue 27: transitions chosen by the
// plan, not steered by flags in act).
func TestSteps(t *testing.T) {
	apply := []client.Object{svc("a")}
	scaleD := &scale.Decision{}
	boot := &scale.Decision{Bootstrap: &scale.Command{Kind: scale.Recreate}}
	rolling := &rollout.Decision{Rollout: &v1alpha1.RolloutStatus{}}
	answered := &observer.Observation{}
	scaling := cluster(3, 0, func(c *v1alpha1.Neo4jEnterpriseCluster) { c.Status.Scaling = &v1alpha1.ScalingStatus{} })
	for _, tc := range []struct {
		name string
		p    plan.Plan
		want string
	}{
		{"nothing rendered: the report only", plan.Plan{}, "Report"},
		{"a generated Secret first", plan.Plan{GenerateAuthSecret: true, Apply: apply}, "AuthSecret Apply Report"},
		{"observed: the scaling step before the objects", plan.Plan{Apply: apply, Scale: scaleD}, "Scale Apply Report"},
		{"no scaling step without objects", plan.Plan{Scale: scaleD}, "Report"},
		{"a roll after the objects", plan.Plan{Apply: apply, Scale: scaleD, Rollout: &rollout.Decision{}}, "Scale Apply Roll Report"},
		{"the restore", plan.Plan{Apply: apply, Scale: boot}, "Scale Apply Bootstrap Report"},
		{"no restore while a roll evicts", plan.Plan{Apply: apply, Scale: boot, Rollout: rolling}, "Scale Apply Roll Report"},
		{"no restore, no reload while paused", plan.Plan{Paused: true, Apply: apply, Scale: boot, TLS: &tlsreload.Decision{}}, "Scale Apply Report"},
		{"the TLS reload last", plan.Plan{Apply: apply, TLS: &tlsreload.Decision{}}, "Apply TLS Report"},
		{"Neo4j answered, nothing under way: the admin password follows its Secret", plan.Plan{Apply: apply, Scale: scaleD, Neo4j: answered, Rendered: cluster(3, 0)}, "Scale Apply AdminPassword Report"},
		{"no admin password change while a roll evicts", plan.Plan{Apply: apply, Scale: scaleD, Neo4j: answered, Rendered: cluster(3, 0), Rollout: rolling}, "Scale Apply Roll Report"},
		{"nor during a scaling step", plan.Plan{Apply: apply, Scale: scaleD, Neo4j: answered, Rendered: scaling}, "Scale Apply Report"},
		{"nor when Neo4j did not answer", plan.Plan{Apply: apply, Scale: scaleD, Neo4j: &observer.Observation{Failure: neo4j.Unavailable}, Rendered: cluster(3, 0)}, "Scale Apply Report"},
	} {
		var got []string
		for _, s := range tc.p.Steps() {
			got = append(got, string(s))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}

package operator_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

const (
	readyTimeout = 120 * time.Second
	poll         = 200 * time.Millisecond
)

func createNamespace(name string) {
	ExpectWithOffset(1, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
}

// seedCluster is the incident's shape: 3 primaries and 3 secondaries.
func seedCluster(ns string) *v1alpha1.Neo4jEnterpriseCluster {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "neo4j_v1alpha1_neo4jenterprisecluster_seed.yaml"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	ExpectWithOffset(1, yaml.UnmarshalStrict(data, c)).To(Succeed())
	c.Namespace = ns
	return c
}

func getCluster(c *v1alpha1.Neo4jEnterpriseCluster) *v1alpha1.Neo4jEnterpriseCluster {
	out := &v1alpha1.Neo4jEnterpriseCluster{}
	ExpectWithOffset(1, admin.Get(ctx, client.ObjectKeyFromObject(c), out)).To(Succeed())
	return out
}

func updateCluster(c *v1alpha1.Neo4jEnterpriseCluster, edit func(*v1alpha1.Neo4jEnterpriseCluster)) {
	EventuallyWithOffset(1, func() error {
		fresh := getCluster(c)
		edit(fresh)
		return admin.Update(ctx, fresh)
	}, readyTimeout, poll).Should(Succeed())
}

// waitReady waits for phase Ready on the current generation.
func waitReady(c *v1alpha1.Neo4jEnterpriseCluster) {
	EventuallyWithOffset(1, func(g Gomega) {
		got := getCluster(c)
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseReady), "readyServers %s", got.Status.ReadyServers)
	}, readyTimeout, poll).Should(Succeed())
}

func statefulSet(ns, name string) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{}
	ExpectWithOffset(1, admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
	return s
}

// revisions counts the ControllerRevisions a StatefulSet owns.
func revisions(ns, name string) int {
	s := statefulSet(ns, name)
	list := &appsv1.ControllerRevisionList{}
	ExpectWithOffset(1, admin.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	n := 0
	for _, r := range list.Items {
		if metav1.IsControlledBy(&r, s) {
			n++
		}
	}
	return n
}

// podUIDs maps each pod of a StatefulSet to its UID.
func podUIDs(ns, name string) map[string]types.UID {
	s := statefulSet(ns, name)
	list := &corev1.PodList{}
	ExpectWithOffset(1, admin.List(ctx, list, client.InNamespace(ns), client.MatchingLabels(s.Spec.Selector.MatchLabels))).To(Succeed())
	out := map[string]types.UID{}
	for _, p := range list.Items {
		out[p.Name] = p.UID
	}
	return out
}

// writes are what the audit log saw one user do since a moment.
type writes struct {
	Spec, Status, Events, Conflicts, Other int
	Details                                []string
}

func auditWrites(user string, since time.Time) writes {
	var w writes
	// The audit log is written as responses complete: give it a moment.
	time.Sleep(time.Second)
	events, err := cluster.AuditEvents(localcluster.AuditFilter{User: user, Since: since})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	for _, e := range events {
		switch {
		case e.Resource == "leases":
			continue // leader election renewals are left out
		case e.Code == 409:
			w.Conflicts++
		case e.Resource == "events":
			w.Events++
		case e.Subresource == "status":
			w.Status++
		case e.Subresource == "":
			w.Spec++
			w.Details = append(w.Details, fmt.Sprintf("%s %s %s/%s (%d)", e.Verb, e.Resource, e.Namespace, e.Name, e.Code))
		default:
			w.Other++
		}
	}
	sort.Strings(w.Details)
	return w
}

// sideBySide is the seed-replay report printed at the end of the suite.
type sideBySide struct {
	order []string
	naive map[string]string
	ours  map[string]string
}

func (s *sideBySide) row(what string) {
	if s.naive == nil {
		s.naive, s.ours = map[string]string{}, map[string]string{}
	}
	for _, o := range s.order {
		if o == what {
			return
		}
	}
	s.order = append(s.order, what)
}

func (s *sideBySide) add(what, naive, ours string) {
	s.row(what)
	s.naive[what], s.ours[what] = naive, ours
}

// record fills one column of the report with a side's figures.
func (s *sideBySide) record(naive bool, f figures) {
	for _, r := range []struct {
		what string
		v    int
	}{
		{"new ControllerRevisions", f.revisions},
		{"pod deletions", f.podDeletes},
		{"  of which pod index 2", f.pod2Deletes},
		{"spec writes by the operator (audit)", f.writes.Spec},
		{"409 conflicts seen by the API server (audit)", f.writes.Conflicts},
		{"status writes (audit)", f.writes.Status},
		{"Events (audit)", f.writes.Events},
	} {
		s.row(r.what)
		if naive {
			s.naive[r.what] = fmt.Sprint(r.v)
		} else {
			s.ours[r.what] = fmt.Sprint(r.v)
		}
	}
}

func (s *sideBySide) print(w io.Writer) {
	if len(s.order) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n=== Seed replay: the same harness and perturbations, naive reconciler vs this operator ===\n")
	fmt.Fprintf(&b, "%-60s %14s %14s\n", "", "naive (seed)", "this operator")
	for _, r := range s.order {
		fmt.Fprintf(&b, "%-60s %14s %14s\n", r, s.naive[r], s.ours[r])
	}
	fmt.Fprint(w, b.String())
}

// auditCount counts the audit log's events that match f.
func auditCount(f localcluster.AuditFilter) int {
	events, err := cluster.AuditEvents(f)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return len(events)
}

// figures are what one side of the seed replay did to its namespace.
type figures struct {
	revisions, podDeletes, pod2Deletes int
	writes                             writes
}

// measure reads one side's figures from the audit log. ControllerRevision
// creations are counted rather than what exists, which would saturate at
// revisionHistoryLimit.
func measure(ns, user string, since time.Time) figures {
	deletes := localcluster.AuditFilter{Verb: "delete", Resource: "pods", Namespace: ns, Since: since}
	pod2 := deletes
	pod2.Match = func(e localcluster.AuditEvent) bool { return strings.HasSuffix(e.Name, "-2") }
	return figures{
		writes:      auditWrites(user, since),
		revisions:   auditCount(localcluster.AuditFilter{Verb: "create", Resource: "controllerrevisions", Namespace: ns, Succeeded: true, Since: since}),
		podDeletes:  auditCount(deletes),
		pod2Deletes: auditCount(pod2),
	}
}

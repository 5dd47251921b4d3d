package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
	"github.com/graphops-dev/neo4j-operator/test/support/operatorproc"
)

// watcher polls the demo cluster's status and the operator's metrics and
// prints a line whenever either changes, so the output is a short story
// rather than a stream of identical lines.
type watcher struct {
	client client.Client
	key    client.ObjectKey
	op     *operatorproc.Operator
	start  time.Time

	last       string    // the last progress line printed
	writes     float64   // the operator's writes at the last scrape
	lastScrape time.Time // metrics are scraped once a second, not every poll
	scrapeErrs int       // consecutive failed scrapes
}

// untilReady returns once the cluster's phase is Ready for its current
// generation, or with the error that stopped the wait.
func (w *watcher) untilReady(ctx context.Context, died <-chan error) error {
	for {
		c, err := w.poll(ctx)
		if err == nil && isReady(c) {
			return nil
		}
		if err := w.checkOperator(false); err != nil {
			return err
		}
		if err := sleep(ctx, died, pollInterval); err != nil {
			return err
		}
	}
}

// untilInterrupted keeps reporting changes (a user editing the cluster from
// another terminal sees the operator react, and a quiet operator stays
// quiet) until Ctrl-C, which is a normal end.
func (w *watcher) untilInterrupted(ctx context.Context, died <-chan error) error {
	// Count from the writes the summary just showed, not from the last
	// scrape of the wait for Ready, which may predate its final writes.
	w.lastScrape = time.Time{}
	if err := w.checkOperator(false); err != nil {
		return err
	}
	for {
		_, _ = w.poll(ctx)
		if err := w.checkOperator(true); err != nil {
			return err
		}
		if err := sleep(ctx, died, pollInterval); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// poll reads the cluster and prints its progress line if it changed. Read
// errors are returned but not fatal: the caller just polls again.
func (w *watcher) poll(ctx context.Context) (*v1alpha1.Neo4jEnterpriseCluster, error) {
	var c v1alpha1.Neo4jEnterpriseCluster
	if err := w.client.Get(ctx, w.key, &c); err != nil {
		return nil, err
	}
	if line := progressLine(&c); line != w.last {
		fmt.Printf("%7.1fs  %s\n", time.Since(w.start).Seconds(), line)
		w.last = line
	}
	return &c, nil
}

// checkOperator scrapes the operator's metrics once a second. A few failed
// scrapes in a row mean the process died (its metrics endpoint is gone),
// which the demo cannot recover from. With report set it also prints a line
// when the operator's write count moves.
func (w *watcher) checkOperator(report bool) error {
	if time.Since(w.lastScrape) < time.Second {
		return nil
	}
	w.lastScrape = time.Now()
	m, err := w.op.Metrics()
	if err != nil {
		if w.scrapeErrs++; w.scrapeErrs >= 5 {
			return fmt.Errorf("the operator stopped answering (%v); see %s", err, w.op.LogPath)
		}
		return nil
	}
	w.scrapeErrs = 0
	total := m["neo4j_operator_writes_total"]
	if report && total != w.writes {
		fmt.Printf("%7.1fs  operator writes: %.0f (%+.0f)\n", time.Since(w.start).Seconds(), total, total-w.writes)
	}
	w.writes = total
	return nil
}

// sleep waits for d, and ends early with an error on Ctrl-C or when a
// control-plane component dies (the cluster is then unusable).
func sleep(ctx context.Context, died <-chan error, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-died:
		return fmt.Errorf("a control-plane component exited: %w", err)
	case <-time.After(d):
		return nil
	}
}

// isReady is the demo's finish line: the operator reports phase Ready for
// the spec as it is now (not a stale status of an older generation).
func isReady(c *v1alpha1.Neo4jEnterpriseCluster) bool {
	return c.Status.Phase == v1alpha1.PhaseReady && c.Status.ObservedGeneration == c.Generation
}

// progressLine is the one-line state of the cluster: phase, servers ready,
// and per role ready/desired with how many run the update revision. When
// the operator reports Degraded it says why.
func progressLine(c *v1alpha1.Neo4jEnterpriseCluster) string {
	s := c.Status
	if s.Phase == "" {
		return "created; the operator has not reported a status yet"
	}
	line := fmt.Sprintf("phase %-12s servers %-5s primaries %s  secondaries %s",
		s.Phase, s.ReadyServers, roleProgress(s.Primaries), roleProgress(s.Secondaries))
	if d := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionDegraded); d != nil && d.Status == "True" {
		line += fmt.Sprintf("  Degraded: %s: %s", d.Reason, d.Message)
	}
	return line
}

func roleProgress(r v1alpha1.RoleStatus) string {
	return fmt.Sprintf("%d/%d ready (%d updated)", r.ReadyReplicas, r.Replicas, r.UpdatedReplicas)
}

// printSummary prints what the demo produced, each part from its source of
// truth: the cluster's status, the StatefulSets and their
// ControllerRevisions, the operator's own metrics, and the apiserver's audit
// log.
func printSummary(ctx context.Context, lc *localcluster.Cluster, op *operatorproc.Operator, key client.ObjectKey, kubeconfig string) error {
	var c v1alpha1.Neo4jEnterpriseCluster
	if err := lc.Client.Get(ctx, key, &c); err != nil {
		return err
	}
	sets, err := statefulSetLines(ctx, lc.Client, &c)
	if err != nil {
		return err
	}
	m, err := op.Metrics()
	if err != nil {
		return fmt.Errorf("scraping the operator's metrics: %w", err)
	}
	audit, err := auditLine(lc)
	if err != nil {
		return err
	}

	p := func(label, format string, args ...any) {
		fmt.Printf("  %-13s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Println()
	fmt.Println("==== summary ====")
	p("cluster", "Neo4jEnterpriseCluster %s/%s: phase %s, servers ready %s", c.Namespace, c.Name, c.Status.Phase, c.Status.ReadyServers)
	label := "statefulsets"
	for _, l := range sets {
		p(label, "%s", l)
		label = ""
	}
	label = "neo4j (FAKE)"
	for _, sv := range c.Status.Servers {
		p(label, "server %-20s pod %-20s %-9s %-11s hosting %s", sv.Name, sv.Pod, sv.State, sv.Health, strings.Join(sv.Hosting, ","))
		label = ""
	}
	for _, d := range c.Status.Databases {
		p(label, "database %-10s %-8s primaries %d/%d, secondaries %d/%d", d.Name, d.Status,
			d.CurrentPrimaries, d.RequestedPrimaries, d.CurrentSecondaries, d.RequestedSecondaries)
		label = ""
	}
	p("", "(from internal/testing/fake/cluster over Bolt on loopback: no Neo4j runs in this demo)")
	for _, t := range []string{v1alpha1.ConditionClusterFormed, v1alpha1.ConditionServersHealthy} {
		if cond := meta.FindStatusCondition(c.Status.Conditions, t); cond != nil {
			p("", "%s=%s (%s): %s", t, cond.Status, cond.Reason, cond.Message)
		}
	}
	p("operator", "writes %.0f, write conflicts %.0f (refused with 409, retried from a fresh read), writes skipped %.0f (already as desired)",
		m["neo4j_operator_writes_total"], m["neo4j_operator_write_conflicts_total"], m["neo4j_operator_writes_skipped_total"])
	p("", "writes by kind/verb: %s", breakdown(m))
	p("audit log", "%s", audit)
	p("endpoints", "bolt %s", orNone(c.Status.Endpoints.Bolt))
	p("", "http %s", orNone(c.Status.Endpoints.HTTP))
	p("", "(in-cluster names: nothing listens there, see docs/demo.md)")
	p("kubeconfig", "%s (admin, while the demo runs)", kubeconfig)
	p("", "kubectl --kubeconfig %s get n4jc,sts,pods -A", kubeconfig)
	p("logs", "%s (operator.log and the control plane's; kept only if the demo fails)", filepath.Join(lc.Dir, "logs"))
	fmt.Println()
	return nil
}

// statefulSetLines describes each StatefulSet the cluster owns: readiness,
// its current and update revisions, and every ControllerRevision it has. A
// calm operator leaves exactly one revision per StatefulSet after a fresh
// create; each extra one is a template change that rolled pods.
func statefulSetLines(ctx context.Context, c client.Client, owner *v1alpha1.Neo4jEnterpriseCluster) ([]string, error) {
	var sets appsv1.StatefulSetList
	if err := c.List(ctx, &sets, client.InNamespace(owner.Namespace)); err != nil {
		return nil, err
	}
	var revs appsv1.ControllerRevisionList
	if err := c.List(ctx, &revs, client.InNamespace(owner.Namespace)); err != nil {
		return nil, err
	}
	var lines []string
	for _, s := range sets.Items {
		if controllerUID(&s) != owner.UID {
			continue
		}
		var own []string
		for _, r := range revs.Items {
			if controllerUID(&r) == s.UID {
				own = append(own, fmt.Sprintf("%s (#%d)", r.Name, r.Revision))
			}
		}
		sort.Strings(own)
		lines = append(lines,
			fmt.Sprintf("%s: %d/%d ready, %d updated; current %s, update %s",
				s.Name, s.Status.ReadyReplicas, s.Status.Replicas, s.Status.UpdatedReplicas,
				s.Status.CurrentRevision, s.Status.UpdateRevision),
			fmt.Sprintf("  %d ControllerRevision(s): %s", len(own), strings.Join(own, ", ")))
	}
	if len(lines) == 0 {
		lines = []string{"(none found)"}
	}
	return lines, nil
}

// controllerUID is the UID of an object's controlling owner, or "".
func controllerUID(o client.Object) types.UID {
	for _, ref := range o.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller {
			return ref.UID
		}
	}
	return ""
}

// writesKey matches the per-kind, per-verb keys operatorproc.Metrics
// returns, e.g. neo4j_operator_writes_total{kind=StatefulSet}{verb=create}.
var writesKey = regexp.MustCompile(`^neo4j_operator_writes_total\{kind=([^}]*)\}\{verb=([^}]*)\}$`)

// breakdown lists the operator's writes by kind and verb, sorted.
func breakdown(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		if g := writesKey.FindStringSubmatch(k); g != nil && v > 0 {
			parts = append(parts, fmt.Sprintf("%s %s %.0f", g[1], g[2], v))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// auditLine counts, from the apiserver's own record, the requests made
// under the operator's identity that change the cluster's objects (its
// Events and leader-election Lease renewals are bookkeeping and left out),
// how many of them the apiserver refused with 409 Conflict (the operator
// retries those from a fresh read, so they should equal its writes plus its
// conflicts), and pod deletions by anyone: the churn this operator exists to
// avoid.
func auditLine(lc *localcluster.Cluster) (string, error) {
	all, err := lc.AuditEvents(localcluster.AuditFilter{User: operatorproc.User})
	if err != nil {
		return "", err
	}
	writes, conflicts, events := 0, 0, 0
	for _, e := range all {
		switch {
		case e.Resource == "leases":
		case e.Resource == "events":
			events++
		default:
			writes++
			if e.Code == 409 {
				conflicts++
			}
		}
	}
	podDeletes, err := lc.AuditEvents(localcluster.AuditFilter{Verb: "delete", Resource: "pods", Namespace: namespace})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d write requests by %s, %d of them answered 409 Conflict (plus %d Events); pods deleted in %s: %d",
		writes, operatorproc.ServiceAccount, conflicts, events, namespace, len(podDeletes)), nil
}

func orNone(s string) string {
	if s == "" {
		return "(not reported)"
	}
	return s
}

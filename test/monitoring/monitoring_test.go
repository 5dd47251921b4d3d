// Package monitoring checks what the operator ships for Prometheus and
// Grafana: the dashboard against a JSON schema and a layout, the alert
// rules' shape, and that every metric they query exists: the operator's
// own (declared in its Go sources), controller-runtime's, and Neo4j's as
// the Operations Manual names them.
package monitoring

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

var root = testenv.RepoRoot()

type dashboard struct {
	Panels []struct {
		ID      int                      `json:"id"`
		Type    string                   `json:"type"`
		Title   string                   `json:"title"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) (raw any, d dashboard) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "config", "grafana", "neo4j-operator.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	raw, err = jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return raw, d
}

func TestDashboardMatchesSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(filepath.Join(root, "config", "grafana", "dashboard.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := readDashboard(t)
	if err := schema.Validate(raw); err != nil {
		t.Fatalf("config/grafana/neo4j-operator.json: %v", err)
	}
	// The schema can fail: a panel without a query is refused.
	bad := map[string]any{"uid": "x", "title": "x", "schemaVersion": 39, "time": map[string]any{"from": "a", "to": "b"},
		"templating": map[string]any{"list": []any{}},
		"panels": []any{map[string]any{"id": 1, "type": "stat", "title": "t", "description": "d",
			"gridPos": map[string]any{"x": 0, "y": 0, "w": 4, "h": 4}, "datasource": map[string]any{"type": "prometheus", "uid": "${datasource}"}, "targets": []any{}}}}
	if schema.Validate(bad) == nil {
		t.Error("a panel without targets passed the schema")
	}
}

// Panels sit on Grafana's 24-column grid without overlapping, ids unique.
func TestDashboardLayout(t *testing.T) {
	_, d := readDashboard(t)
	type cell struct{ x, y int }
	taken := map[cell]string{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.X+g.W > 24 {
			t.Errorf("%q runs past column 24", p.Title)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Fatalf("%q overlaps %q at %d,%d", p.Title, other, x, y)
				}
				taken[cell{x, y}] = p.Title
			}
		}
	}
	if len(d.Panels) < 15 {
		t.Errorf("%d panels", len(d.Panels))
	}
}

// operatorMetrics are the metric names the operator's Go sources declare.
func operatorMetrics(t *testing.T) []string {
	t.Helper()
	decl := regexp.MustCompile(`Name:\s+"(neo4j_operator_[a-z_]+)"`)
	var out []string
	for _, dir := range []string{"controllers", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			data, err := os.ReadFile(p)
			for _, m := range decl.FindAllStringSubmatch(string(data), -1) {
				out = append(out, m[1])
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// neo4jMetrics are the Neo4j metrics the dashboard reads, as the
// Operations Manual names them (monitoring/metrics/reference.adoc and
// essential.adoc, branches 5.x and dev; prefix "neo4j", and on the
// Prometheus endpoint dots become underscores, expose.adoc), as regular
// expressions over the names queried (per-database names carry the
// database).
var neo4jMetrics = []string{
	`neo4j_dbms_vm_heap_used`,
	`neo4j_dbms_page_cache_hit_ratio`,
	`neo4j_dbms_bolt_connections_running`,
	`neo4j_database_.+_transaction_committed(_total)?`,
	`neo4j_database_.+_cluster_raft_is_leader`,
	`neo4j_database_.+_transaction_last_committed_tx_id(_total)?`,
}

// controllerRuntimeMetrics are controller-runtime's, which it documents
// and registers for every controller.
var controllerRuntimeMetrics = []string{"controller_runtime_reconcile_time_seconds", "controller_runtime_reconcile_total"}

var metricName = regexp.MustCompile(`(neo4j_[a-z_]+|controller_runtime_[a-z_]+)|__name__=~"([^"]+)"`)

// checkNames fails for a queried metric nobody exports.
func checkNames(t *testing.T, where, expr string, ours []string) {
	t.Helper()
	for _, m := range metricName.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		switch {
		case m[2] != "":
			if !slices.Contains(neo4jMetrics, m[2]) {
				t.Errorf("%s: %s is not a Neo4j metric pattern listed from the manual", where, m[2])
			}
		case strings.HasPrefix(name, "neo4j_operator_"):
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !slices.Contains(ours, base) {
				t.Errorf("%s: %s is not a metric the operator declares", where, name)
			}
		case strings.HasPrefix(name, "controller_runtime_"):
			if !slices.Contains(controllerRuntimeMetrics, strings.TrimSuffix(name, "_bucket")) {
				t.Errorf("%s: %s is not a controller-runtime metric", where, name)
			}
		case strings.HasPrefix(name, "neo4j_cluster") || name == "neo4j_server" || name == "neo4j_role":
			// the labels the monitors' relabelings add
		default:
			if !slices.Contains(neo4jMetrics, name) {
				t.Errorf("%s: %s is not a Neo4j metric listed from the manual", where, name)
			}
		}
	}
}

func TestDashboardQueriesExistingMetrics(t *testing.T) {
	ours := operatorMetrics(t)
	if len(ours) < 10 {
		t.Fatalf("found %d operator metrics in the sources", len(ours))
	}
	_, d := readDashboard(t)
	n := 0
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			checkNames(t, p.Title, q.Expr, ours)
			n++
		}
	}
	if n < 18 {
		t.Errorf("%d queries", n)
	}
	// The check can fail.
	sub := &testing.T{}
	checkNames(sub, "x", "rate(neo4j_operator_no_such_total[5m])", ours)
	if !sub.Failed() {
		t.Error("an undeclared metric passed")
	}
}

type rule struct {
	Spec struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// The alerts the issue asks for, each with a duration, a severity, a
// summary, and metrics that exist.
func TestAlerts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "config", "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var r rule
	if err := yaml.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	ours := operatorMetrics(t)
	var names []string
	for _, g := range r.Spec.Groups {
		for _, a := range g.Rules {
			names = append(names, a.Alert)
			if a.For == "" || a.Labels["severity"] == "" || a.Annotations["summary"] == "" || a.Annotations["description"] == "" {
				t.Errorf("%s: wants for, severity, summary and description", a.Alert)
			}
			checkNames(t, a.Alert, a.Expr, ours)
		}
	}
	want := []string{"Neo4jOperatorWriteConflicts", "Neo4jClusterChurning", "Neo4jRolloutStuck", "Neo4jClusterNotReady", "Neo4jCertificateExpiresSoon", "Neo4jBackupMissing"}
	if !slices.Equal(names, want) {
		t.Errorf("alerts %v, want %v", names, want)
	}
}

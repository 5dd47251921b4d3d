package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OperatorServiceSelector finds this operator's metrics Services
// (config/default/metrics_service.yaml) in any namespace.
var OperatorServiceSelector = labels.SelectorFromSet(labels.Set{"app.kubernetes.io/name": "neo4j-operator", "control-plane": "controller-manager"})

// OperatorMetrics is what one operator's metrics endpoint said of its
// writes, read through the API server's service proxy.
type OperatorMetrics struct {
	Service string `json:"service"` // namespace/name:port
	// Error says why the counters could not be read ("" when they were).
	Error string `json:"error,omitempty"`
	// Started is when the operator process started: the counters count
	// from there.
	Started time.Time `json:"started,omitempty"`
	// UptimeSeconds is how long it had run when the doctor looked.
	UptimeSeconds int64   `json:"uptimeSeconds,omitempty"`
	Writes        float64 `json:"writes"`
	Conflicts     float64 `json:"conflicts"`
	// ClusterWrites are the writes for each cluster, by namespace/name.
	ClusterWrites map[string]float64 `json:"clusterWrites,omitempty"`
}

// ParseOperatorMetrics reads the counters from the Prometheus text the
// operator serves (internal/apply/metrics.go, and the client library's
// process_start_time_seconds).
func ParseOperatorMetrics(service string, text []byte) (OperatorMetrics, error) {
	m := OperatorMetrics{Service: service, ClusterWrites: map[string]float64{}}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return m, fmt.Errorf("reading the metrics: %w", err)
	}
	sum := func(name string) float64 {
		total := 0.0
		if f := families[name]; f != nil {
			for _, s := range f.Metric {
				total += value(s)
			}
		}
		return total
	}
	m.Writes = sum("neo4j_operator_writes_total")
	m.Conflicts = sum("neo4j_operator_write_conflicts_total")
	if f := families["neo4j_operator_cluster_writes_total"]; f != nil {
		for _, s := range f.Metric {
			m.ClusterWrites[label(s, "namespace")+"/"+label(s, "name")] += value(s)
		}
	}
	if start := sum("process_start_time_seconds"); start > 0 {
		m.Started = time.Unix(int64(start), 0).UTC()
	}
	// A counter vector with no series yet (an operator that has written
	// nothing since it started) is absent from the page: it counts 0.
	return m, nil
}

func value(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Untyped != nil:
		return s.Untyped.GetValue()
	}
	return 0
}

func label(s *dto.Metric, name string) string {
	for _, l := range s.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// ReadOperatorMetrics finds the operator's metrics Services (in every
// namespace) and reads each through the API server's service proxy, which
// needs get on services/proxy there. A metrics endpoint that authenticates
// its callers (the manager's --metrics-secure, on by default) refuses the
// proxy: the API server does not pass the caller's credentials on. Each
// failure is reported, not returned: the counters are a complement.
func ReadOperatorMetrics(ctx context.Context, c client.Reader, cs kubernetes.Interface) []OperatorMetrics {
	var services corev1.ServiceList
	if err := c.List(ctx, &services, client.MatchingLabelsSelector{Selector: OperatorServiceSelector}); err != nil {
		msg := err.Error()
		if apierrors.IsForbidden(err) {
			msg += " (the operator's Services are looked for in every namespace; --operator-metrics=false skips them)"
		}
		return []OperatorMetrics{{Service: "(listing Services labelled " + OperatorServiceSelector.String() + ")", Error: msg}}
	}
	var out []OperatorMetrics
	for _, s := range services.Items {
		if len(s.Spec.Ports) == 0 {
			continue
		}
		p := s.Spec.Ports[0]
		scheme := "http"
		if p.Name == "https" || p.Port == 8443 {
			scheme = "https"
		}
		service := fmt.Sprintf("%s/%s:%d", s.Namespace, s.Name, p.Port)
		body, err := cs.CoreV1().Services(s.Namespace).ProxyGet(scheme, s.Name, fmt.Sprint(p.Port), "metrics", nil).DoRaw(ctx)
		if err != nil {
			out = append(out, OperatorMetrics{Service: service, Error: proxyError(err, body)})
			continue
		}
		m, err := ParseOperatorMetrics(service, body)
		if err != nil {
			m.Error = err.Error()
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// proxyError says what to do about a failed read, with what the API
// server or the endpoint answered.
func proxyError(err error, body []byte) string {
	msg := err.Error()
	said := strings.TrimSpace(string(body))
	var status metav1.Status
	if json.Unmarshal(body, &status) == nil && status.Kind == "Status" {
		said = status.Message // the API server's own answer, e.g. no endpoints
	}
	if said != "" && !strings.Contains(msg, said) {
		msg += ": " + truncate(said, 200)
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return msg + " (the endpoint authenticates its callers, and the API server's proxy passes no credentials: run the manager with --metrics-secure=false behind a NetworkPolicy, or scrape it with Prometheus)"
	case apierrors.IsForbidden(err):
		return msg + " (reading it needs get on services/proxy in the operator's namespace)"
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// inScope is ops with the cluster counters of namespace ns only ("" for
// all), and their uptime at now.
func inScope(ops []OperatorMetrics, ns string, now time.Time) []OperatorMetrics {
	var out []OperatorMetrics
	for _, o := range ops {
		if !o.Started.IsZero() {
			o.UptimeSeconds = int64(now.Sub(o.Started).Seconds())
		}
		clusters := map[string]float64{}
		for k, v := range o.ClusterWrites {
			if ns == "" || strings.HasPrefix(k, ns+"/") {
				clusters[k] = v
			}
		}
		o.ClusterWrites = clusters
		out = append(out, o)
	}
	return out
}

// printOperators writes what each operator's counters said.
func printOperators(b *strings.Builder, ops []OperatorMetrics) {
	for _, o := range ops {
		if o.Error != "" {
			fmt.Fprintf(b, "operator %s: counters not read: %s\n", o.Service, o.Error)
			continue
		}
		up := ""
		if o.UptimeSeconds > 0 {
			up = fmt.Sprintf(" since it started %s ago", time.Duration(o.UptimeSeconds)*time.Second)
		}
		fmt.Fprintf(b, "operator %s: %.0f writes, %.0f conflicts%s\n", o.Service, o.Writes, o.Conflicts, up)
		for _, k := range slices.Sorted(maps.Keys(o.ClusterWrites)) {
			fmt.Fprintf(b, "      cluster %s: %.0f writes\n", k, o.ClusterWrites[k])
		}
	}
}

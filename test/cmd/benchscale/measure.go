package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

// Memory is the operator process's memory at one moment.
type Memory struct {
	Clusters int `json:"clusters"`
	// RSSMiB is the resident set (VmRSS of /proc/<pid>/status).
	RSSMiB float64 `json:"rssMiB"`
	// RSSFileMiB is the part of it backed by files (RssFile: the binary's
	// pages); the rest is anonymous memory, mostly the Go heap.
	RSSFileMiB float64 `json:"rssFileMiB"`
	// HeapMiB is the Go heap in use right after a forced GC (pprof's
	// heap profile with gc=1: runtime.MemStats HeapAlloc).
	HeapMiB float64 `json:"heapMiB"`
	// HeapRetainedMiB is what the Go runtime keeps from the OS for the
	// heap after that GC (HeapSys - HeapReleased): the live heap plus room
	// to grow to the next GC's goal, which GOGC and GOMEMLIMIT set.
	HeapRetainedMiB float64 `json:"heapRetainedMiB"`
	// ResyncSeconds is the time from a restart until every cluster was
	// reconciled once, at this many clusters.
	ResyncSeconds float64 `json:"resyncSeconds,omitempty"`
}

func rssMiB(pid int) (total, file float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	kb := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if ok && (strings.HasPrefix(name, "Rss") || name == "VmRSS") {
			kb[name], _ = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		}
	}
	if _, ok := kb["VmRSS"]; !ok {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return kb["VmRSS"] / 1024, kb["RssFile"] / 1024, nil
}

// heapAfterGC reads the runtime's MemStats from the heap profile's text
// form, which the runtime writes after a collection when asked with gc=1:
// the live heap (HeapAlloc) and what the runtime keeps from the OS for the
// heap (HeapSys - HeapReleased), both in MiB.
func heapAfterGC(pprofAddr string) (live, retained float64, err error) {
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	stats := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = "); ok && strings.HasPrefix(sc.Text(), "# Heap") {
			stats[name], _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	if _, ok := stats["HeapAlloc"]; !ok {
		return 0, 0, fmt.Errorf("no HeapAlloc in the heap profile")
	}
	return stats["HeapAlloc"] / (1 << 20), (stats["HeapSys"] - stats["HeapReleased"]) / (1 << 20), nil
}

// profile saves one of the operator's pprof profiles in -profiles, if set.
func (b *bench) profile(name, path string) error {
	if b.cfg.Profiles == "" {
		return nil
	}
	resp, err := http.Get("http://" + b.pprof + "/debug/pprof/" + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: %s", path, resp.Status)
	}
	if err := os.MkdirAll(b.cfg.Profiles, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(b.cfg.Profiles, fmt.Sprintf("scale-%d-%s.pb.gz", b.cfg.N, name)))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// scrape reads a Prometheus endpoint.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(string(body)))
}

// sum adds the series of a family whose labels include want.
func sum(f map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	total := 0.0
	for _, m := range f[name].GetMetric() {
		if matches(m, want) {
			total += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return total
}

func matches(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == k && l.GetValue() == v)
		}
		if !found {
			return false
		}
	}
	return true
}

// Latency is a reconcile-time histogram's summary. Quantiles are
// interpolated within buckets, as Prometheus's histogram_quantile does;
// Max is the upper bound of the highest bucket that holds an observation.
type Latency struct {
	Count  uint64  `json:"count"`
	P50ms  float64 `json:"p50ms"`
	P99ms  float64 `json:"p99ms"`
	MaxLEs float64 `json:"maxAtMostMs"`
}

// histogram subtracts before from after (a window) and summarises it.
func histogram(before, after map[string]*dto.MetricFamily, name string, want map[string]string) Latency {
	type bucket struct {
		le    float64
		count float64
	}
	read := func(f map[string]*dto.MetricFamily) (map[float64]float64, uint64) {
		out := map[float64]float64{}
		var n uint64
		for _, m := range f[name].GetMetric() {
			if !matches(m, want) {
				continue
			}
			h := m.GetHistogram()
			n += h.GetSampleCount()
			for _, b := range h.GetBucket() {
				out[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			}
		}
		return out, n
	}
	b0, n0 := read(before)
	b1, n1 := read(after)
	var bs []bucket
	for le, c := range b1 {
		bs = append(bs, bucket{le, c - b0[le]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	l := Latency{Count: n1 - n0}
	if l.Count == 0 {
		return l
	}
	q := func(phi float64) float64 {
		rank := phi * float64(l.Count)
		prevLE, prevC := 0.0, 0.0
		for _, b := range bs {
			if b.count >= rank {
				if math.IsInf(b.le, 1) {
					return prevLE * 1000
				}
				return (prevLE + (b.le-prevLE)*(rank-prevC)/math.Max(b.count-prevC, 1)) * 1000
			}
			prevLE, prevC = b.le, b.count
		}
		return prevLE * 1000
	}
	l.P50ms, l.P99ms = round(q(0.5)), round(q(0.99))
	prevC := 0.0
	for _, b := range bs {
		if b.count > prevC {
			l.MaxLEs = b.le * 1000
		}
		prevC = b.count
	}
	if math.IsInf(l.MaxLEs, 1) {
		l.MaxLEs = -1 // above the largest finite bucket
	}
	return l
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// Requests counts an identity's API requests in a window, by verb, from the
// audit log; conflicts are writes answered 409.
type Requests struct {
	ByVerb map[string]int `json:"byVerb"`
	// Writes are writes of objects: clusters, their status and what the
	// operator owns. Leader-election Lease renewals (a fixed cost, about
	// one every 2 s whatever the number of clusters) and Events are
	// counted apart.
	Writes      int `json:"writes"`
	LeaseWrites int `json:"leaseWrites"`
	EventWrites int `json:"eventWrites"`
	// Conflicts are updates refused with 409 (the object has been
	// modified); AlreadyExists are creates refused with 409.
	Conflicts     int `json:"conflicts"`
	AlreadyExists int `json:"alreadyExists"`
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

func requests(c *localcluster.Cluster, user string, since, until time.Time) (Requests, error) {
	events, err := c.AuditEvents(localcluster.AuditFilter{User: user, Since: since,
		Match: func(e localcluster.AuditEvent) bool { return until.IsZero() || e.Time.Before(until) }})
	if err != nil {
		return Requests{}, err
	}
	r := Requests{ByVerb: map[string]int{}}
	for _, e := range events {
		r.ByVerb[e.Verb]++
		if !writeVerbs[e.Verb] {
			continue
		}
		switch e.Resource {
		case "leases":
			r.LeaseWrites++
		case "events":
			r.EventWrites++
		default:
			r.Writes++
			switch {
			case e.Code != http.StatusConflict:
			case e.Verb == "create":
				r.AlreadyExists++
			default:
				r.Conflicts++
			}
		}
	}
	return r, nil
}

package main

import (
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

func machine() string {
	return fmt.Sprintf("%d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// cpuSeconds is the process's user + system CPU time (/proc/<pid>/stat
// fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields resume after ")".
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("reading /proc/%d/stat", pid)
	}
	return (utime + stime) / 100, nil
}

// sumHistogram is the total of a histogram's observations (its _sum).
func sumHistogram(f map[string]*dto.MetricFamily, name string) float64 {
	total := 0.0
	for _, m := range f[name].GetMetric() {
		total += m.GetHistogram().GetSampleSum()
	}
	return total
}

func verbs(r Requests) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.ByVerb)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.ByVerb[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func markdown(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scale benchmark: %d clusters (3 primaries + 2 secondaries each)\n\n", r.N)
	extra := ""
	if len(r.Operator.Flags) > 0 {
		extra = " " + strings.Join(r.Operator.Flags, " ")
	}
	if r.Operator.GOGC != "" {
		extra += ", GOGC=" + r.Operator.GOGC
	}
	fmt.Fprintf(&b, "%s, %s. Operator flags: --kube-api-qps=%d --kube-api-burst=%d --max-concurrent-reconciles=%d --neo4j-observe=false%s. "+
		"API server only (no controller manager: no pods), audit log of writes and reads.\n\n",
		r.Date, r.Machine, r.Operator.QPS, r.Operator.Burst, r.Operator.MaxConcurrentReconciles, extra)
	last := Memory{}
	if len(r.Memory) > 0 {
		last = r.Memory[len(r.Memory)-1]
	}
	b.WriteString("| side by side | this operator | naive (the seed's, test/support/naive) |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| build-up | %.1f s to observe every generation; %d writes, %d conflicts | %.1f s until every StatefulSet exists; %d writes, %d conflicts, %d creates of existing objects |\n",
		r.BuildUp.Seconds, r.BuildUp.Requests.Writes, r.BuildUp.Requests.Conflicts, r.Naive.BuildUpSeconds, r.Naive.BuildUp.Writes, r.Naive.BuildUp.Conflicts, r.Naive.BuildUp.AlreadyExists)
	fmt.Fprintf(&b, "| steady state: writes | %d in %.0f s (%.2f/min) | %d in %.0f s (%.2f/min) |\n", r.Steady.Requests.Writes, r.Steady.Seconds, r.Steady.WritesPerMin, r.Naive.Steady.Writes, r.Naive.Seconds, r.Naive.WritesPerMin)
	fmt.Fprintf(&b, "| steady state: conflicts (409 on update), creates of existing objects (409 on create) | %d, %d | %d, %d |\n", r.Steady.Requests.Conflicts, r.Steady.Requests.AlreadyExists, r.Naive.Steady.Conflicts, r.Naive.Steady.AlreadyExists)
	fmt.Fprintf(&b, "| steady state: Lease renewals, Events | %d, %d | %d, %d |\n", r.Steady.Requests.LeaseWrites, r.Steady.Requests.EventWrites, r.Naive.Steady.LeaseWrites, r.Naive.Steady.EventWrites)
	fmt.Fprintf(&b, "| steady state: requests by verb | %s | %s |\n", verbs(r.Steady.Requests), verbs(r.Naive.Steady))
	fmt.Fprintf(&b, "| RSS at %d clusters | %.1f MiB | %.1f MiB |\n\n", r.N, last.RSSMiB, r.Naive.RSSMiB)
	b.WriteString("| this operator | figure |\n|---|---|\n")
	row := func(what, v string) { fmt.Fprintf(&b, "| %s | %s |\n", what, v) }
	row("build-up: every generation observed", fmt.Sprintf("%.1f s; %d writes, %d conflicts", r.BuildUp.Seconds, r.BuildUp.Requests.Writes, r.BuildUp.Requests.Conflicts))
	row(fmt.Sprintf("steady state, %.0f s", r.Steady.Seconds), fmt.Sprintf("%d writes (%.2f/min); requests: %s; %.0f reconciles; %.3f CPU s/min",
		r.Steady.Requests.Writes, r.Steady.WritesPerMin, verbs(r.Steady.Requests), r.Steady.Reconciles, r.Steady.CPUSecondsMin))
	row("full resync (operator restarted): every cluster reconciled once", fmt.Sprintf("%.1f s; %d writes; reconcile p50 %.2f ms, p99 %.2f ms, max ≤ %s; client throttling %.0f ms in all",
		r.Resync.Seconds, r.Resync.Requests.Writes, r.Resync.Reconcile.P50ms, r.Resync.Reconcile.P99ms, maxLE(r.Resync.Reconcile.MaxLEs), r.Resync.ThrottledMs))
	row(fmt.Sprintf("full resync at the deployed defaults (--kube-api-qps=%d --kube-api-burst=%d --max-concurrent-reconciles=%d)", deployedQPS, deployedBurst, deployedConcurrent),
		fmt.Sprintf("%.1f s; %d writes; reconcile p50 %.2f ms, p99 %.2f ms, max ≤ %s; client throttling %.0f ms in all",
			r.ResyncDefaults.Seconds, r.ResyncDefaults.Requests.Writes, r.ResyncDefaults.Reconcile.P50ms, r.ResyncDefaults.Reconcile.P99ms,
			maxLE(r.ResyncDefaults.Reconcile.MaxLEs), r.ResyncDefaults.ThrottledMs))
	row("an annotation on every cluster", fmt.Sprintf("%d writes", r.Change.AnnotationRequests.Writes))
	row("a setting changed on every cluster", fmt.Sprintf("%.1f s to observe all; %d writes (%.2f per cluster), %d conflicts",
		r.Change.ConfigSeconds, r.Change.ConfigRequests.Writes, r.Change.WritesPerCluster, r.Change.ConfigRequests.Conflicts))
	b.WriteString("\n| clusters | RSS MiB | of which file-backed MiB | Go heap after GC MiB | heap kept from the OS MiB | full resync s |\n|---|---|---|---|---|---|\n")
	for _, m := range r.Memory {
		fmt.Fprintf(&b, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", m.Clusters, m.RSSMiB, m.RSSFileMiB, m.HeapMiB, m.HeapRetainedMiB, m.ResyncSeconds)
	}
	u := r.UnrelatedMemory
	fmt.Fprintf(&b, "| %d + %d unrelated objects | %.1f | %.1f | %.1f | %.1f | |\n", u.Clusters, r.Unrelated, u.RSSMiB, u.RSSFileMiB, u.HeapMiB, u.HeapRetainedMiB)
	fmt.Fprintf(&b, "\nRSS slope (least squares over the rows above the unrelated one): %.1f KiB per cluster.\n", r.SlopeKiBPerCl)
	b.WriteString(pollerMarkdown(r))
	return b.String()
}

func maxLE(ms float64) string {
	if ms < 0 {
		return "the largest bucket (60 s)"
	}
	return fmt.Sprintf("%g ms", ms)
}

func pollerMarkdown(r Report) string {
	p := r.Poller
	var b strings.Builder
	fmt.Fprintf(&b, "\n## The Bolt poller at %d clusters\n\n", r.N)
	fmt.Fprintf(&b, "Every cluster backed by a FAKE Neo4j cluster (internal/testing/fake/cluster, %d fake Bolt servers in the benchmark's process), "+
		"its StatefulSets' status written as ready, the operator restarted with observation on at its deployed intervals "+
		"(--neo4j-poll-interval=60s, --neo4j-busy-poll-interval=10s, 8 poll workers).\n\n", p.FakeServers)
	b.WriteString("| the poller | figure |\n|---|---|\n")
	row := func(what, v string) { fmt.Fprintf(&b, "| %s | %s |\n", what, v) }
	row("restart until every cluster is Ready on Neo4j's word", fmt.Sprintf("%.1f s", p.ReadySeconds))
	row(fmt.Sprintf("steady state, %.0f s: polls (one Bolt connection, SHOW SERVERS and SHOW DATABASES each)", p.Seconds),
		fmt.Sprintf("%.1f/min; %.0f failed; %.0f other Bolt calls", p.PollsPerMin, p.FailedPolls, p.Commands))
	row("SHOW SERVERS latency, connection included", fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", p.CallP50ms, p.CallP99ms))
	row("steady state: API requests", fmt.Sprintf("%d writes; %s; %.0f reconciles", p.Requests.Writes, verbs(p.Requests), p.Reconciles))
	row("operator CPU", fmt.Sprintf("%.3f s/min (%.3f without observation)", p.CPUSecondsMin, r.Steady.CPUSecondsMin))
	row("open sockets, at most", fmt.Sprintf("%d (%d without observation)", p.SocketsMax, p.SocketsBaseline))
	row("goroutines, at most", fmt.Sprintf("%d (%d without observation)", p.GoroutinesMax, p.GoroutinesBaseline))
	row("memory after the window", fmt.Sprintf("RSS %.1f MiB, Go heap after GC %.1f MiB", p.RSSMiB, p.HeapMiB))
	return b.String()
}

// Package doctor looks for pod churn in any StatefulSet, whoever manages
// it: the signature of the incident this operator exists for, where a
// reconciler fought the StatefulSet controller and pod 2 was recreated
// again and again. It is pure: it reads objects already fetched and says
// what it sees, with a verdict.
package doctor

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Input is what the doctor reads, from one or every namespace.
type Input struct {
	StatefulSets []appsv1.StatefulSet
	Revisions    []appsv1.ControllerRevision
	Pods         []corev1.Pod
	Events       []corev1.Event
	// Since is the start of the window looked at; Now its end.
	Since, Now time.Time
	// Namespace looked at; "" for all.
	Namespace string
	// Operators are this operator's counters, when asked for.
	Operators []OperatorMetrics
}

// Thresholds of churn.
const (
	// MaxRevisions is how many new ControllerRevisions a StatefulSet may
	// get in the window before it is flagged: one spec change makes one,
	// and a change undone another.
	MaxRevisions = 2
	// MaxRecreations is how many times one pod may be created in the
	// window before it is flagged: a roll recreates each pod once.
	MaxRecreations = 1
)

// StatefulSetReport is what the doctor saw of one StatefulSet.
type StatefulSetReport struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// NewRevisions are the ControllerRevisions created in the window.
	NewRevisions int `json:"newRevisions"`
	// Recreations counts pod creations in the window by pod (from the
	// StatefulSet controller's SuccessfulCreate Events).
	Recreations map[string]int `json:"recreations,omitempty"`
	// TemplateManagers are the field managers that own fields of the pod
	// template (managedFields), with their operation.
	TemplateManagers []string `json:"templateManagers,omitempty"`
	// Conflicts are Events about it that report a write conflict.
	Conflicts int `json:"conflicts"`
	// Findings say what is wrong ("" none).
	Findings []string `json:"findings,omitempty"`
}

// Report is the doctor's answer.
type Report struct {
	StatefulSets []StatefulSetReport `json:"statefulSets"`
	// Operators are this operator's write counters, a complement: they
	// count since each operator started, so they do not decide the verdict.
	Operators []OperatorMetrics `json:"operators,omitempty"`
	Churning  bool              `json:"churning"`
	Verdict   string            `json:"verdict"`
}

// createdPod is the StatefulSet controller's Event for a pod it created
// ("Create Pod x in StatefulSet y successful" on 1.37), matched without
// regard to case.
var createdPod = regexp.MustCompile(`(?i)create Pod (\S+) in StatefulSet (\S+) successful`)

// Examine is the report.
func Examine(in Input) Report {
	var r Report
	for _, s := range in.StatefulSets {
		sr := StatefulSetReport{Namespace: s.Namespace, Name: s.Name, Recreations: map[string]int{}}
		sr.NewRevisions = newRevisions(in, &s)
		sr.TemplateManagers = templateManagers(&s)
		for _, e := range in.Events {
			if e.InvolvedObject.Namespace != s.Namespace && e.Namespace != s.Namespace {
				continue
			}
			n := countSince(e, in.Since)
			if n == 0 {
				continue
			}
			if m := createdPod.FindStringSubmatch(e.Message); m != nil && m[2] == s.Name {
				sr.Recreations[m[1]] += n
			}
			if e.InvolvedObject.Name == s.Name && (strings.Contains(e.Message, "the object has been modified") || strings.Contains(e.Reason, "Conflict")) {
				sr.Conflicts += n
			}
		}
		sr.Findings = findings(sr)
		if len(sr.Findings) > 0 {
			r.Churning = true
		}
		r.StatefulSets = append(r.StatefulSets, sr)
	}
	sort.Slice(r.StatefulSets, func(i, j int) bool {
		a, b := r.StatefulSets[i], r.StatefulSets[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	r.Operators = inScope(in.Operators, in.Namespace, in.Now)
	r.Verdict = verdict(r, in.Now.Sub(in.Since))
	return r
}

func newRevisions(in Input, s *appsv1.StatefulSet) int {
	n := 0
	for _, rev := range in.Revisions {
		if metav1.IsControlledBy(&rev, s) && !rev.CreationTimestamp.Time.Before(in.Since) {
			n++
		}
	}
	return n
}

// templateManagers lists the managers owning a field under
// spec.template, as "manager (operation)".
func templateManagers(s *appsv1.StatefulSet) []string {
	var out []string
	for _, mf := range s.ManagedFields {
		if mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]any
		if json.Unmarshal(mf.FieldsV1.Raw, &fields) != nil {
			continue
		}
		spec, _ := fields["f:spec"].(map[string]any)
		if _, ok := spec["f:template"]; !ok {
			continue
		}
		name := fmt.Sprintf("%s (%s)", mf.Manager, mf.Operation)
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func findings(sr StatefulSetReport) []string {
	var out []string
	if sr.NewRevisions > MaxRevisions {
		out = append(out, fmt.Sprintf("%d new revisions", sr.NewRevisions))
	}
	pods := make([]string, 0, len(sr.Recreations))
	for p := range sr.Recreations {
		pods = append(pods, p)
	}
	sort.Strings(pods)
	for _, p := range pods {
		if n := sr.Recreations[p]; n > MaxRecreations {
			out = append(out, fmt.Sprintf("pod %s recreated %d times", ordinal(p), n))
		}
	}
	if len(sr.TemplateManagers) >= 2 {
		out = append(out, "the pod template has "+fmt.Sprint(len(sr.TemplateManagers))+" writers: "+strings.Join(sr.TemplateManagers, ", "))
	}
	if sr.Conflicts > 0 {
		out = append(out, fmt.Sprintf("%d write conflicts reported in Events", sr.Conflicts))
	}
	return out
}

// ordinal is "2" for "seed-primary-2", as an SRE reads it.
func ordinal(pod string) string {
	if i := strings.LastIndex(pod, "-"); i >= 0 {
		return pod[i+1:] + " (" + pod + ")"
	}
	return pod
}

func verdict(r Report, window time.Duration) string {
	churning := 0
	for _, s := range r.StatefulSets {
		if len(s.Findings) > 0 {
			churning++
		}
	}
	if churning == 0 {
		return fmt.Sprintf("calm: %d StatefulSets, no churn in the last %s", len(r.StatefulSets), window.Round(time.Second))
	}
	return fmt.Sprintf("churn: %d of %d StatefulSets in the last %s", churning, len(r.StatefulSets), window.Round(time.Second))
}

// countSince is how many times an Event occurred since a time, as far as
// an aggregated Event tells: all of its count when its first occurrence is
// in the window, one less when it began before (at least one occurrence
// was earlier), none when its last occurrence is earlier.
func countSince(e corev1.Event, since time.Time) int {
	first, last := e.FirstTimestamp.Time, e.LastTimestamp.Time
	if first.IsZero() {
		first = e.EventTime.Time
	}
	if e.Series != nil && !e.Series.LastObservedTime.IsZero() {
		last = e.Series.LastObservedTime.Time
	}
	for _, t := range []time.Time{e.EventTime.Time, first, e.CreationTimestamp.Time} {
		if last.IsZero() {
			last = t
		}
	}
	if last.Before(since) {
		return 0
	}
	n := 1
	switch {
	case e.Series != nil && e.Series.Count > 0:
		n = int(e.Series.Count)
	case e.Count > 0:
		n = int(e.Count)
	}
	if !first.IsZero() && first.Before(since) {
		n = max(n-1, 1)
	}
	return n
}

// Print writes the report for a terminal, ending with the verdict line.
func Print(r Report) string {
	var b strings.Builder
	for _, s := range r.StatefulSets {
		state := "calm"
		if len(s.Findings) > 0 {
			state = "CHURN"
		}
		fmt.Fprintf(&b, "%-5s %s/%s: %d new revisions, %d conflicts", state, s.Namespace, s.Name, s.NewRevisions, s.Conflicts)
		if len(s.TemplateManagers) > 0 {
			fmt.Fprintf(&b, ", template written by %s", strings.Join(s.TemplateManagers, ", "))
		}
		b.WriteString("\n")
		for _, f := range s.Findings {
			fmt.Fprintf(&b, "      - %s\n", f)
		}
	}
	printOperators(&b, r.Operators)
	b.WriteString(r.Verdict + "\n")
	return b.String()
}

package status

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Verdict is a condition's status, reason and message.
type Verdict struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

// Neo4jVerdict is what the status says of Neo4j, from one observation.
type Neo4jVerdict struct {
	Formed, Healthy Verdict
	Servers         []v1alpha1.ServerStatus
	Databases       []v1alpha1.DatabaseStatus
	offline         []string
	// failure is the failed poll's kind ("" when Neo4j answered).
	failure neo4j.Kind
}

// Issue is a Neo4j problem the user must fix (Degraded), or nil.
func (n Neo4jVerdict) Issue() *Issue {
	if n.failure == neo4j.AuthFailed || n.failure == observer.SecretUnusable || n.failure == neo4j.Untrusted {
		return &Issue{Reason: n.Healthy.Reason, Message: n.Healthy.Message}
	}
	return nil
}

// catchingUp is true while Neo4j answers but is not ready yet.
func (n Neo4jVerdict) catchingUp() bool {
	return n.failure == "" && !n.Ready()
}

// Ready is true when the cluster formed, every enabled server is
// Available and every database copy has its requested status.
func (n Neo4jVerdict) Ready() bool {
	return n.Formed.Status == metav1.ConditionTrue && n.Healthy.Status == metav1.ConditionTrue && len(n.offline) == 0
}

func (n Neo4jVerdict) why() string {
	switch {
	case n.Formed.Status != metav1.ConditionTrue:
		return n.Formed.Message
	case n.Healthy.Status != metav1.ConditionTrue:
		return n.Healthy.Message
	}
	return "databases not at their requested status: " + strings.Join(n.offline, ", ")
}

func (n Neo4jVerdict) summary() string {
	if n.Servers == nil && n.Formed.Reason == "" {
		return ""
	}
	return fmt.Sprintf("; Neo4j: %d servers available, %d databases as requested", n.available(), len(n.Databases)-len(n.offline))
}

func (n Neo4jVerdict) available() int {
	k := 0
	for _, s := range n.Servers {
		if s.Health == neo4j.HealthAvailable {
			k++
		}
	}
	return k
}

func (n Neo4jVerdict) condition(t string, v Verdict, gen int64) metav1.Condition {
	return metav1.Condition{Type: t, Status: v.Status, Reason: v.Reason, Message: v.Message, ObservedGeneration: gen}
}

// failureOfReason is a failed poll's kind by its condition reason; where
// kinds share a reason, one of them (they judge alike).
var failureOfReason = map[string]neo4j.Kind{
	"AuthFailed": neo4j.AuthFailed, "SecretUnusable": observer.SecretUnusable, "TLSUnusable": observer.TLSUnusable,
	"CertificateUntrusted": neo4j.Untrusted, "Unreachable": neo4j.Unavailable, "Timeout": neo4j.Timeout, "Refused": neo4j.Refused,
}

// failureReasons name a failed poll's kind in the conditions.
var failureReasons = map[neo4j.Kind]string{
	neo4j.AuthFailed:        "AuthFailed",
	observer.SecretUnusable: "SecretUnusable",
	observer.TLSUnusable:    "TLSUnusable",
	neo4j.Untrusted:         "CertificateUntrusted",
	neo4j.Unavailable:       "Unreachable",
	neo4j.Timeout:           "Timeout",
	neo4j.Refused:           "Refused",
	neo4j.NotALeader:        "Refused",
	neo4j.Unknown:           "Unreachable",
}

// Neo4j judges an observation. Without one (nil: an operator that just
// started), the previous status stands: a restart must not flip Ready.
func Neo4j(c *v1alpha1.Neo4jEnterpriseCluster, o *observer.Observation) Neo4jVerdict {
	unknown := func(reason, msg string) Verdict { return Verdict{metav1.ConditionUnknown, reason, msg} }
	if o == nil {
		return previous(c)
	}
	if o.Failure != "" {
		reason := failureReasons[o.Failure]
		msg := o.Message
		switch o.Failure {
		case neo4j.AuthFailed:
			msg = "Neo4j refused the credentials of the auth Secret " + c.AuthSecretName() + ": " + o.Message
		case observer.SecretUnusable:
			msg = "the auth Secret cannot be used: " + o.Message
		case neo4j.Untrusted:
			msg = "the operator does not trust the servers' Bolt certificate (" + o.Message + "): give the Bolt TLS Secret the ca.crt that signed it, or use a certificate the system's CAs trust"
		}
		return Neo4jVerdict{Formed: unknown(reason, msg), Healthy: Verdict{metav1.ConditionFalse, reason, msg}, failure: o.Failure}
	}
	n := Neo4jVerdict{Servers: servers(o), Databases: databases(o)}
	if neo4j.SystemLeader(o.Databases) != "" {
		n.Formed = Verdict{metav1.ConditionTrue, "Formed", "the system database has a leader"}
	} else {
		n.Formed = Verdict{metav1.ConditionFalse, "NotFormed", "no server leads the system database"}
	}
	byPod := map[string]v1alpha1.ServerStatus{}
	for _, s := range n.Servers {
		byPod[s.Pod] = s
	}
	var down, missing []string
	for _, s := range n.Servers {
		if s.State == neo4j.StateEnabled && s.Health != neo4j.HealthAvailable {
			down = append(down, s.Name)
		}
	}
	for _, pod := range render.PodNames(c) {
		if s, ok := byPod[pod]; !ok || s.State != neo4j.StateEnabled {
			missing = append(missing, pod)
		}
	}
	switch {
	case len(down) > 0:
		n.Healthy = Verdict{metav1.ConditionFalse, "ServersUnavailable", "Unavailable: " + strings.Join(down, ", ")}
	case len(missing) > 0:
		n.Healthy = Verdict{metav1.ConditionFalse, "ServersNotEnabled", "no Enabled server for pods: " + strings.Join(missing, ", ")}
	default:
		n.Healthy = Verdict{metav1.ConditionTrue, "AllAvailable", fmt.Sprintf("%d servers, every enabled one Available", len(n.Servers))}
	}
	seen := map[string]bool{}
	for _, d := range sortedDatabases(o.Databases) {
		if d.CurrentStatus != d.RequestedStatus && !seen[d.Name] {
			seen[d.Name] = true
			n.offline = append(n.offline, d.Name+" ("+d.CurrentStatus+")")
		}
	}
	sort.Strings(n.offline)
	return n
}

// previous rebuilds the verdict the status holds, for a reconcile that has
// no observation yet.
func previous(c *v1alpha1.Neo4jEnterpriseCluster) Neo4jVerdict {
	n := Neo4jVerdict{Servers: c.Status.Servers, Databases: c.Status.Databases}
	for t, v := range map[string]*Verdict{v1alpha1.ConditionClusterFormed: &n.Formed, v1alpha1.ConditionServersHealthy: &n.Healthy} {
		if cond := meta.FindStatusCondition(c.Status.Conditions, t); cond != nil {
			*v = Verdict{cond.Status, cond.Reason, cond.Message}
		} else {
			*v = Verdict{metav1.ConditionUnknown, "NotObservedYet", "the operator has not heard from Neo4j yet"}
		}
	}
	// The failure the status records stands too: the verdict on a failed
	// poll must not depend on whether this operator has polled yet, or a
	// restart writes "catching up" and the next poll writes it back.
	if n.Healthy.Status == metav1.ConditionFalse {
		n.failure = failureOfReason[n.Healthy.Reason]
	}
	for _, d := range n.Databases {
		if d.Status != "online" && d.Status != "offline" {
			n.offline = append(n.offline, d.Name+" ("+d.Status+")")
		}
	}
	return n
}

// sortedDatabases orders rows by database and address, so the first row
// of a kind is always the same one.
func sortedDatabases(rows []neo4j.Database) []neo4j.Database {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Address < out[j].Address
	})
	return out
}

func servers(o *observer.Observation) []v1alpha1.ServerStatus {
	out := []v1alpha1.ServerStatus{}
	for _, s := range o.Servers {
		h := slices.Clone(s.Hosting)
		sort.Strings(h)
		out = append(out, v1alpha1.ServerStatus{Name: s.Name, Address: s.Address, Pod: render.PodOfAddress(s.Address),
			State: s.State, Health: s.Health, Hosting: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func databases(o *observer.Observation) []v1alpha1.DatabaseStatus {
	byName := map[string]*v1alpha1.DatabaseStatus{}
	var names []string
	for _, d := range sortedDatabases(o.Databases) {
		st, ok := byName[d.Name]
		if !ok {
			st = &v1alpha1.DatabaseStatus{Name: d.Name, Status: d.RequestedStatus,
				RequestedPrimaries: int32(d.RequestedPrimaries), RequestedSecondaries: int32(d.RequestedSecondaries),
				CurrentPrimaries: int32(d.CurrentPrimaries), CurrentSecondaries: int32(d.CurrentSecondaries)}
			byName[d.Name] = st
			names = append(names, d.Name)
		}
		if d.CurrentStatus != d.RequestedStatus && st.Status == d.RequestedStatus {
			st.Status = d.CurrentStatus
		}
	}
	sort.Strings(names)
	out := make([]v1alpha1.DatabaseStatus, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

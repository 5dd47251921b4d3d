package status

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
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

// Neo4j judges an observation (nil: none yet).
func Neo4j(c *v1alpha1.Neo4jEnterpriseCluster, o *observer.Observation) Neo4jVerdict {
	unknown := func(reason, msg string) Verdict { return Verdict{metav1.ConditionUnknown, reason, msg} }
	switch {
	case o == nil:
		v := unknown("NotObservedYet", "the operator has not heard from Neo4j yet")
		return Neo4jVerdict{Formed: v, Healthy: v}
	case o.Failure == neo4j.AuthFailed:
		return Neo4jVerdict{Formed: unknown("AuthFailed", o.Message),
			Healthy: Verdict{metav1.ConditionFalse, "AuthFailed", "Neo4j refused the credentials of the auth Secret " + c.AuthSecretName() + ": " + o.Message}}
	case o.Failure != "":
		return Neo4jVerdict{Formed: unknown("Unreachable", o.Message),
			Healthy: Verdict{metav1.ConditionFalse, "Unreachable", "no server answered: " + o.Message}}
	}
	n := Neo4jVerdict{Servers: servers(o), Databases: databases(o)}
	if leader := neo4j.SystemLeader(o.Databases); leader != "" {
		n.Formed = Verdict{metav1.ConditionTrue, "Formed", "the system database has a leader: " + leader}
	} else {
		n.Formed = Verdict{metav1.ConditionFalse, "NotFormed", "no server leads the system database"}
	}
	var down []string
	for _, s := range n.Servers {
		if s.State == neo4j.StateEnabled && s.Health != neo4j.HealthAvailable {
			down = append(down, s.Name)
		}
	}
	if len(down) == 0 {
		n.Healthy = Verdict{metav1.ConditionTrue, "AllAvailable", fmt.Sprintf("%d servers, every enabled one Available", len(n.Servers))}
	} else {
		n.Healthy = Verdict{metav1.ConditionFalse, "ServersUnavailable", "Unavailable: " + strings.Join(down, ", ")}
	}
	seen := map[string]bool{}
	for _, d := range o.Databases {
		if d.CurrentStatus != d.RequestedStatus && !seen[d.Name] {
			seen[d.Name] = true
			n.offline = append(n.offline, d.Name+" ("+d.CurrentStatus+")")
		}
	}
	sort.Strings(n.offline)
	return n
}

func servers(o *observer.Observation) []v1alpha1.ServerStatus {
	out := []v1alpha1.ServerStatus{}
	for _, s := range o.Servers {
		h := slices.Clone(s.Hosting)
		sort.Strings(h)
		out = append(out, v1alpha1.ServerStatus{Name: s.Name, Address: s.Address, Pod: podOf(s.Address),
			State: s.State, Health: s.Health, Hosting: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// podOf reads the pod from an advertised address:
// <pod>-internals.<namespace>.svc.<domain>:<port>.
func podOf(address string) string {
	host, _, _ := strings.Cut(address, ".")
	pod, ok := strings.CutSuffix(host, "-internals")
	if !ok {
		return ""
	}
	return pod
}

func databases(o *observer.Observation) []v1alpha1.DatabaseStatus {
	byName := map[string]*v1alpha1.DatabaseStatus{}
	var names []string
	for _, d := range o.Databases {
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

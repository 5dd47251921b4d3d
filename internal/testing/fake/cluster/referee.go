package cluster

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The referee: rules of the Operations Manual that Neo4j itself does not
// enforce with an error, so a client breaking them is not stopped, only
// punished later (an upgrade gone wrong, a store copied twice). The fake
// records each breach as a Violation, and the test suites assert after
// every spec that there were none (TakeViolations). What Neo4j refuses
// outright, the fake refuses (commands.go).

// Violation is one breach of a rule the manual states.
type Violation struct {
	Rule   string // a short name, stable for assertions
	Source string // the manual's page, under modules/ROOT/pages/
	Detail string // what the fake saw
}

func (v Violation) String() string { return v.Rule + " (" + v.Source + "): " + v.Detail }

// Rules.
const (
	// RuleAdminDuringRoll: "Cypher administration commands must not be
	// used during a rolling upgrade" (dev, database-administration/
	// index.adoc; 5.x create-databases.adoc: "should not"). The fake sees
	// a roll as pods of one StatefulSet on different revisions or images.
	RuleAdminDuringRoll = "AdminCommandDuringRoll"
	// RuleCopiedBack: a lowered topology removed a copy from a server
	// that stays, and a deallocation then copied it back: one store copy
	// the order cordon, then lower, then deallocate would have avoided
	// (servers.adoc: "allocations on cordoned servers are removed first").
	RuleCopiedBack = "StoreCopiedBack"
	// RuleOptionsReset: ENABLE SERVER with OPTIONS on a cordoned server;
	// the options given replace the server's (servers.adoc), an
	// administrator's included. The bare form un-cordons it.
	RuleOptionsReset = "CordonedServerOptionsReset"
	// RuleMixedPolicy: servers with and without the cluster channel's SSL
	// policy ran at the same time. "The policy must be configured on every
	// server with the same settings" (5.x clustering/setup/
	// encryption.adoc): such servers cannot talk to each other, so turning
	// the policy on or off one pod at a time splits the cluster.
	RuleMixedPolicy = "MixedClusterPolicy"
)

// registry collects every fake cluster's violations in this process.
var registry struct {
	mu   sync.Mutex
	list []Violation
}

// TakeViolations returns the violations every fake cluster of this
// process recorded since the last call, and forgets them.
func TakeViolations() []Violation {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := registry.list
	registry.list = nil
	return out
}

// Violations are this cluster's violations so far.
func (c *Cluster) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// violate records a violation; c.mu is held.
func (c *Cluster) violate(rule, source, format string, args ...any) {
	v := Violation{Rule: rule, Source: source, Detail: fmt.Sprintf(format, args...)}
	c.violations = append(c.violations, v)
	registry.mu.Lock()
	registry.list = append(registry.list, v)
	registry.mu.Unlock()
}

// clusterPolicy is what a pod's server runs with: the cluster channel's
// SSL policy on or off; stopping is a pod being deleted, whose server is
// shutting down and no longer counts.
type clusterPolicy struct{ tls, stopping bool }

// SetClusterPolicy tells the fake whether a pod's server runs the
// cluster channel's SSL policy, and whether the pod is terminating;
// FollowPods calls it each list, before SetPod.
func (c *Cluster) SetClusterPolicy(name string, tls, stopping bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.policies == nil {
		c.policies = map[string]clusterPolicy{}
	}
	c.policies[name] = clusterPolicy{tls: tls, stopping: stopping}
	c.refereePolicies()
}

// refereePolicies records RuleMixedPolicy when running servers (Ready,
// not stopping) come to differ in their cluster policy, once until they
// agree again; c.mu is held.
func (c *Cluster) refereePolicies() {
	var on, off []string
	for _, n := range c.order {
		s, p := c.servers[n], c.policies[n]
		if _, known := c.policies[n]; !known || !s.ready || s.gone || p.stopping {
			continue
		}
		if p.tls {
			on = append(on, n)
		} else {
			off = append(off, n)
		}
	}
	mixed := ""
	if len(on) > 0 && len(off) > 0 {
		mixed = fmt.Sprintf("servers with the cluster SSL policy (%s) and without it (%s) running at once",
			strings.Join(on, ", "), strings.Join(off, ", "))
	}
	if mixed != "" && c.mixed == "" {
		c.violate(RuleMixedPolicy, "clustering/setup/encryption.adoc (5.x)", "%s", mixed)
	}
	c.mixed = mixed
}

// SetRevisions tells the fake the revision (controller-revision-hash and
// image) of every pod that exists now; FollowPods calls it each list.
func (c *Cluster) SetRevisions(revisions map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revisions = revisions
}

// rolling names the StatefulSets whose pods are on more than one
// revision ("" when none): a roll or an upgrade is under way.
func (c *Cluster) rolling() string {
	bySet := map[string]map[string]bool{}
	for pod, rev := range c.revisions {
		set := pod[:max(strings.LastIndexByte(pod, '-'), 0)]
		if bySet[set] == nil {
			bySet[set] = map[string]bool{}
		}
		bySet[set][rev] = true
	}
	var out []string
	for set, revs := range bySet {
		if len(revs) > 1 {
			out = append(out, set)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// refereeCommand checks an administration command against the rules
// that concern when it is sent; c.mu is held.
func (c *Cluster) refereeCommand(text string) {
	if set := c.rolling(); set != "" {
		c.violate(RuleAdminDuringRoll, "database-administration/index.adoc (dev)",
			"%q sent while the pods of %s run different revisions", text, set)
	}
}

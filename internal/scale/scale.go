// Package scale decides how servers are added to and removed from a
// cluster, and how declared databases are placed: a pure function of what
// the operator observed (the cluster and its status.scaling, the
// StatefulSets, the last Neo4j poll), table-tested. The controller acts on
// the Decision.
//
// A scale-out raises the StatefulSet, enables the new servers if Neo4j did
// not, and reallocates if asked. A scale-in removes one server at a time,
// highest ordinal first, each in five steps (Operations Manual,
// clustering/servers.adoc and clustering/databases.adoc):
//
//	Cordon → Deallocate → Drop → Shrink → WaitPodGone → (next server)
//
// Cordon is preceded by a dry run of the deallocation, and Deallocate by
// the lowering of the topologies the spec lowers, by the copies the
// cordoned server holds (docs/design.md, "By the manual's rules").
//
// The step is kept in status.scaling, written before the step acts. A
// step's command is sent only while Neo4j shows the server in the state
// before it, in an observation taken after the operator's last command
// (Input.Fresh), and a step advances only once Neo4j (or the StatefulSet,
// or the pod) shows its effect: an operator killed at any point resumes
// without sending a command twice or skipping one.
package scale

import (
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/issue"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/observer"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Input is what a decision is made from.
type Input struct {
	Cluster *v1alpha1.Neo4jEnterpriseCluster
	// Current are the StatefulSets' spec.replicas, as cached (0: none).
	Current map[neo4jconf.Role]int32
	// Neo4j is the last poll (nil: none yet).
	Neo4j *observer.Observation
	// Fresh: the poll started after the last command sent to this
	// cluster. Commands are sent only on a fresh poll.
	Fresh bool
	// CacheSynced: the cache shows every StatefulSet write the operator
	// made (expectations). Destructive steps wait for it.
	CacheSynced bool
	// PodGone: the pod being removed no longer exists (read from the API
	// server at WaitPodGone only).
	PodGone bool
	// Refused is the last command Neo4j refused for this cluster (nil:
	// none since the last accepted one). The same command is not sent
	// again before a backoff, and the step it belongs to reports it.
	Refused *observer.Refusal
	Now     time.Time
	// StuckAfter is how long a deallocation may take before it is
	// reported as stuck.
	StuckAfter time.Duration
	// Seeds of the declared databases that have seedFrom, by name.
	Seeds map[string]Seed
}

// Kind of a Neo4j command.
type Kind string

// Commands the plan can ask for.
const (
	Recreate   Kind = "recreate"
	Enable     Kind = "enable"
	Cordon     Kind = "cordon"
	Deallocate Kind = "deallocate"
	DryRun     Kind = "dryrun-deallocate"
	Drop       Kind = "drop"
	Reallocate Kind = "reallocate"
	Create     Kind = "create-database"
	Alter      Kind = "set-topology"
)

// Command is one Neo4j administration command.
type Command struct {
	Kind Kind
	// Server is the server's ID (Enable, Cordon, Deallocate, Drop).
	Server string
	// Mode is the mode constraint to enable a Free server with; "" for a
	// cordoned one, enabled again as it was.
	Mode string
	// Database, Primaries and Secondaries (Create, Alter).
	Database               string
	Primaries, Secondaries int
	// SeedURI and SeedConfig seed a created database.
	SeedURI, SeedConfig string
}

// Issue is a problem the user must fix: the Degraded condition.
type Issue = issue.Issue

// Placement is the DatabasesPlaced condition's verdict.
type Placement struct {
	Placed          bool
	Reason, Message string
	// Declared are the databases the operator keeps.
	Declared map[string]bool
}

// Decision is what to do now.
type Decision struct {
	// Replicas to render per role.
	Replicas map[neo4jconf.Role]int32
	// Scaling is the scaling status the cluster should have; Transition is
	// true when it differs from the status, which is then written, with
	// an optimistic lock, after Commands and before anything is applied.
	Scaling    *v1alpha1.ScalingStatus
	Transition bool
	Commands   []Command
	// Waiting says what an operation waits for ("" none): the cluster is
	// looked at again soon.
	Waiting   string
	Issues    []Issue
	Placement Placement
	// Bootstrap is the restore of neo4j from its backup, to run with its
	// status record around it (never among Commands: it is not idempotent).
	Bootstrap *Command
	// BootstrapSkip says why neo4j is not restored after all: the
	// status records it (Skipped) and nothing is sent.
	BootstrapSkip string
}

// Decide decides.
func Decide(in Input) (d Decision) {
	c := in.Cluster.WithDefaults()
	sc := in.Cluster.Status.Scaling
	d.Scaling = sc
	defer func() { d.Replicas = replicas(c, in.Current, d.Scaling, in.Cluster.Status.Rollout != nil) }()
	if in.Neo4j == nil || in.Neo4j.Failure != "" {
		d.Placement = Placement{Reason: "NotObserved", Message: "waiting for Neo4j to answer", Declared: declaredNames(c)}
		if sc != nil || wantsScaleIn(c, in.Current) {
			d.Waiting = "waiting for Neo4j to answer before scaling"
		}
		return d
	}
	v := newView(c, in)
	d.Issues = append(d.Issues, droppedPods(c, v, sc)...)
	switch {
	case sc != nil && sc.Direction == v1alpha1.ScaleIn:
		d.scaleIn(c, in, v, sc)
	case sc != nil:
		d.scaleOut(c, v, sc)
	default:
		d.start(c, in, v)
	}
	if d.Scaling == nil || d.Scaling.Direction == v1alpha1.ScaleOut {
		d.Commands = append(d.Commands, enables(c, v)...)
		var cmds []Command
		cmds, d.Placement = place(c, v, shrinkable(c, in, v), in.Seeds, &d)
		d.Commands = append(d.Commands, cmds...)
	} else {
		d.Placement = placement(c, v, nil)
	}
	d.holdForRoll(in)
	d.holdRefused(in)
	if d.Bootstrap != nil && (!in.Fresh || len(d.Commands) > 0) {
		// Alone, and on a poll newer than any command.
		d.Bootstrap = nil
		d.wait("the restore of neo4j waits for a quiet, fresh poll")
	}
	if len(d.Commands) > 0 && !in.Fresh {
		d.Commands, d.Transition = nil, false
		d.Scaling = sc
		d.wait("waiting for a Neo4j poll newer than the last command")
	}
	if d.Transition {
		d.Scaling = stamp(sc, d.Scaling, in.Now)
	}
	return d
}

// holdForRoll sends no administration command while a roll is under way,
// a version upgrade included: "Cypher administration commands must not
// be used during a rolling upgrade" (Operations Manual, dev,
// database-administration/index.adoc; 5.x create-databases.adoc: "should
// not"). They wait for the roll's end, and the status says so.
func (d *Decision) holdForRoll(in Input) {
	if in.Cluster.Status.Rollout == nil || (len(d.Commands) == 0 && d.Bootstrap == nil) {
		return
	}
	var kinds []string
	for _, cmd := range d.Commands {
		kinds = append(kinds, string(cmd.Kind)+" "+cmd.Target())
	}
	if d.Bootstrap != nil {
		kinds = append(kinds, string(Recreate)+" "+d.Bootstrap.Database)
	}
	d.Commands, d.Bootstrap, d.Waiting = nil, nil, ""
	d.wait("administration commands wait for the roll to finish (Neo4j forbids them during a rolling upgrade): " + strings.Join(kinds, ", "))
}

func (d *Decision) wait(msg string) {
	if d.Waiting == "" {
		d.Waiting = msg
	}
}

func (d *Decision) move(to *v1alpha1.ScalingStatus) {
	d.Scaling, d.Transition = to, true
}

// next is sc at another step.
func next(sc *v1alpha1.ScalingStatus, step v1alpha1.ScalingStep) *v1alpha1.ScalingStatus {
	out := sc.DeepCopy()
	out.Step = step
	return out
}

// stamp sets the times of a new scaling status: started when the
// operation began, and the transition now.
func stamp(old, s *v1alpha1.ScalingStatus, now time.Time) *v1alpha1.ScalingStatus {
	if s == nil {
		return nil
	}
	t := metav1.NewTime(now.Truncate(time.Second))
	s.LastTransitionTime = t
	if old == nil || old.Direction != s.Direction || old.Role != s.Role {
		s.StartedAt = t
	}
	return s
}

// replicas are the replicas to render: the spec's, except that a role
// never shrinks but through a scale-in's Shrink step, one server at a
// time.
func replicas(c *v1alpha1.Neo4jEnterpriseCluster, current map[neo4jconf.Role]int32, sc *v1alpha1.ScalingStatus, rolling bool) map[neo4jconf.Role]int32 {
	out := map[neo4jconf.Role]int32{}
	for _, r := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
		out[r] = max(render.Replicas(c, r), current[r])
		if rolling && sc == nil {
			out[r] = current[r] // a scale-out waits for the roll in progress
		}
		if sc != nil && sc.Direction == v1alpha1.ScaleIn && string(r) == sc.Role && pastDrop(sc.Step) {
			out[r] = ordinal(sc.Servers[0])
		}
	}
	return out
}

func pastDrop(s v1alpha1.ScalingStep) bool {
	return s == v1alpha1.StepShrink || s == v1alpha1.StepWaitPodGone
}

// ordinal is a pod's StatefulSet ordinal.
func ordinal(pod string) int32 {
	i := strings.LastIndexByte(pod, '-')
	var n int32
	_, _ = fmt.Sscanf(pod[i+1:], "%d", &n)
	return n
}

func wantsScaleIn(c *v1alpha1.Neo4jEnterpriseCluster, current map[neo4jconf.Role]int32) bool {
	for _, r := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
		if render.Replicas(c, r) < current[r] {
			return true
		}
	}
	return false
}

// start begins an operation: a scale-out first (primaries, then
// secondaries), else a scale-in (secondaries first: read replicas are
// the cheaper to lose), else nothing.
func (d *Decision) start(c *v1alpha1.Neo4jEnterpriseCluster, in Input, v view) {
	for _, r := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
		if want, cur := render.Replicas(c, r), in.Current[r]; want > cur {
			if in.Cluster.Status.Rollout != nil { // one change of servers at a time
				d.wait("scale-out waits for the roll in progress")
				return
			}
			var pods []string
			for i := cur; i < want; i++ {
				pods = append(pods, render.PodName(c, r, i))
			}
			d.move(&v1alpha1.ScalingStatus{Direction: v1alpha1.ScaleOut, Role: string(r), Servers: pods,
				Replicas: want, Step: v1alpha1.StepEnableServers})
			return
		}
	}
	for _, r := range []neo4jconf.Role{neo4jconf.Secondary, neo4jconf.Primary} {
		want, cur := render.Replicas(c, r), in.Current[r]
		if want >= cur {
			continue
		}
		if in.Cluster.Status.Rollout != nil { // one disruption at a time
			d.wait("scale-in waits for the roll in progress")
			return
		}
		if is := refuseScaleIn(c, in.Current, v); is != nil {
			d.Issues = append(d.Issues, *is)
			return
		}
		if is := startQuorum(c, v, r, cur); is != nil {
			d.Issues = append(d.Issues, *is)
			return
		}
		if why := notSettled(c, v); why != "" {
			d.wait("scale-in waits until " + why)
			return
		}
		d.move(&v1alpha1.ScalingStatus{Direction: v1alpha1.ScaleIn, Role: string(r),
			Servers: []string{render.PodName(c, r, cur-1)}, Replicas: want, Step: v1alpha1.StepCordon})
		return
	}
}

// scaleOut follows a scale-out: the new servers enabled and Available,
// then one REALLOCATE if asked.
func (d *Decision) scaleOut(c *v1alpha1.Neo4jEnterpriseCluster, v view, sc *v1alpha1.ScalingStatus) {
	if render.Replicas(c, neo4jconf.Role(sc.Role)) != sc.Replicas {
		d.move(nil) // the spec changed: start over from what is there
		return
	}
	switch sc.Step {
	case v1alpha1.StepEnableServers:
		var missing []string
		for _, pod := range sc.Servers {
			if s := v.byPod[pod]; s == nil || s.State != neo4j.StateEnabled || s.Health != neo4j.HealthAvailable {
				missing = append(missing, pod)
			}
		}
		switch {
		case len(missing) > 0:
			d.wait("waiting for servers to be enabled and Available: " + strings.Join(missing, ", "))
		case c.Spec.ReallocateOnScaleOut:
			d.move(next(sc, v1alpha1.StepReallocate))
		default:
			d.move(nil)
		}
	case v1alpha1.StepReallocate:
		// Sent, then the operation ends: a restart in between sends it
		// again, which moves nothing more (the databases are balanced).
		d.Commands = append(d.Commands, Command{Kind: Reallocate})
		d.move(nil)
	default:
		d.move(nil)
	}
}

// scaleIn takes the server being removed one step further.
func (d *Decision) scaleIn(c *v1alpha1.Neo4jEnterpriseCluster, in Input, v view, sc *v1alpha1.ScalingStatus) {
	pod, role := sc.Servers[0], neo4jconf.Role(sc.Role)
	k := ordinal(pod)
	s := v.byPod[pod]
	state := ""
	if s != nil {
		state = s.State
	}
	kept := render.Replicas(c, role) > k // the spec keeps this server after all
	if s == nil && v.unmatched > 0 {
		d.Issues = append(d.Issues, Issue{Reason: "ServerUnknown", Message: fmt.Sprintf(
			"%d servers in SHOW SERVERS have no address the operator can map to a pod; %s is not removed until each server is known", v.unmatched, pod)})
		return
	}
	switch sc.Step {
	case v1alpha1.StepCordon, v1alpha1.StepDeallocate:
		if kept && (s == nil || state == neo4j.StateEnabled || state == neo4j.StateCordoned || state == neo4j.StateFree) {
			// Not deallocated yet: the removal is called off, and the
			// server this operation cordoned is enabled again.
			if state == neo4j.StateCordoned {
				d.Commands = append(d.Commands, Command{Kind: Enable, Server: s.ID})
			}
			d.move(nil)
			return
		}
	}
	switch sc.Step {
	case v1alpha1.StepCordon:
		switch {
		case s == nil || state == neo4j.StateFree:
			d.move(next(sc, v1alpha1.StepShrink)) // it hosts nothing
		case state == neo4j.StateEnabled:
			if is := quorum(v, role, s); is != nil {
				d.Issues = append(d.Issues, *is)
				return
			}
			d.cordon(c, in, v, pod, s)
		default: // Cordoned or further on
			d.move(next(sc, v1alpha1.StepDeallocate))
		}
	case v1alpha1.StepDeallocate:
		switch {
		case state == neo4j.StateDeallocated:
			// Deallocated is the manual's signal (servers.adoc: "no longer
			// hosts any databases besides the system database"); hosting
			// is not, since composite databases are hosted on every server.
			d.move(next(sc, v1alpha1.StepDrop))
		case s == nil || state == neo4j.StateFree || state == neo4j.StateDropped:
			d.move(next(sc, v1alpha1.StepShrink)) // nothing to drop
		case state == neo4j.StateCordoned && len(stepDowns(c, v)) > 0:
			// Lowered topologies first, now that the leaving server is
			// cordoned, by the copies it holds: Neo4j removes allocations
			// from cordoned servers first (servers.adoc), so its copies go
			// instead of another server's, and DEALLOCATE has less or
			// nothing to copy.
			d.Commands = append(d.Commands, stepDowns(c, v)...)
			d.wait("lowering database topologies before deallocating " + pod)
		case state == neo4j.StateEnabled || state == neo4j.StateCordoned:
			if msg := refusedNow(in, Deallocate, s.ID); msg != "" {
				d.Issues = append(d.Issues, Issue{Reason: "DeallocationRefused", Message: fmt.Sprintf("Neo4j refused to deallocate %s: %s; the StatefulSet is not shrunk", pod, msg)})
			}
			d.Commands = append(d.Commands, Command{Kind: Deallocate, Server: s.ID})
		default: // Deallocating
			hosts := "nothing but system, yet Neo4j has not finished deallocating it"
			if l := userDatabases(s.Hosting); len(l) > 0 {
				hosts = strings.Join(l, ", ")
			}
			msg := fmt.Sprintf("deallocating %s: it still hosts %s", pod, hosts)
			d.wait(msg)
			if in.StuckAfter > 0 && in.Now.Sub(sc.LastTransitionTime.Time) > in.StuckAfter {
				d.Issues = append(d.Issues, Issue{Reason: "DeallocationStuck", Message: fmt.Sprintf(
					"%s has been deallocating for more than %s and still hosts %s: the copies elsewhere are not online yet (see SHOW DATABASES); the StatefulSet is not shrunk until it hosts nothing but system",
					pod, in.StuckAfter, hosts)})
			}
		}
	case v1alpha1.StepShrink:
		switch {
		case !in.CacheSynced:
			d.wait("waiting for the cache to show the last StatefulSet write")
		case in.Current[role] <= k:
			d.move(next(sc, v1alpha1.StepWaitPodGone))
		default:
			d.wait(fmt.Sprintf("shrinking the %s StatefulSet to %d", role, k))
		}
	case v1alpha1.StepWaitPodGone:
		switch {
		case !in.PodGone:
			d.wait("waiting for pod " + pod + " to be gone")
		case state == neo4j.StateDeallocated:
			// Stopped before its DROP: the order of operators before
			// issue 26. Dropped now, then the removal ends.
			d.drop(in, pod, s)
		default:
			d.afterRemoval(c, sc, role, k)
		}
	case v1alpha1.StepDrop:
		// Dropped while its process runs, then stopped: "Once this command
		// has been executed successfully, the Neo4j process on the server
		// in question may be stopped" (servers.adoc). The system
		// database's Raft group loses the member before the process stops,
		// never a running member.
		switch {
		case s == nil || state == neo4j.StateDropped || state == neo4j.StateFree:
			d.move(next(sc, v1alpha1.StepShrink))
		default:
			d.drop(in, pod, s)
		}
	}
}

// drop sends DROP SERVER, reporting Neo4j's refusal of the last one.
func (d *Decision) drop(in Input, pod string, s *neo4j.Server) {
	if msg := refusedNow(in, Drop, s.ID); msg != "" {
		d.Issues = append(d.Issues, Issue{Reason: "DropRefused", Message: fmt.Sprintf("Neo4j refused to drop server %s (%s): %s; no further server is removed", pod, s.State, msg)})
	}
	d.Commands = append(d.Commands, Command{Kind: Drop, Server: s.ID})
}

// afterRemoval moves to the next server to remove, or ends the scale-in.
func (d *Decision) afterRemoval(c *v1alpha1.Neo4jEnterpriseCluster, sc *v1alpha1.ScalingStatus, role neo4jconf.Role, k int32) {
	if render.Replicas(c, role) < k {
		n := next(sc, v1alpha1.StepCordon)
		n.Servers = []string{render.PodName(c, role, k-1)}
		n.Replicas = render.Replicas(c, role)
		d.move(n)
		return
	}
	d.move(nil)
}

// cordon is the dry run of the server's deallocation, then its cordon:
// a deallocation Neo4j would refuse must not leave the server cordoned
// (server-syntax.adoc: [DRYRUN] DEALLOCATE). With topologies to lower the
// dry run would be refused for too few servers, so it waits for the
// deallocation itself, which Neo4j refuses changing nothing.
func (d *Decision) cordon(c *v1alpha1.Neo4jEnterpriseCluster, in Input, v view, pod string, s *neo4j.Server) {
	if len(lowering(c, v)) > 0 {
		d.Commands = append(d.Commands, Command{Kind: Cordon, Server: s.ID})
		return
	}
	if msg := refusedNow(in, DryRun, s.ID); msg != "" {
		d.Issues = append(d.Issues, Issue{Reason: "DeallocationRefused", Message: fmt.Sprintf(
			"Neo4j's dry run refuses to deallocate %s: %s; it is not cordoned, and nothing was changed", pod, msg)})
	}
	d.Commands = append(d.Commands, Command{Kind: DryRun, Server: s.ID}, Command{Kind: Cordon, Server: s.ID})
}

func userDatabases(hosting []string) []string {
	var out []string
	for _, h := range hosting {
		if h != "system" {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// droppedPods reports pods whose server Neo4j has dropped: a server's ID
// lives on its data volume, and a dropped server cannot rejoin (Operations
// Manual, servers.adoc, "Dropped state"). This happens when a removed
// server's pod comes back on its retained volume.
//
// The pod a scale-in removes runs its dropped server until it stops.
func droppedPods(c *v1alpha1.Neo4jEnterpriseCluster, v view, sc *v1alpha1.ScalingStatus) []Issue {
	var out []Issue
	for _, pod := range v.pods {
		leaving := sc != nil && sc.Direction == v1alpha1.ScaleIn && pod == sc.Servers[0]
		if s := v.byPod[pod]; s != nil && s.State == neo4j.StateDropped && s.Health == neo4j.HealthAvailable && !leaving {
			out = append(out, Issue{Reason: "ServerDropped", Message: fmt.Sprintf(
				"pod %s runs server %s, which Neo4j dropped when it was removed: its data volume was retained. Delete the pod's data PersistentVolumeClaim (data-%s) and the pod, so it starts as a new server",
				pod, s.ID, pod)})
		}
	}
	return out
}

// view is the observation, by pod.
type view struct {
	pods  []string                 // the pods the cluster has now, by the StatefulSets
	byPod map[string]*neo4j.Server // servers by pod (not Dropped ones when another exists)
	obs   *observer.Observation
	// unmatched counts servers, not dropped, whose address names no pod
	// (the manual: address is set only when the server is enabled).
	unmatched int
}

func newView(c *v1alpha1.Neo4jEnterpriseCluster, in Input) view {
	v := view{byPod: map[string]*neo4j.Server{}, obs: in.Neo4j}
	for _, r := range []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary} {
		for i := int32(0); i < max(in.Current[r], render.Replicas(c, r)); i++ {
			v.pods = append(v.pods, render.PodName(c, r, i))
		}
	}
	var nameless []*neo4j.Server
	for i := range in.Neo4j.Servers {
		s := &in.Neo4j.Servers[i]
		pod := render.PodOfAddress(s.Address)
		if pod == "" {
			if s.State != neo4j.StateDropped {
				nameless = append(nameless, s)
			}
			continue
		}
		if old := v.byPod[pod]; old == nil || old.State == neo4j.StateDropped {
			v.byPod[pod] = s
		}
	}
	v.matchFree(c, nameless)
	return v
}

// matchFree pairs Free servers without an address (SHOW SERVERS: the
// address "May be null", show-servers-monitoring.adoc) with the pods no
// server names, when they are as many and of one role: which is which
// does not matter to ENABLE SERVER, whose mode comes from the role, and
// an enabled server reports its address. Others stay unmatched.
func (v *view) matchFree(c *v1alpha1.Neo4jEnterpriseCluster, nameless []*neo4j.Server) {
	var pods []string
	roles := map[neo4jconf.Role]bool{}
	for _, pod := range v.pods {
		if v.byPod[pod] == nil {
			pods, roles[roleOf(c, pod)] = append(pods, pod), true
		}
	}
	free := len(nameless) == len(pods) && len(roles) == 1
	for _, s := range nameless {
		free = free && s.State == neo4j.StateFree
	}
	if !free {
		v.unmatched = len(nameless)
		return
	}
	sort.Slice(nameless, func(i, j int) bool { return nameless[i].ID < nameless[j].ID })
	for i, pod := range pods {
		v.byPod[pod] = nameless[i]
	}
}

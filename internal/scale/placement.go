package scale

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Database is a declared database with its topology resolved.
type Database struct {
	Name                   string
	Primaries, Secondaries int
	// Seeded: the spec asks for the database to be created from a seed.
	Seeded bool
}

// DefaultDatabase is the database every cluster declares unless the spec
// lists it itself.
const DefaultDatabase = "neo4j"

// MaxSecondaries is the most secondaries a database can have: "The
// maximum number of secondaries you can have is 20" (Operations Manual,
// clustering/introduction.adoc, 5.x and dev); CREATE and ALTER asking more
// are refused.
const MaxSecondaries = 20

// Declared are the databases the operator keeps, neo4j first when not
// listed, then in spec order. Unset counts follow the cluster:
// min(3, primaries) primaries (as initial.dbms.default_primaries_count is
// rendered) and a secondary copy on every secondary server, up to
// MaxSecondaries, so servers a scale-out adds host something.
func Declared(c *v1alpha1.Neo4jEnterpriseCluster) []Database {
	t := c.Spec.Topology
	resolve := func(s v1alpha1.DatabaseSpec) Database {
		d := Database{Name: s.Name, Primaries: int(min(t.Primaries, 3)), Secondaries: int(min(t.Secondaries, MaxSecondaries)), Seeded: s.SeedFrom != nil}
		if p := s.Topology.Primaries; p != nil {
			d.Primaries = int(*p)
		}
		if n := s.Topology.Secondaries; n != nil {
			d.Secondaries = int(*n)
		}
		return d
	}
	var out []Database
	listed := false
	for _, s := range c.Spec.Databases {
		listed = listed || s.Name == DefaultDatabase
	}
	if !listed {
		out = append(out, resolve(v1alpha1.DatabaseSpec{Name: DefaultDatabase}))
	}
	for _, s := range c.Spec.Databases {
		d := resolve(s)
		d.Seeded = d.Seeded || restored(c, s.Name)
		out = append(out, d)
	}
	// Databases restored at bootstrap that spec.databases does not list
	// are declared too, at the default topology.
	if b := c.Spec.Bootstrap; b != nil {
		for _, r := range b.FromBackup {
			if r.Database != DefaultDatabase && !slices.ContainsFunc(c.Spec.Databases, func(s v1alpha1.DatabaseSpec) bool { return s.Name == r.Database }) {
				d := resolve(v1alpha1.DatabaseSpec{Name: r.Database})
				d.Seeded = true
				out = append(out, d)
			}
		}
	}
	return out
}

// restored reports whether spec.bootstrap restores the database.
func restored(c *v1alpha1.Neo4jEnterpriseCluster, name string) bool {
	return c.Spec.Bootstrap != nil && slices.ContainsFunc(c.Spec.Bootstrap.FromBackup, func(r v1alpha1.DatabaseRestore) bool { return r.Database == name })
}

func declaredNames(c *v1alpha1.Neo4jEnterpriseCluster) map[string]bool {
	out := map[string]bool{}
	for _, d := range Declared(c) {
		out[d.Name] = true
	}
	return out
}

// dbState is one database as Neo4j reports it.
type dbState struct {
	requested, current topology
	notOnline          []string  // "server (status)"
	created            time.Time // the earliest creationTime reported (zero: none)
}

func databases(v view) map[string]*dbState {
	out := map[string]*dbState{}
	for _, d := range v.obs.Databases {
		if !d.Topological() {
			continue // composite, property shard: no primaries to keep
		}
		st := out[d.Name]
		if st == nil {
			st = &dbState{requested: topology{int(d.RequestedPrimaries), int(d.RequestedSecondaries)},
				current: topology{int(d.CurrentPrimaries), int(d.CurrentSecondaries)}}
			out[d.Name] = st
		}
		if !d.CreationTime.IsZero() && (st.created.IsZero() || d.CreationTime.Before(st.created)) {
			st.created = d.CreationTime
		}
		if d.CurrentStatus != d.RequestedStatus {
			st.notOnline = append(st.notOnline, render.PodOfAddress(d.Address)+" ("+d.CurrentStatus+")")
		}
	}
	return out
}

// capacity is what the enabled servers can host of a database: primaries
// on servers whose mode allows them, any copy on any enabled server, each
// only where its allowed and denied databases let it (servers.adoc).
func capacity(v view, db string) (primaries, all int) {
	for _, s := range v.obs.Servers {
		if s.State != neo4j.StateEnabled || !s.MayHost(db) {
			continue
		}
		all++
		if s.ModeConstraint != "SECONDARY" {
			primaries++
		}
	}
	return primaries, all
}

// place sends CREATE DATABASE for declared databases that are missing and
// ALTER DATABASE ... SET TOPOLOGY for those whose topology differs, when
// the enabled servers can take it (else it waits: a scale-out may be
// bringing them); and judges the placement.
func place(c *v1alpha1.Neo4jEnterpriseCluster, v view, shrink bool, seeds map[string]Seed, dec *Decision) ([]Command, Placement) {
	dbs := databases(v)
	var out []Command
	for _, d := range Declared(c) {
		want := topology{d.Primaries, d.Secondaries}
		st := dbs[d.Name]
		capP, capAll := capacity(v, d.Name)
		fits := want.primaries <= capP && want.primaries+want.secondaries <= capAll
		switch {
		case !fits && (st == nil || st.requested != want):
			dec.wait(fmt.Sprintf("database %s waits for enough enabled servers: it needs %d primaries and %d secondaries; %d servers are enabled, %d of them can host primaries",
				d.Name, want.primaries, want.secondaries, capAll, capP))
		case d.Name == DefaultDatabase && restored(c, d.Name):
			// Restored from its backup before anything else touches it.
			dec.Bootstrap = bootstrap(c, d, st, seeds[d.Name], dec)
			if b := c.Status.Bootstrap; dec.Bootstrap == nil && (b == nil || (b.State != v1alpha1.BootstrapRestored && b.State != v1alpha1.BootstrapSkipped)) {
				continue
			}
			if st != nil && st.requested != want && dec.Bootstrap == nil {
				out = append(out, Command{Kind: Alter, Database: d.Name, Primaries: d.Primaries, Secondaries: d.Secondaries})
			}
		case st == nil && d.Seeded:
			// Never created empty when a seed was asked for: it could not be
			// seeded later.
			if cmd, ok := seeded(d, seeds[d.Name], dec); ok {
				out = append(out, cmd)
			}
		case st == nil:
			out = append(out, Command{Kind: Create, Database: d.Name, Primaries: d.Primaries, Secondaries: d.Secondaries})
		case st.requested == want:
		case unreachable(st.requested, want):
			dec.Issues = append(dec.Issues, Issue{Reason: "TopologyUnreachable", Message: fmt.Sprintf(
				"database %s cannot go from %d primaries to 1: Neo4j does not move a database to a single primary automatically (Operations Manual, clustering/databases.adoc); it keeps %d",
				d.Name, st.requested.primaries, st.requested.primaries)})
		case !shrink && (want.primaries < st.requested.primaries || want.secondaries < st.requested.secondaries):
			dec.wait(fmt.Sprintf("the topology of %s is lowered once the cluster is healthy and the scale-in it goes with is admitted", d.Name))
		default:
			out = append(out, Command{Kind: Alter, Database: d.Name, Primaries: d.Primaries, Secondaries: d.Secondaries})
		}
	}
	return out, placement(c, v, dbs)
}

// lowering are the declared databases whose declared topology is lower
// than the one Neo4j has (no count raised): during a scale-in they are
// lowered once the leaving server is cordoned, never before.
func lowering(c *v1alpha1.Neo4jEnterpriseCluster, v view) map[string]bool {
	dbs := databases(v)
	out := map[string]bool{}
	for _, d := range Declared(c) {
		if st := dbs[d.Name]; st != nil && lowers(st.requested, topology{d.Primaries, d.Secondaries}) {
			out[d.Name] = true
		}
	}
	return out
}

// stepDowns are the ALTER DATABASE ... SET TOPOLOGY commands that lower
// the databases in lowering by the copies the cordoned servers hold, and
// no further than declared: Neo4j removes allocations from cordoned
// servers first (servers.adoc), and only from them if the topology loses
// no more copies than they hold. Lowered further, it would drop copies on
// servers that stay, which the next deallocation would copy back.
func stepDowns(c *v1alpha1.Neo4jEnterpriseCluster, v view) []Command {
	dbs, low := databases(v), lowering(c, v)
	var out []Command
	for _, d := range Declared(c) {
		st := dbs[d.Name]
		if !low[d.Name] {
			continue
		}
		onCordoned := cordonedCopies(v, d.Name)
		to := topology{max(d.Primaries, st.requested.primaries-onCordoned.primaries), max(d.Secondaries, st.requested.secondaries-onCordoned.secondaries)}
		capP, capAll := capacity(v, d.Name)
		if to != st.requested && !unreachable(st.requested, to) && to.primaries <= capP && to.primaries+to.secondaries <= capAll {
			out = append(out, Command{Kind: Alter, Database: d.Name, Primaries: to.primaries, Secondaries: to.secondaries})
		}
	}
	return out
}

// cordonedCopies counts a database's copies, by role, on cordoned servers.
func cordonedCopies(v view, db string) topology {
	cordoned := map[string]bool{}
	for _, s := range v.obs.Servers {
		if s.State == neo4j.StateCordoned && s.Address != "" {
			cordoned[s.Address] = true
		}
	}
	var t topology
	for _, d := range v.obs.Databases {
		switch {
		case d.Name != db || !cordoned[d.Address]:
		case d.Role == "primary":
			t.primaries++
		case d.Role == "secondary":
			t.secondaries++
		}
	}
	return t
}

// lowers: want differs from have by fewer copies only, and is reachable.
func lowers(have, want topology) bool {
	return want != have && want.primaries <= have.primaries && want.secondaries <= have.secondaries && !unreachable(have, want)
}

// Seed is a declared database's seed as observed: its URI, or why there
// is none yet (Wait: a backup not completed yet) or will be none without
// a fix (Problem).
type Seed struct {
	URI, Config   string
	Wait, Problem string
}

// bootstrap is the recreate of neo4j from its backup, once, when the
// cluster formed and neo4j is online on every allocation; or the wait or
// issue that holds it back. status.bootstrap records it: Requested before
// the call and Restored or Failed after, so a Requested seen here means
// the operator stopped in between and the call is not sent again.
func bootstrap(c *v1alpha1.Neo4jEnterpriseCluster, d Database, st *dbState, s Seed, dec *Decision) *Command {
	if b := c.Status.Bootstrap; b != nil {
		switch b.State {
		case v1alpha1.BootstrapRequested:
			dec.Issues = append(dec.Issues, Issue{Reason: "BootstrapUnconfirmed", Message: fmt.Sprintf(
				"the operator stopped while restoring neo4j from %s (since %s); whether Neo4j ran the restore is unknown and it is not sent twice: check neo4j's data, and if it is empty run the recreate procedure by hand (docs/backup.md)", b.SeedURI, b.Since.UTC().Format("2006-01-02T15:04:05Z"))})
		case v1alpha1.BootstrapFailed:
			dec.Issues = append(dec.Issues, Issue{Reason: "BootstrapFailed", Message: fmt.Sprintf("Neo4j refused to restore neo4j from %s: %s", b.SeedURI, b.Message)})
		}
		return nil
	}
	if st == nil {
		dec.wait("the restore of neo4j waits for the database to be online on every allocation")
		return nil
	}
	switch {
	case c.Annotations[v1alpha1.AnnotationBootstrapped] != "":
		dec.BootstrapSkip = fmt.Sprintf("the annotation %s says neo4j was restored already (%s) and status.bootstrap was lost: it is not restored again",
			v1alpha1.AnnotationBootstrapped, c.Annotations[v1alpha1.AnnotationBootstrapped])
	case st != nil && !st.created.IsZero() && st.created.Before(c.CreationTimestamp.Time):
		dec.BootstrapSkip = fmt.Sprintf("neo4j was created at %s, before this cluster object (%s): its data predates the cluster (kept volumes, a restored snapshot) and is not replaced",
			st.created.UTC().Format(time.RFC3339), c.CreationTimestamp.UTC().Format(time.RFC3339))
	case c.Status.Rollout != nil:
		dec.wait("the restore of neo4j waits for the roll to finish")
	case s.Problem != "":
		dec.Issues = append(dec.Issues, Issue{Reason: "SeedUnusable", Message: fmt.Sprintf("neo4j is not restored: %s", s.Problem)})
	case s.Wait != "" || s.URI == "":
		dec.wait(fmt.Sprintf("the restore of neo4j waits for its seed: %s", s.Wait))
	case len(st.notOnline) > 0:
		dec.wait("the restore of neo4j waits for the database to be online on every allocation")
	default:
		return &Command{Kind: Recreate, Database: d.Name, Primaries: d.Primaries, Secondaries: d.Secondaries, SeedURI: s.URI}
	}
	return nil
}

// seeded is the CREATE DATABASE of a seeded database, or the wait or
// issue that holds it back.
func seeded(d Database, s Seed, dec *Decision) (Command, bool) {
	switch {
	case s.Problem != "":
		dec.Issues = append(dec.Issues, Issue{Reason: "SeedUnusable", Message: fmt.Sprintf("database %s is not created: %s", d.Name, s.Problem)})
	case s.Wait != "":
		dec.wait(fmt.Sprintf("database %s waits for its seed: %s", d.Name, s.Wait))
	case s.URI == "":
		dec.wait(fmt.Sprintf("database %s waits for its seed to be resolved", d.Name))
	default:
		return Command{Kind: Create, Database: d.Name, Primaries: d.Primaries, Secondaries: d.Secondaries, SeedURI: s.URI, SeedConfig: s.Config}, true
	}
	return Command{}, false
}

// placement judges whether every declared database exists with its
// topology requested, allocated and online.
func placement(c *v1alpha1.Neo4jEnterpriseCluster, v view, dbs map[string]*dbState) Placement {
	return placementBut(c, v, dbs, nil)
}

// placementBut judges the placement, forgiving the databases in lowering
// a topology that is declared lower than requested: a scale-in starts
// before they are lowered, since it lowers them once its server is
// cordoned.
func placementBut(c *v1alpha1.Neo4jEnterpriseCluster, v view, dbs map[string]*dbState, lowering map[string]bool) Placement {
	if dbs == nil {
		dbs = databases(v)
	}
	p := Placement{Placed: true, Reason: "AsDeclared", Declared: declaredNames(c)}
	var problems []string
	fail := func(reason, msg string) {
		if p.Placed {
			p.Placed, p.Reason = false, reason
		}
		problems = append(problems, msg)
	}
	for _, d := range Declared(c) {
		want := topology{d.Primaries, d.Secondaries}
		st := dbs[d.Name]
		switch {
		case st == nil:
			fail("Creating", d.Name+" does not exist yet")
		case st.requested != want && !unreachable(st.requested, want) && !(lowering[d.Name] && lowers(st.requested, want)):
			fail("Altering", fmt.Sprintf("%s has %d primaries and %d secondaries, declared %d and %d",
				d.Name, st.requested.primaries, st.requested.secondaries, want.primaries, want.secondaries))
		case st.current.primaries != st.requested.primaries || st.current.secondaries != st.requested.secondaries:
			fail("Allocating", fmt.Sprintf("%s has %d of %d primaries and %d of %d secondaries allocated", d.Name,
				st.current.primaries, st.requested.primaries, st.current.secondaries, st.requested.secondaries))
		case len(st.notOnline) > 0:
			fail("Allocating", d.Name+" is not online on "+strings.Join(st.notOnline, ", "))
		}
	}
	var kept []string
	for _, name := range slices.Sorted(maps.Keys(dbs)) {
		if name != "system" && !p.Declared[name] {
			kept = append(kept, name)
		}
	}
	if p.Placed {
		problems = append(problems, fmt.Sprintf("%d declared databases placed", len(p.Declared)))
	}
	if len(kept) > 0 {
		problems = append(problems, "not in spec.databases, kept as they are: "+strings.Join(kept, ", "))
	}
	p.Message = strings.Join(problems, "; ")
	return p
}

// roleOf is a pod's role, by its StatefulSet's name.
func roleOf(c *v1alpha1.Neo4jEnterpriseCluster, pod string) neo4jconf.Role {
	if strings.HasPrefix(pod, render.StatefulSetName(c, neo4jconf.Secondary)+"-") {
		return neo4jconf.Secondary
	}
	return neo4jconf.Primary
}

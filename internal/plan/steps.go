package plan

// Step is one thing the reconcile does to carry out a plan. The plan
// lists them in order (Steps); act runs each, and what a step found
// (a status record moved, a StatefulSet written) decides whether the
// later transitions still run in this reconcile.
type Step string

// The steps, in the order they run.
const (
	// StepAuthSecret creates the generated auth Secret.
	StepAuthSecret Step = "AuthSecret"
	// StepScale sends the scaling decision's Neo4j commands, then moves
	// status.scaling.
	StepScale Step = "Scale"
	// StepApply writes every desired object, then prunes.
	StepApply Step = "Apply"
	// StepRoll records the roll's progress and evicts the next pod.
	StepRoll Step = "Roll"
	// StepBootstrap restores neo4j from its backup, once.
	StepBootstrap Step = "Bootstrap"
	// StepTLS tells the servers to reload rotated certificates.
	StepTLS Step = "TLS"
	// StepAdminPassword makes Neo4j's admin password follow the auth
	// Secret (observer.RotatePassword).
	StepAdminPassword Step = "AdminPassword"
	// StepReport writes the status from what was observed.
	StepReport Step = "Report"
)

// Transitions move a status record: after one of them moved, the others
// wait for the next reconcile, which decides from the new record.
var Transitions = map[Step]bool{StepScale: true, StepRoll: true, StepBootstrap: true}

// Steps are the steps this plan needs, in order. The status is always
// reported, so that failures show.
func (p Plan) Steps() []Step {
	var out []Step
	add := func(ok bool, s Step) {
		if ok {
			out = append(out, s)
		}
	}
	add(p.GenerateAuthSecret, StepAuthSecret)
	add(p.Scale != nil && len(p.Apply) > 0, StepScale)
	add(len(p.Apply) > 0, StepApply)
	add(p.Rollout != nil, StepRoll)
	add(p.Scale != nil && (p.Scale.Bootstrap != nil || p.Scale.BootstrapSkip != "") && !p.Paused && !p.rolling(), StepBootstrap)
	add(p.TLS != nil && !p.Paused, StepTLS)
	add(p.quiet(), StepAdminPassword)
	return append(out, StepReport)
}

// quiet: Neo4j is observed and answered, objects are applied, and no
// roll or scaling step is under way, so an administration command may be
// sent (the manual forbids them during a rolling upgrade).
func (p Plan) quiet() bool {
	return p.Neo4j != nil && p.Neo4j.Failure == "" && p.Scale != nil && len(p.Apply) > 0 && !p.Paused && !p.rolling() &&
		p.Rendered != nil && p.Rendered.Status.Scaling == nil && p.Rendered.Status.Rollout == nil
}

// rolling: a roll is under way or about to evict; the restore of neo4j
// waits for a cluster whose allocations stay put.
func (p Plan) rolling() bool {
	return p.Rollout != nil && (p.Rollout.Rollout != nil || p.Rollout.Evict != nil)
}

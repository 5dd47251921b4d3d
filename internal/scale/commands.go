package scale

import (
	"fmt"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4j"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// enables enables the servers of the cluster's pods that Neo4j left Free,
// secondaries with their mode constraint. A cordoned server is left
// alone: an administrator may have cordoned it; only a scale-in the spec
// called off re-enables the server it cordoned.
func enables(c *v1alpha1.Neo4jEnterpriseCluster, v view) []Command {
	var out []Command
	for _, pod := range v.pods {
		if s := v.byPod[pod]; s != nil && s.State == neo4j.StateFree {
			out = append(out, enable(c, pod, s))
		}
	}
	return out
}

func enable(c *v1alpha1.Neo4jEnterpriseCluster, pod string, s *neo4j.Server) Command {
	// A primary's mode as initial.server.mode_constraint leaves it (default
	// NONE; Operations Manual, configuration settings reference, and
	// clustering/servers.adoc: ENABLE SERVER takes it as the default).
	mode := "NONE"
	if roleOf(c, pod) == neo4jconf.Secondary {
		mode = "SECONDARY"
	}
	return Command{Kind: Enable, Server: s.ID, Mode: mode}
}

// backoff is how long a command Neo4j refused waits before it is sent
// again: 15 s, doubling per refusal in a row, at most 5 minutes.
func backoff(attempts int) time.Duration {
	return min(5*time.Minute, 15*time.Second<<min(attempts-1, 5))
}

// Target names what a command acts on, as refusals are recorded: the
// database of a database command, else the server.
func (c Command) Target() string {
	if c.Database != "" {
		return c.Database
	}
	return c.Server
}

// holdRefused keeps back a command Neo4j refused until its backoff has
// passed, and reports a refused database command.
func (d *Decision) holdRefused(in Input) {
	r := in.Refused
	if r == nil {
		return
	}
	kept := d.Commands[:0]
	held := ""
	for _, cmd := range d.Commands {
		if cmd.Server != "" && cmd.Server == held {
			continue // after a held command for this server (a dry run's cordon)
		}
		if string(cmd.Kind) != r.Kind || cmd.Target() != r.Server {
			kept = append(kept, cmd)
			continue
		}
		if cmd.Kind == Create || cmd.Kind == Alter {
			d.Issues = append(d.Issues, Issue{Reason: "TopologyRefused", Message: fmt.Sprintf("Neo4j refused to %s database %s (%d primaries, %d secondaries): %s",
				map[Kind]string{Create: "create", Alter: "set the topology of"}[cmd.Kind], cmd.Database, cmd.Primaries, cmd.Secondaries, r.Message)})
		}
		if in.Now.Before(r.At.Add(backoff(r.Attempts))) {
			held = cmd.Server
			d.wait(fmt.Sprintf("Neo4j refused %s %s %d times; trying again after %s", cmd.Kind, cmd.Target(), r.Attempts, backoff(r.Attempts)))
			continue
		}
		kept = append(kept, cmd)
	}
	d.Commands = nil
	if len(kept) > 0 {
		d.Commands = kept
	}
}

// refusedNow is Neo4j's answer to a refused kind of command for a server
// ("" when it was not refused).
func refusedNow(in Input, kind Kind, server string) string {
	if r := in.Refused; r != nil && r.Kind == string(kind) && r.Server == server {
		return r.Message
	}
	return ""
}

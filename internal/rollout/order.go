package rollout

import (
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

var roles = []neo4jconf.Role{neo4jconf.Primary, neo4jconf.Secondary}

// leadsSystem weighs the system database's leadership above any number of
// user database leaderships: its server goes last.
const leadsSystem = 1 << 20

// order sorts pods in the order they are restarted: secondaries first
// (they vote in no Raft group); then primaries leading nothing; then by
// how many databases they lead, the system database's leader last, so
// leadership moves as few times as possible. Ties go highest ordinal
// first, as the StatefulSet controller would.
func (in Input) order(pods []corev1.Pod) {
	leads := in.leaderships()
	key := func(p *corev1.Pod) (int, int, int) {
		role := 1
		if p.Labels[render.LabelRole] == string(neo4jconf.Secondary) {
			role = 0
		}
		return role, leads[p.Name], -ordinal(p.Name)
	}
	sort.SliceStable(pods, func(i, j int) bool {
		ri, li, oi := key(&pods[i])
		rj, lj, oj := key(&pods[j])
		if ri != rj {
			return ri < rj
		}
		if li != lj {
			return li < lj
		}
		return oi < oj
	})
}

// leaderships counts, per pod, the databases its server leads, from the
// last poll: the rows of SHOW DATABASES whose `writer` column is true
// (Operations Manual, listing-databases.adoc: writer is true for the copy
// that accepts writes, the leader).
func (in Input) leaderships() map[string]int {
	out := map[string]int{}
	if in.Neo4j == nil {
		return out
	}
	for _, d := range in.Neo4j.Databases {
		if !d.Writer {
			continue
		}
		if pod := render.PodOfAddress(d.Address); d.Name == "system" {
			out[pod] += leadsSystem
		} else {
			out[pod]++
		}
	}
	return out
}

func ordinal(pod string) int {
	i := strings.LastIndex(pod, "-")
	n, err := strconv.Atoi(pod[i+1:])
	if err != nil {
		return -1
	}
	return n
}

package cluster

import "github.com/graphops-dev/neo4j-operator/internal/fake/bolt"

// answerMonitoring answers the read-only monitoring procedures any server
// answers for itself, leader or not (ok false: not one of them).
func (c *Cluster) answerMonitoring(server string, q bolt.Query) (bolt.Result, *bolt.Failure, bool) {
	return bolt.Result{}, nil, false
}

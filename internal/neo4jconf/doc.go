// Package neo4jconf builds the neo4j.conf of each server role from a
// Neo4jEnterpriseCluster, and the hash that decides whether pods must roll.
//
// Two rules keep pods calm:
//
//   - Nothing here depends on the number of servers except settings that
//     only matter when the cluster forms for the first time (the initial.*
//     and minimum_initial_* settings). Those are left out of the hash, so
//     scaling rewrites the ConfigMap but never rolls a pod.
//   - Output is sorted, so the same spec always gives the same bytes.
package neo4jconf

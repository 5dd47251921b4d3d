// Package render turns a Neo4jEnterpriseCluster into the Kubernetes objects
// a Neo4j Enterprise cluster forms from. It is pure: no client, no clock, no
// randomness; the same spec always renders the same bytes.
//
// Every field the API server would default is set explicitly, so a
// semantic comparison of a rendered object with the live one is exact: a
// reconcile with nothing to do finds no difference and writes nothing. A
// test against a real API server holds the renderer to that.
//
// The few fields the server allocates (a Service's clusterIP, nodePorts,
// ipFamilies) are left empty here; the write path carries them over from
// the live object.
package render

// Package apply is the operator's one way to write an object it owns.
//
// Every write is a cycle of get-fresh → mutate → compare → update, run
// inside retry.RetryOnConflict:
//
//   - get: the first attempt reads the informer cache (cheap, and almost
//     always current); after a conflict the cycle reads the API server
//     directly, so a retry never works from the copy that was just stale.
//   - mutate: only the fields the operator owns are copied from the
//     rendered object onto the live one. Labels and annotations are merged
//     (foreign keys stay), the kubectl.kubernetes.io/restartedAt template
//     annotation stays (so `kubectl rollout restart` needs no fight), and
//     immutable or server-allocated fields keep their live values.
//   - compare: equality.Semantic on the whole object. The renderer sets
//     every field the API server would default, so no difference means
//     nothing to do, and nothing is written.
//   - update: only then.
//
// An object that exists but is not controlled by the cluster is never
// adopted; the caller reports it. A conflict is normal (another writer, the
// StatefulSet controller, a stale cache): it is logged at debug level and
// counted, never reported as an error.
package apply

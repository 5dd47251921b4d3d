// Package expectations remembers the writes a cache has not shown yet, in
// the spirit of ECK's pkg/controller/common/expectations: after the
// operator writes an object, a step that builds on that write (shrinking a
// StatefulSet, dropping a Neo4j server) must not run until the informer
// cache shows at least the generation written. Otherwise a reconcile
// working from a stale cache could repeat or skip a step.
//
// Expectations live in memory. A restarted operator has none, and needs
// none: its cache starts from a fresh list.
package expectations

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// Generations are the generations written per cluster and object. A nil
// *Generations expects nothing.
type Generations struct {
	mu  sync.Mutex
	gen map[types.NamespacedName]map[string]int64
}

// New returns empty expectations.
func New() *Generations {
	return &Generations{gen: map[types.NamespacedName]map[string]int64{}}
}

// Expect records that object (a key within the cluster) was written at
// generation g.
func (e *Generations) Expect(cluster types.NamespacedName, object string, g int64) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen[cluster] == nil {
		e.gen[cluster] = map[string]int64{}
	}
	if g > e.gen[cluster][object] {
		e.gen[cluster][object] = g
	}
}

// Satisfied is true when, for every object written for the cluster, the
// cache shows (through seen) at least the generation written; met
// expectations are forgotten. seen returns the cached generation, and
// false when the object is not in the cache.
func (e *Generations) Satisfied(cluster types.NamespacedName, seen func(object string) (int64, bool)) bool {
	if e == nil {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ok := true
	for object, want := range e.gen[cluster] {
		if g, found := seen(object); found && g >= want {
			delete(e.gen[cluster], object)
			continue
		}
		ok = false
	}
	if len(e.gen[cluster]) == 0 {
		delete(e.gen, cluster)
	}
	return ok
}

// Deleted drops the expectation of an object the operator deleted: the
// cache will not show it again.
func (e *Generations) Deleted(cluster types.NamespacedName, object string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.gen[cluster], object)
}

// Forget drops a deleted cluster's expectations.
func (e *Generations) Forget(cluster types.NamespacedName) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.gen, cluster)
}

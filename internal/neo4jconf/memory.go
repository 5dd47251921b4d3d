package neo4jconf

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Memory sizing. The Operations Manual (Kubernetes → Configuration) asks
// for heap + page cache + 1GB < the container's memory: the JVM's native
// memory and the OS need the rest, and a container over its limit is
// killed. It also gives 2GB as the least memory of a Neo4j instance. The
// CRD checks the same figures at admission (hack/celgen, memoryRule).
var (
	Headroom     = resource.MustParse("1Gi")
	MinimumLimit = resource.MustParse("2Gi")
	// MinimumSize is the least heap or page cache, set or derived.
	MinimumSize = resource.MustParse("256Mi")
	// MaximumDerivedHeap keeps a derived heap under 32GB, where the JVM
	// stops compressing object pointers (Operations Manual, performance →
	// GC tuning); what is left goes to the page cache.
	MaximumDerivedHeap = resource.MustParse("31Gi")
)

// Basis is the memory a role's sizes must fit: its limit, or without one
// its request; false when neither is set.
func Basis(c *v1alpha1.Neo4jEnterpriseCluster, role Role) (resource.Quantity, bool) {
	r := Resources(c, role)
	for _, l := range []corev1.ResourceList{r.Limits, r.Requests} {
		if q, ok := l[corev1.ResourceMemory]; ok && !q.IsZero() {
			return q, true
		}
	}
	return resource.Quantity{}, false
}

const mebibyte = 1 << 20

// Memory is a role's heap and page cache in bytes; zero means Neo4j sizes
// it itself (there is no memory limit to derive it from).
type Memory struct{ Heap, PageCache int64 }

// MemoryOf is the effective sizing of a role: the role's fields over the
// cluster's, and the unset ones derived from what the limit (or request)
// leaves after the headroom.
func MemoryOf(c *v1alpha1.Neo4jEnterpriseCluster, role Role) Memory {
	spec := c.Spec.Memory
	r := roleSpec(c, role).Memory
	if r.Heap != nil {
		spec.Heap = r.Heap
	}
	if r.PageCache != nil {
		spec.PageCache = r.PageCache
	}
	m := Memory{Heap: bytes(spec.Heap), PageCache: bytes(spec.PageCache)}
	basis, ok := Basis(c, role)
	if !ok {
		return m
	}
	budget := basis.Value() - Headroom.Value()
	switch {
	case m.Heap == 0 && m.PageCache == 0:
		m.Heap = min(budget/2, MaximumDerivedHeap.Value())
		m.PageCache = budget - m.Heap
	case m.Heap == 0:
		m.Heap = min(budget-m.PageCache, MaximumDerivedHeap.Value())
	case m.PageCache == 0:
		m.PageCache = budget - m.Heap
	}
	return m
}

func bytes(q *resource.Quantity) int64 {
	if q == nil {
		return 0
	}
	return q.Value()
}

// CheckMemory is the admission rule, for objects stored before it
// existed: the memory is at least 2Gi, heap and page cache at least 256Mi
// each, and heap + page cache + 1Gi fit.
func CheckMemory(c *v1alpha1.Neo4jEnterpriseCluster, role Role) error {
	basis, ok := Basis(c, role)
	m := MemoryOf(c, role)
	switch {
	case !ok:
		return nil
	case basis.Cmp(MinimumLimit) < 0:
		return fmt.Errorf("%s: the memory limit %s is below 2Gi, the least a Neo4j server needs", plural(role), basis.String())
	case m.Heap < MinimumSize.Value() || m.PageCache < MinimumSize.Value() || m.Heap+m.PageCache+Headroom.Value() > basis.Value():
		return fmt.Errorf("%s: heap %s + page cache %s + 1Gi of headroom must fit within the memory limit %s, with at least 256Mi each",
			plural(role), mib(m.Heap), mib(m.PageCache), basis.String())
	}
	return nil
}

func plural(r Role) string {
	if r == Secondary {
		return "secondaries"
	}
	return "primaries"
}

// memory renders the sizes in whole mebibytes (Neo4j reads "m" as MiB),
// rounded down so the sum never grows past the limit.
func memory(c *v1alpha1.Neo4jEnterpriseCluster, role Role) Conf {
	m := MemoryOf(c, role)
	out := Conf{}
	if m.Heap > 0 {
		out["server.memory.heap.initial_size"] = mib(m.Heap)
		out["server.memory.heap.max_size"] = mib(m.Heap)
	}
	if m.PageCache > 0 {
		out["server.memory.pagecache.size"] = mib(m.PageCache)
	}
	return out
}

func mib(b int64) string { return fmt.Sprintf("%dm", b/mebibyte) }

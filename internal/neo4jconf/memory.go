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
	Headroom      = resource.MustParse("1Gi")
	MinimumLimit  = resource.MustParse("2Gi")
	MinimumDerive = resource.MustParse("256Mi")
)

const mebibyte = 1 << 20

// Memory is a role's heap and page cache in bytes; zero means Neo4j sizes
// it itself (there is no memory limit to derive it from).
type Memory struct{ Heap, PageCache int64 }

// MemoryOf is the effective sizing of a role: the role's fields over the
// cluster's, and the unset ones derived from what the limit leaves after
// the headroom.
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
	limit, ok := Resources(c, role).Limits[corev1.ResourceMemory]
	if !ok || limit.IsZero() {
		return m
	}
	budget := limit.Value() - Headroom.Value()
	switch {
	case m.Heap == 0 && m.PageCache == 0:
		m.Heap, m.PageCache = budget/2, budget/2
	case m.Heap == 0:
		m.Heap = budget - m.PageCache
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
// existed: the limit is at least 2Gi, and heap + page cache + 1Gi fit.
func CheckMemory(c *v1alpha1.Neo4jEnterpriseCluster, role Role) error {
	limit, ok := Resources(c, role).Limits[corev1.ResourceMemory]
	if !ok || limit.IsZero() {
		return nil
	}
	m := MemoryOf(c, role)
	if limit.Cmp(MinimumLimit) < 0 || m.Heap < MinimumDerive.Value() || m.PageCache < MinimumDerive.Value() ||
		m.Heap+m.PageCache+Headroom.Value() > limit.Value() {
		return fmt.Errorf("%ss: heap %s + page cache %s + 1Gi of headroom do not fit within the memory limit %s (which must be at least 2Gi)",
			role, mib(m.Heap), mib(m.PageCache), limit.String())
	}
	return nil
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

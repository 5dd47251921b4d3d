package expectations

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
)

// Records remember, per cluster, the last record the operator wrote into
// its status (the scaling and roll transitions) until the cache shows it.
// A reconcile that starts from a cache without it would decide from the
// step before, only to have its write refused (the transitions hold an
// optimistic lock): it waits instead. A record the cache never shows (another
// writer moved on) is forgotten after TTL, and the lock still protects.
// A nil *Records expects nothing.
type Records struct {
	TTL time.Duration
	mu  sync.Mutex
	m   map[types.NamespacedName]record
}

type record struct {
	value any
	at    time.Time
}

// NewRecords returns empty records, each kept at most ttl.
func NewRecords(ttl time.Duration) *Records {
	return &Records{TTL: ttl, m: map[types.NamespacedName]record{}}
}

// Wrote records what was written for the cluster at now.
func (r *Records) Wrote(cluster types.NamespacedName, value any, now time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[cluster] = record{value: value, at: now}
}

// Seen is true when nothing is expected for the cluster, or the cached
// value equals what was written (semantically), or the record expired;
// then the record is forgotten.
func (r *Records) Seen(cluster types.NamespacedName, cached any, now time.Time) bool {
	if r == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.m[cluster]
	if ok && !equality.Semantic.DeepEqual(rec.value, cached) && now.Sub(rec.at) < r.TTL {
		return false
	}
	delete(r.m, cluster)
	return true
}

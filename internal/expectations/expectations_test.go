package expectations

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestSatisfied(t *testing.T) {
	c := types.NamespacedName{Namespace: "ns", Name: "graph"}
	other := types.NamespacedName{Namespace: "ns", Name: "other"}
	cache := map[string]int64{"StatefulSet/graph-primary": 4}
	seen := func(o string) (int64, bool) { g, ok := cache[o]; return g, ok }

	e := New()
	if !e.Satisfied(c, seen) {
		t.Fatal("no expectations must be satisfied")
	}
	e.Expect(c, "StatefulSet/graph-primary", 5)
	e.Expect(c, "StatefulSet/graph-primary", 3) // an older write does not lower it
	if e.Satisfied(c, seen) {
		t.Fatal("cache at 4, wrote 5: not satisfied")
	}
	if !e.Satisfied(other, seen) {
		t.Fatal("another cluster's expectations are its own")
	}
	e.Expect(c, "StatefulSet/graph-secondary", 1)
	cache["StatefulSet/graph-primary"] = 5
	if e.Satisfied(c, seen) {
		t.Fatal("graph-secondary not in the cache yet")
	}
	cache["StatefulSet/graph-secondary"] = 2
	if !e.Satisfied(c, seen) {
		t.Fatal("cache caught up")
	}
	cache["StatefulSet/graph-primary"] = 1 // met expectations were forgotten
	if !e.Satisfied(c, seen) {
		t.Fatal("a met expectation must not come back")
	}
	e.Expect(c, "StatefulSet/graph-primary", 9)
	e.Forget(c)
	if !e.Satisfied(c, seen) {
		t.Fatal("forgotten")
	}
}

func TestRecords(t *testing.T) {
	k := types.NamespacedName{Namespace: "ns", Name: "c"}
	t0 := time.Unix(1000, 0)
	type rec struct{ Step string }
	var none *Records
	if !none.Seen(k, rec{"a"}, t0) {
		t.Fatal("nil records expect nothing")
	}
	r := NewRecords(5 * time.Second)
	if !r.Seen(k, rec{"a"}, t0) {
		t.Fatal("nothing written: seen")
	}
	r.Wrote(k, rec{"b"}, t0)
	if r.Seen(k, rec{"a"}, t0.Add(time.Second)) {
		t.Fatal("the cache shows the step before: not seen")
	}
	if !r.Seen(k, rec{"b"}, t0.Add(2*time.Second)) {
		t.Fatal("the cache shows the write: seen")
	}
	if !r.Seen(k, rec{"a"}, t0.Add(3*time.Second)) {
		t.Fatal("a seen record is forgotten")
	}
	r.Wrote(k, rec{"c"}, t0)
	if !r.Seen(k, rec{"a"}, t0.Add(5*time.Second)) {
		t.Fatal("an expired record is forgotten")
	}
}

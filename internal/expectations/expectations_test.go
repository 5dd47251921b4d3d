package expectations

import (
	"testing"

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

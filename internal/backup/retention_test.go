package backup

import (
	"reflect"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

var retentionNow = utc(2026, 12, 31, 0, 0)

func daysAgo(d float64) time.Time {
	return retentionNow.Add(-time.Duration(d * float64(24*time.Hour)))
}

// completed finished an hour after it was created.
func completed(name string, createdDaysAgo float64) Item {
	c := daysAgo(createdDaysAgo)
	return Item{Name: name, Phase: v1alpha1.BackupCompleted, Created: c, Completed: c.Add(time.Hour)}
}

func failed(name string, createdDaysAgo float64) Item {
	c := daysAgo(createdDaysAgo)
	return Item{Name: name, Phase: v1alpha1.BackupFailed, Created: c, Completed: c.Add(time.Minute)}
}

func inPhase(name string, phase v1alpha1.BackupPhase, createdDaysAgo float64) Item {
	return Item{Name: name, Phase: phase, Created: daysAgo(createdDaysAgo)}
}

func TestExpired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		items  []Item
		policy Policy
		want   []string
	}{
		{"nothing", nil, Policy{KeepCompleted: 7, KeepFailed: 3}, []string{}},
		{"within the limits", []Item{completed("c1", 3), completed("c2", 2), failed("f1", 1)},
			Policy{KeepCompleted: 7, KeepFailed: 3}, []string{}},
		{"keepCompleted", []Item{completed("c1", 4), completed("c2", 3), completed("c3", 2), completed("c4", 1)},
			Policy{KeepCompleted: 2, KeepFailed: 3}, []string{"c1", "c2"}},
		{"keepCompleted, given in any order", []Item{completed("c3", 2), completed("c1", 4), completed("c4", 1), completed("c2", 3)},
			Policy{KeepCompleted: 2, KeepFailed: 3}, []string{"c1", "c2"}},
		{"keepCompleted counts by completion, not creation",
			[]Item{
				{Name: "slow", Phase: v1alpha1.BackupCompleted, Created: daysAgo(3), Completed: daysAgo(0.5)},
				{Name: "fast", Phase: v1alpha1.BackupCompleted, Created: daysAgo(2), Completed: daysAgo(1.9)},
			},
			Policy{KeepCompleted: 1}, []string{"fast"}},
		{"keepFailed", []Item{failed("f1", 3), failed("f2", 2), failed("f3", 1), completed("c1", 4)},
			Policy{KeepCompleted: 7, KeepFailed: 1}, []string{"f1", "f2"}},
		{"keepFailed 0 deletes every failed backup", []Item{failed("f1", 3), failed("f2", 2)},
			Policy{KeepCompleted: 7, KeepFailed: 0}, []string{"f1", "f2"}},
		{"maxAge", []Item{completed("c1", 6), completed("c2", 5), completed("c3", 2), completed("c4", 1)},
			Policy{KeepCompleted: 10, KeepFailed: 3, MaxAge: 72 * time.Hour}, []string{"c1", "c2"}},
		{"maxAge counts from completion; exactly maxAge is kept",
			[]Item{
				{Name: "edge", Phase: v1alpha1.BackupCompleted, Created: daysAgo(4), Completed: daysAgo(3)},
				{Name: "over", Phase: v1alpha1.BackupCompleted, Created: daysAgo(4.5), Completed: daysAgo(3).Add(-time.Second)},
				completed("new", 0.5),
			},
			Policy{KeepCompleted: 10, MaxAge: 72 * time.Hour}, []string{"over"}},
		{"maxAge zero keeps old backups", []Item{completed("c1", 400), completed("c2", 300)},
			Policy{KeepCompleted: 10}, []string{}},
		{"maxAge does not touch failed backups", []Item{failed("f1", 100), completed("c1", 1)},
			Policy{KeepCompleted: 10, KeepFailed: 3, MaxAge: 72 * time.Hour}, []string{}},
		{"the newest completed is kept even when too old",
			[]Item{completed("c1", 30), completed("c2", 20), completed("c3", 10), failed("f1", 1)},
			Policy{KeepCompleted: 7, KeepFailed: 3, MaxAge: 72 * time.Hour}, []string{"c1", "c2"}},
		{"the only completed is kept even when too old, as failures pile up",
			[]Item{completed("good", 60), failed("f1", 3), failed("f2", 2), failed("f3", 1)},
			Policy{KeepCompleted: 1, KeepFailed: 1, MaxAge: 24 * time.Hour}, []string{"f1", "f2"}},
		{"running and pending are never deleted",
			[]Item{
				inPhase("r1", v1alpha1.BackupRunning, 90), inPhase("p1", v1alpha1.BackupPending, 80), inPhase("new", "", 70),
				completed("c1", 3), completed("c2", 2), failed("f1", 1),
			},
			Policy{KeepCompleted: 1, KeepFailed: 0, MaxAge: time.Hour}, []string{"c1", "f1"}},
		{"ties on completion: the greater name is the newer",
			[]Item{
				{Name: "b", Phase: v1alpha1.BackupCompleted, Created: daysAgo(2), Completed: daysAgo(1)},
				{Name: "a", Phase: v1alpha1.BackupCompleted, Created: daysAgo(2), Completed: daysAgo(1)},
				{Name: "c", Phase: v1alpha1.BackupCompleted, Created: daysAgo(2), Completed: daysAgo(1)},
			},
			Policy{KeepCompleted: 1}, []string{"a", "b"}},
		{"ties on creation among failed: the greater name is the newer",
			[]Item{failed("f-b", 1), failed("f-c", 1), failed("f-a", 1)},
			Policy{KeepCompleted: 1, KeepFailed: 1}, []string{"f-a", "f-b"}},
		{"output is oldest first by creation, completed and failed mixed",
			[]Item{
				completed("c-new", 1), failed("f-mid", 2.5), completed("c-old", 5), failed("f-old", 6), completed("c-mid", 3), failed("f-new", 0.5),
			},
			Policy{KeepCompleted: 1, KeepFailed: 1}, []string{"f-old", "c-old", "c-mid", "f-mid"}},
		{"output ties on creation go by name",
			[]Item{
				{Name: "z-completed", Phase: v1alpha1.BackupCompleted, Created: daysAgo(5), Completed: daysAgo(4)},
				{Name: "a-failed", Phase: v1alpha1.BackupFailed, Created: daysAgo(5)},
				completed("keep", 1),
			},
			Policy{KeepCompleted: 1}, []string{"a-failed", "z-completed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]Item(nil), tc.items...)
			got := Expired(tc.items, tc.policy, retentionNow)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Expired = %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.items) {
				t.Errorf("Expired reordered its input")
			}
		})
	}
}

// TestExpiredKeepsTheNewestCompletedWithKeepCompletedZero: the doc says
// the newest completed backup is never deleted. The CRD forbids
// keepCompleted 0; Expired holds to it anyway.
func TestExpiredKeepsTheNewestCompletedWithKeepCompletedZero(t *testing.T) {
	got := Expired([]Item{completed("c1", 2), completed("c2", 1)}, Policy{}, retentionNow)
	if want := []string{"c1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Policy{KeepCompleted: 0} deletes %q, the newest completed included; want %q", got, want)
	}
}

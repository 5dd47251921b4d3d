package backup

import (
	"sort"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Item is what retention knows of a backup.
type Item struct {
	Name      string
	Phase     v1alpha1.BackupPhase
	Created   time.Time
	Completed time.Time
}

// Policy is a schedule's retention.
type Policy struct {
	KeepCompleted, KeepFailed int
	// MaxAge deletes completed backups that finished longer ago; zero
	// keeps them.
	MaxAge time.Duration
}

// Expired are the backups retention deletes, oldest first. Running and
// pending backups are never deleted, nor the newest completed one,
// whatever its age: a schedule whose backups all fail keeps the last good
// one.
func Expired(items []Item, p Policy, now time.Time) []string {
	var completed, failed []Item
	for _, it := range items {
		switch it.Phase {
		case v1alpha1.BackupCompleted:
			completed = append(completed, it)
		case v1alpha1.BackupFailed:
			failed = append(failed, it)
		}
	}
	newestFirst(completed, func(i Item) time.Time { return i.Completed })
	newestFirst(failed, func(i Item) time.Time { return i.Created })
	var out []Item
	for i, it := range completed {
		tooOld := p.MaxAge > 0 && now.Sub(it.Completed) > p.MaxAge
		if i > 0 && (i >= p.KeepCompleted || tooOld) {
			out = append(out, it)
		}
	}
	if len(failed) > p.KeepFailed {
		out = append(out, failed[p.KeepFailed:]...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Created, out[j].Created
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].Name < out[j].Name
	})
	names := make([]string, 0, len(out))
	for _, it := range out {
		names = append(names, it.Name)
	}
	return names
}

func newestFirst(items []Item, at func(Item) time.Time) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := at(items[i]), at(items[j])
		if !a.Equal(b) {
			return a.After(b)
		}
		return items[i].Name > items[j].Name
	})
}

// NewestCompleted is the completed backup that finished last (ties: the
// greater name), or nil.
func NewestCompleted(backups []v1alpha1.Neo4jBackup) *v1alpha1.Neo4jBackup {
	var out *v1alpha1.Neo4jBackup
	for i := range backups {
		b := &backups[i]
		t := b.Status.CompletionTime
		if b.Status.Phase != v1alpha1.BackupCompleted || t == nil {
			continue
		}
		if out == nil || out.Status.CompletionTime.Before(t) || (out.Status.CompletionTime.Equal(t) && out.Name < b.Name) {
			out = b
		}
	}
	return out
}

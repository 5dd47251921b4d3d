package backup

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser reads the five-field cron format and descriptors (@daily,
// @every 6h), as Kubernetes CronJobs do.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse reads a schedule in its time zone (UTC when unset). Backups are
// named by the minute of their tick, so a schedule may tick at most once
// a minute.
func Parse(spec string, timeZone *string) (cron.Schedule, error) {
	if strings.Contains(spec, "TZ=") {
		return nil, fmt.Errorf("schedule %q: set the time zone in spec.timeZone, not in the schedule", spec)
	}
	loc := time.UTC
	if timeZone != nil && *timeZone != "" {
		l, err := time.LoadLocation(*timeZone)
		if err != nil {
			return nil, fmt.Errorf("timeZone %q is not an IANA time zone name: %w", *timeZone, err)
		}
		loc = l
	}
	s, err := parser.Parse("CRON_TZ=" + loc.String() + " " + spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	if d, ok := s.(cron.ConstantDelaySchedule); ok && d.Delay < time.Minute {
		return nil, fmt.Errorf("schedule %q: at most one backup a minute (backups are named by their minute)", spec)
	}
	return s, nil
}

// maxTicks bounds the walk over missed ticks: @every 1m for 69 days.
const maxTicks = 100_000

// Tick is what a schedule has to do at a moment.
type Tick struct {
	// Due is the most recent tick after the last one acted on and not
	// after now; zero when there is none.
	Due time.Time
	// Missed counts the ticks before Due that were never acted on (the
	// operator was down, or the schedule suspended).
	Missed int
	// TooLate is true when Due is more than the starting deadline ago: it
	// is skipped, not run late.
	TooLate bool
	// Next is the first tick after now.
	Next time.Time
}

// Ticks walks the schedule from the last tick acted on (or the schedule's
// creation) to now.
func Ticks(s cron.Schedule, last, now time.Time, deadline time.Duration) Tick {
	var t Tick
	n := 0
	for next := s.Next(last); !next.IsZero() && !next.After(now); next = s.Next(next) {
		if !t.Due.IsZero() {
			t.Missed++
		}
		t.Due = next
		if n++; n == maxTicks {
			// Give up on the far past: act as if the walk reached now.
			t.Due, t.TooLate = now, true
			break
		}
	}
	if !t.Due.IsZero() && now.Sub(t.Due) > deadline {
		t.TooLate = true
	}
	t.Next = s.Next(now)
	return t
}

// Name is the Neo4jBackup a schedule makes for a tick: the same tick
// always gives the same name, so an operator restarted between creating
// it and recording the tick finds it there instead of making another.
func Name(schedule string, tick time.Time) string {
	return schedule + "-" + tick.UTC().Format("200601021504")
}

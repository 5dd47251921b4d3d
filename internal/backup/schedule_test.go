package backup

import (
	"reflect"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func utc(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
}

func mustParse(t *testing.T, spec string, tz *string) cron.Schedule {
	t.Helper()
	s, err := Parse(spec, tz)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return s
}

func zone(name string) *string { return &name }

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		tz   *string
		want string
	}{
		{"61 * * * *", nil, `schedule "61 * * * *": end of range (61) above maximum (59): 61`},
		{"0 25 * * *", nil, `schedule "0 25 * * *": end of range (25) above maximum (23): 25`},
		{"0 * * *", nil, `schedule "0 * * *": expected exactly 5 fields, found 4: [0 * * *]`},
		{"TZ=UTC 0 * * * *", nil, `schedule "TZ=UTC 0 * * * *": set the time zone in spec.timeZone, not in the schedule`},
		{"CRON_TZ=Europe/Berlin 0 * * * *", nil, `schedule "CRON_TZ=Europe/Berlin 0 * * * *": set the time zone in spec.timeZone, not in the schedule`},
		{"0 * * * *", zone("Mars/Base"), `timeZone "Mars/Base" is not an IANA time zone name: unknown time zone Mars/Base`},
		{"@every 30s", nil, `schedule "@every 30s": at most one backup a minute (backups are named by their minute)`},
		{"@every 59s", zone("Europe/Berlin"), `schedule "@every 59s": at most one backup a minute (backups are named by their minute)`},
		{"@every", nil, `schedule "@every": unrecognized descriptor: @every`},
		{"@fortnightly", nil, `schedule "@fortnightly": unrecognized descriptor: @fortnightly`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := Parse(tc.spec, tc.tz)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tc.spec, s, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error\n%q\nwant\n%q", tc.spec, err.Error(), tc.want)
			}
		})
	}
}

// TestParseNext checks the ticks Parse's schedules give, in their time
// zone, across both of Berlin's 2026 clock changes (29 March 02:00 CET ->
// 03:00 CEST; 25 October 03:00 CEST -> 02:00 CET).
func TestParseNext(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec string
		tz   *string
		from time.Time
		want []time.Time
	}{
		{"UTC when unset", "0 2 * * *", nil, utc(2026, 3, 28, 12, 0),
			[]time.Time{utc(2026, 3, 29, 2, 0), utc(2026, 3, 30, 2, 0)}},
		{"UTC when empty", "0 2 * * *", zone(""), utc(2026, 3, 28, 12, 0),
			[]time.Time{utc(2026, 3, 29, 2, 0), utc(2026, 3, 30, 2, 0)}},
		{"Berlin in winter: 02:00 CET is 01:00Z", "0 2 * * *", zone("Europe/Berlin"), utc(2026, 3, 27, 12, 0),
			[]time.Time{utc(2026, 3, 28, 1, 0)}},
		// 02:00 does not exist in Berlin on 29 March 2026: robfig/cron
		// (as Kubernetes CronJobs) skips that day's tick.
		{"Berlin, spring forward: the missing 02:00 is skipped", "0 2 * * *", zone("Europe/Berlin"), utc(2026, 3, 28, 12, 0),
			[]time.Time{utc(2026, 3, 30, 0, 0), utc(2026, 3, 31, 0, 0)}},
		{"Berlin, spring forward: 03:00 CEST is 01:00Z", "0 3 * * *", zone("Europe/Berlin"), utc(2026, 3, 28, 12, 0),
			[]time.Time{utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 1, 0)}},
		// 02:30 happens twice in Berlin on 25 October 2026: both tick,
		// an hour apart, with different names.
		{"Berlin, fall back: 02:30 ticks twice", "30 2 * * *", zone("Europe/Berlin"), utc(2026, 10, 24, 12, 0),
			[]time.Time{utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30)}},
		{"@daily in Berlin", "@daily", zone("Europe/Berlin"), utc(2026, 7, 1, 12, 0),
			[]time.Time{utc(2026, 7, 1, 22, 0), utc(2026, 7, 2, 22, 0)}},
		{"@every 1m", "@every 1m", nil, utc(2026, 7, 1, 12, 0),
			[]time.Time{utc(2026, 7, 1, 12, 1), utc(2026, 7, 1, 12, 2)}},
		{"@every 6h", "@every 6h", zone("Europe/Berlin"), utc(2026, 7, 1, 12, 0),
			[]time.Time{utc(2026, 7, 1, 18, 0), utc(2026, 7, 2, 0, 0)}},
		{"every six hours", "0 */6 * * *", nil, utc(2026, 12, 1, 0, 0),
			[]time.Time{utc(2026, 12, 1, 6, 0), utc(2026, 12, 1, 12, 0), utc(2026, 12, 1, 18, 0), utc(2026, 12, 2, 0, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.spec, tc.tz)
			at := tc.from
			for i, want := range tc.want {
				at = s.Next(at)
				if !at.Equal(want) {
					t.Fatalf("tick %d = %s, want %s", i+1, at.UTC(), want)
				}
			}
		})
	}
}

func TestTicks(t *testing.T) {
	hourly := "0 * * * *"
	last := utc(2026, 12, 1, 12, 0) // the last tick acted on
	for _, tc := range []struct {
		name     string
		spec     string
		last     time.Time
		now      time.Time
		deadline time.Duration
		want     Tick
	}{
		{"no tick yet", hourly, last, utc(2026, 12, 1, 12, 59), time.Hour,
			Tick{Next: utc(2026, 12, 1, 13, 0)}},
		{"nothing right after the last tick", hourly, last, last, time.Hour,
			Tick{Next: utc(2026, 12, 1, 13, 0)}},
		{"due exactly now", hourly, last, utc(2026, 12, 1, 13, 0), time.Hour,
			Tick{Due: utc(2026, 12, 1, 13, 0), Next: utc(2026, 12, 1, 14, 0)}},
		{"exactly one due", hourly, last, utc(2026, 12, 1, 13, 5), time.Hour,
			Tick{Due: utc(2026, 12, 1, 13, 0), Next: utc(2026, 12, 1, 14, 0)}},
		{"several missed", hourly, last, utc(2026, 12, 1, 16, 10), time.Hour,
			Tick{Due: utc(2026, 12, 1, 16, 0), Missed: 3, Next: utc(2026, 12, 1, 17, 0)}},
		{"too late: due longer ago than the deadline", hourly, last, utc(2026, 12, 1, 13, 11), 10 * time.Minute,
			Tick{Due: utc(2026, 12, 1, 13, 0), TooLate: true, Next: utc(2026, 12, 1, 14, 0)}},
		{"exactly at the deadline is in time", hourly, last, utc(2026, 12, 1, 13, 10), 10 * time.Minute,
			Tick{Due: utc(2026, 12, 1, 13, 0), Next: utc(2026, 12, 1, 14, 0)}},
		{"missed and too late", hourly, last, utc(2026, 12, 2, 3, 30), 10 * time.Minute,
			Tick{Due: utc(2026, 12, 2, 3, 0), Missed: 14, TooLate: true, Next: utc(2026, 12, 2, 4, 0)}},
		{"a week down, daily", "0 2 * * *", utc(2026, 12, 1, 2, 0), utc(2026, 12, 8, 2, 30), time.Hour,
			Tick{Due: utc(2026, 12, 8, 2, 0), Missed: 6, Next: utc(2026, 12, 9, 2, 0)}},
		{"last in the future: nothing due", hourly, utc(2026, 12, 1, 18, 0), utc(2026, 12, 1, 16, 10), time.Hour,
			Tick{Next: utc(2026, 12, 1, 17, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Ticks(mustParse(t, tc.spec, nil), tc.last, tc.now, tc.deadline)
			if !got.Due.Equal(tc.want.Due) || got.Missed != tc.want.Missed || got.TooLate != tc.want.TooLate || !got.Next.Equal(tc.want.Next) {
				t.Errorf("Ticks =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestTicksInBerlin: Due and Next are instants; the zone only decides
// which ones.
func TestTicksInBerlin(t *testing.T) {
	s := mustParse(t, "0 2 * * *", zone("Europe/Berlin"))
	got := Ticks(s, utc(2026, 3, 27, 1, 0), utc(2026, 3, 30, 0, 30), time.Hour)
	want := Tick{Due: utc(2026, 3, 30, 0, 0), Missed: 1, Next: utc(2026, 3, 31, 0, 0)} // 28 March 01:00Z missed, 29 March has none
	if !got.Due.Equal(want.Due) || got.Missed != want.Missed || got.TooLate != want.TooLate || !got.Next.Equal(want.Next) {
		t.Errorf("Ticks =\n%+v\nwant\n%+v", got, want)
	}
}

// TestTicksWalkIsBounded: an operator down for 200 days with a schedule
// of every minute (288,000 ticks) gives up after maxTicks, quickly.
func TestTicksWalkIsBounded(t *testing.T) {
	s := mustParse(t, "@every 1m", nil)
	now := utc(2026, 12, 1, 12, 0)
	start := time.Now()
	got := Ticks(s, now.Add(-200*24*time.Hour), now, time.Hour)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Ticks took %s", elapsed)
	}
	want := Tick{Due: now, Missed: maxTicks - 1, TooLate: true, Next: utc(2026, 12, 1, 12, 1)}
	if !got.Due.Equal(want.Due) || got.Missed != want.Missed || got.TooLate != want.TooLate || !got.Next.Equal(want.Next) {
		t.Errorf("Ticks =\n%+v\nwant\n%+v", got, want)
	}

	// Below the bound the walk is exact.
	got = Ticks(s, now.Add(-(maxTicks-1)*time.Minute), now, time.Hour)
	want = Tick{Due: now, Missed: maxTicks - 2, Next: utc(2026, 12, 1, 12, 1)}
	if !got.Due.Equal(want.Due) || got.Missed != want.Missed || got.TooLate != want.TooLate || !got.Next.Equal(want.Next) {
		t.Errorf("Ticks below the bound =\n%+v\nwant\n%+v", got, want)
	}
}

// TestSchedule48h runs a schedule of every six hours for two days on a
// fake clock that advances a minute at a time, acting on every due tick
// as the controller does (the tick becomes the last one acted on).
func TestSchedule48h(t *testing.T) {
	s := mustParse(t, "0 */6 * * *", nil)
	t0 := utc(2026, 12, 1, 0, 0) // the schedule's creation
	last := t0
	var names []string
	for now := t0; !now.After(t0.Add(48 * time.Hour)); now = now.Add(time.Minute) {
		tk := Ticks(s, last, now, time.Hour)
		if tk.Due.IsZero() {
			if !tk.Next.After(now) || tk.Next.Sub(now) > 6*time.Hour {
				t.Fatalf("at %s: next %s", now, tk.Next)
			}
			continue
		}
		if !tk.Due.Equal(now) || tk.Missed != 0 || tk.TooLate {
			t.Fatalf("at %s: %+v, want due now, none missed, in time", now, tk)
		}
		if want := now.Add(6 * time.Hour); !tk.Next.Equal(want) {
			t.Fatalf("at %s: next %s, want %s", now, tk.Next, want)
		}
		names = append(names, Name("nightly", tk.Due))
		last = tk.Due
	}
	want := []string{
		"nightly-202612010600",
		"nightly-202612011200",
		"nightly-202612011800",
		"nightly-202612020000",
		"nightly-202612020600",
		"nightly-202612021200",
		"nightly-202612021800",
		"nightly-202612030000",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("backups\n%q\nwant\n%q", names, want)
	}
}

func TestName(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tick time.Time
		want string
	}{
		{utc(2026, 12, 1, 6, 0), "nightly-202612010600"},
		{time.Date(2026, 12, 1, 6, 0, 59, 999, time.UTC), "nightly-202612010600"},
		{time.Date(2026, 3, 28, 2, 0, 0, 0, berlin), "nightly-202603280100"},
		{time.Date(2026, 7, 1, 2, 0, 0, 0, berlin), "nightly-202607010000"},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), "nightly-202612312359"},
	} {
		if got := Name("nightly", tc.tick); got != tc.want {
			t.Errorf("Name(%s) = %q, want %q", tc.tick, got, tc.want)
		}
	}
}

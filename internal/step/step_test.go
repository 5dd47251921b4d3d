package step

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
)

func TestMerge(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name       string
		a, b       Result
		after      time.Duration
		reason     string
		err, ctrlE bool
	}{
		{"zero", Result{}, Result{}, 0, "", false, false},
		{"one requeue", After(30*time.Second, "recheck"), Result{}, 30 * time.Second, "recheck", false, false},
		{"sooner wins", After(30*time.Second, "recheck"), After(2*time.Second, "pending"), 2 * time.Second, "pending", false, false},
		{"sooner wins either side", After(2*time.Second, "pending"), After(30*time.Second, "recheck"), 2 * time.Second, "pending", false, false},
		{"error kept, requeue dropped by Outcome", After(2*time.Second, "pending"), Failed(boom), 2 * time.Second, "pending", true, true},
	} {
		m := tc.a.Merge(tc.b)
		if m.RequeueAfter != tc.after || m.Reason != tc.reason || (m.Err != nil) != tc.err {
			t.Errorf("%s: got %+v", tc.name, m)
		}
		res, err := m.Outcome()
		if (err != nil) != tc.ctrlE || (err == nil && res.RequeueAfter != tc.after) || (err != nil && res.RequeueAfter != 0) {
			t.Errorf("%s: Outcome = %+v, %v", tc.name, res, err)
		}
	}
}

// The reason a step gives for looking again reaches the log at level 1;
// a failure, or nothing to come back for, logs nothing here.
func TestReportLogsTheReason(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{After(2*time.Second, "scaling: waiting for pod g-primary-4 to be gone").Merge(After(time.Minute, "auth Secret not watched")),
			`"level"=1 "msg"="looking again" "after"="2s" "reason"="scaling: waiting for pod g-primary-4 to be gone"`},
		{Result{}, ""},
		{Failed(errors.New("x")).Merge(After(time.Second, "y")), ""},
	} {
		var got []string
		log := funcr.New(func(prefix, args string) { got = append(got, args) }, funcr.Options{Verbosity: 1})
		tc.r.Report(log)
		if strings.Join(got, "\\n") != tc.want {
			t.Errorf("logged %q, want %q", got, tc.want)
		}
	}
}

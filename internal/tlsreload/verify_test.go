package tlsreload

import (
	"strings"
	"testing"
	"time"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Every channel the status records is checked, at its port.
func TestChecks(t *testing.T) {
	st := &v1alpha1.TLSStatus{Certificates: []v1alpha1.CertificateStatus{
		{Channel: "bolt", Fingerprint: "B"}, {Channel: "https", Fingerprint: "H"},
		{Channel: "cluster", Fingerprint: "C"}, {Channel: "backup", Fingerprint: "K"},
		{Channel: "https-typo", Fingerprint: "X"}, {Channel: "cluster", Fingerprint: ""},
	}}
	want := []Check{{"bolt", 7687, "B"}, {"https", 7473, "H"}, {"cluster", 6000, "C"}, {"backup", 6362, "K"}}
	got := Checks(st)
	if len(got) != len(want) {
		t.Fatalf("checks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("check %d: %v, want %v", i, got[i], want[i])
		}
	}
	if Checks(nil) != nil {
		t.Error("checks without a status")
	}
}

// A server is done only when every channel checked presents the
// certificate wanted; otherwise the message names each channel behind.
func TestVerify(t *testing.T) {
	checks := []Check{{"bolt", 7687, "B2"}, {"https", 7473, "H2"}, {"cluster", 6000, "C2"}, {"backup", 6362, "K2"}}
	all := func(over ...Presented) []Presented {
		out := []Presented{{Channel: "bolt", Fingerprint: "B2"}, {Channel: "https", Fingerprint: "H2"},
			{Channel: "cluster", Fingerprint: "C2"}, {Channel: "backup", Fingerprint: "K2"}}
		for _, o := range over {
			for i := range out {
				if out[i].Channel == o.Channel {
					out[i] = o
				}
			}
		}
		return out
	}
	without := func(channel string) []Presented {
		var out []Presented
		for _, p := range all() {
			if p.Channel != channel {
				out = append(out, p)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		checks []Check
		got    []Presented
		want   []string // substrings of the message; none: done
		not    []string
	}{
		{name: "every channel serves the new certificate: done", checks: checks, got: all()},
		{name: "nothing to check (no channel recorded): done", checks: nil, got: nil},
		{name: "https behind, Bolt new (the issue's case): not done, https named", checks: checks,
			got:  all(Presented{Channel: "https", Fingerprint: "H1"}),
			want: []string{"the server still presents H1 on https, not H2: the kubelet has not updated its mounted Secret yet"},
			not:  []string{"on bolt", "on cluster", "on backup"}},
		{name: "cluster behind", checks: checks, got: all(Presented{Channel: "cluster", Fingerprint: "C1"}),
			want: []string{"still presents C1 on cluster, not C2"}},
		{name: "backup behind", checks: checks, got: all(Presented{Channel: "backup", Fingerprint: "K1"}),
			want: []string{"still presents K1 on backup, not K2"}},
		{name: "Bolt behind", checks: checks, got: all(Presented{Channel: "bolt", Fingerprint: "B1"}),
			want: []string{"still presents B1 on bolt, not B2"}},
		{name: "two behind: both named", checks: checks,
			got:  all(Presented{Channel: "https", Fingerprint: "H1"}, Presented{Channel: "backup", Fingerprint: "K1"}),
			want: []string{"H1 on https", "K1 on backup"}},
		{name: "a handshake failed: not done, why", checks: checks, got: all(Presented{Channel: "cluster", Problem: "Unavailable"}),
			want: []string{"the cluster certificate could not be checked: Unavailable"}},
		{name: "no certificate and no reason", checks: checks, got: all(Presented{Channel: "https"}),
			want: []string{"the https certificate could not be checked: no certificate presented"}},
		{name: "a channel not checked is not taken as done", checks: checks, got: without("backup"),
			want: []string{"the backup certificate was not checked"}},
		{name: "a presentation nobody asked for changes nothing", checks: checks[:1], got: all(Presented{Channel: "https", Fingerprint: "H1"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Verify(tc.checks, tc.got)
			if len(tc.want) == 0 && got != "" {
				t.Fatalf("not done: %q", got)
			}
			if len(tc.want) > 0 && got == "" {
				t.Fatal("done, want not done")
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("message %q names %q", got, n)
				}
			}
		})
	}
}

// TLSReady names the first server left behind, in server order, and why;
// the same decision gives the same message, and a server that reloaded is
// not named.
func TestLeft(t *testing.T) {
	in := Input{Channels: []Channel{{Name: "https", Secret: "s", Fingerprint: "B"}}, Status: reloading("B", t0.Add(-time.Hour)),
		CanReload: true, Now: t0, Delay: delay, Servers: servers}
	in.Status.Certificates[0].Channel = "https"
	why := map[string]string{
		"g-primary-2": "the server still presents A2 on https, not B",
		"g-primary-1": "the server still presents A on https, not B: the kubelet has not updated its mounted Secret yet",
	}
	d := Decide(in)
	d.Reloaded(servers[:1])
	d.Left(why)
	msg := d.Condition.Message
	if d.Condition.Reason != ReasonReloading || !strings.Contains(msg, "1 of 3 reloaded; g-primary-1 is retried: the server still presents A on https, not B") ||
		strings.Contains(msg, "g-primary-2") {
		t.Fatalf("condition %s: %q", d.Condition.Reason, msg)
	}
	again := Decide(in)
	again.Reloaded(servers[:1])
	again.Left(why)
	if again.Condition.Message != msg {
		t.Errorf("not stable: %q then %q", msg, again.Condition.Message)
	}
	d.Reloaded(servers[1:2])
	if !strings.Contains(d.Condition.Message, "g-primary-2 is retried") {
		t.Errorf("after g-primary-1 reloaded: %q", d.Condition.Message)
	}
	d.Reloaded(servers[2:])
	d.Left(why)
	if d.Status.Reload != nil || d.Condition.Reason != ReasonServed {
		t.Errorf("all reloaded: %+v %q", d.Status.Reload, d.Condition.Message)
	}
}

package memlimit

import (
	"testing"
	"testing/fstest"
)

func TestContainerLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  int64
		err   bool
	}{
		{"cgroup v2 with a limit", fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("268435456\n")}}, 268435456, false},
		{"cgroup v2 without", fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("max\n")}}, 0, false},
		{"cgroup v1 with a limit", fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("536870912\n")}}, 536870912, false},
		{"cgroup v1 without", fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("9223372036854771712\n")}}, 0, false},
		{"v2 wins over v1", fstest.MapFS{
			"sys/fs/cgroup/memory.max":                   {Data: []byte("1048576")},
			"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("2097152")}}, 1048576, false},
		{"no cgroup files", fstest.MapFS{}, 0, false},
		{"garbage", fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("lots")}}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ContainerLimit(tc.files)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ContainerLimit = %d, %v; want %d, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	const mi = 1 << 20
	for _, tc := range []struct {
		name       string
		container  int64
		ratio      float64
		gomemlimit string
		want       int64
	}{
		{"90% of the Deployment's 256Mi", 256 * mi, 0.9, "", 241591910},
		{"no container limit", 0, 0.9, "", 0},
		{"ratio 0 turns it off", 256 * mi, 0, "", 0},
		{"GOMEMLIMIT set by the user wins", 256 * mi, 0.9, "200MiB", 0},
		{"a ratio above 1 is capped at the limit", 256 * mi, 1.5, "", 256 * mi},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Limit(tc.container, tc.ratio, tc.gomemlimit); got != tc.want {
				t.Fatalf("Limit = %d, want %d", got, tc.want)
			}
		})
	}
}

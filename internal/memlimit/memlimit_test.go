package memlimit

import (
	"testing"
	"testing/fstest"
)

func TestContainerLimit(t *testing.T) {
	v2 := func(self string, files map[string]string) fstest.MapFS {
		fs := fstest.MapFS{"proc/self/cgroup": {Data: []byte(self)}, "sys/fs/cgroup/cgroup.controllers": {Data: []byte("cpu memory")}}
		for name, data := range files {
			fs[name] = &fstest.MapFile{Data: []byte(data)}
		}
		return fs
	}
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  int64
		err   bool
	}{
		{"v2, own cgroup namespace, a limit", v2("0::/\n", map[string]string{"sys/fs/cgroup/memory.max": "268435456\n"}), 268435456, false},
		{"v2, own cgroup namespace, no limit", v2("0::/\n", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}), 0, false},
		{"v2, host namespace: the limit is on the pod's cgroup", v2("0::/kubepods/pod1/c1\n", map[string]string{
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": "max",
			"sys/fs/cgroup/kubepods/pod1/memory.max":    "536870912",
			"sys/fs/cgroup/kubepods/memory.max":         "8589934592"}), 536870912, false},
		{"v2, the smallest of the cgroup and its parents", v2("0::/a/b\n", map[string]string{
			"sys/fs/cgroup/a/b/memory.max": "268435456",
			"sys/fs/cgroup/a/memory.max":   "536870912"}), 268435456, false},
		{"v2, the root cgroup has no memory.max", v2("0::/\n", nil), 0, false},
		{"v2, garbage", v2("0::/\n", map[string]string{"sys/fs/cgroup/memory.max": "lots"}), 0, true},
		{"v1, a limit (parents included by the kernel)", fstest.MapFS{
			"proc/self/cgroup":                 {Data: []byte("4:memory:/kubepods/pod1/c1\n")},
			"sys/fs/cgroup/memory/memory.stat": {Data: []byte("cache 0\nhierarchical_memory_limit 536870912\n")}}, 536870912, false},
		{"v1, no limit", fstest.MapFS{
			"sys/fs/cgroup/memory/memory.stat": {Data: []byte("hierarchical_memory_limit 9223372036854771712\n")}}, 0, false},
		{"no cgroup files", fstest.MapFS{}, 0, false},
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
		{"80% of the Deployment's 256Mi", 256 * mi, 0.8, "", 214748364},
		{"no container limit", 0, 0.8, "", 0},
		{"ratio 0 turns it off", 256 * mi, 0, "", 0},
		{"GOMEMLIMIT set by the user wins", 256 * mi, 0.8, "200MiB", 0},
		{"a ratio above 1 is capped at the limit", 256 * mi, 1.5, "", 256 * mi},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Limit(tc.container, tc.ratio, tc.gomemlimit); got != tc.want {
				t.Fatalf("Limit = %d, want %d", got, tc.want)
			}
		})
	}
}

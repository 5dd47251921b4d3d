// Package memlimit sets the Go runtime's soft memory limit from the
// container's memory limit, so that the garbage collector works harder as
// the operator nears its limit.
//
// Without it, the Go heap may grow to twice the live heap before a
// collection (GOGC=100): at 1,000 clusters the operator's live heap is
// about 90 MiB and its resident set 229 MiB (make bench-scale), close to the
// Deployment's 256Mi limit; before the cache dropped managedFields it was
// 297 MiB. The limit is soft: the runtime never fails an allocation
// because of it. It does not cover the binary's own pages (about 45 MiB,
// file-backed), which the container's cgroup counts too: hence a ratio
// well below 1.
package memlimit

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
)

// unlimitedV1 is the smallest cgroup v1 value that means no limit: the
// kernel reports PAGE_COUNTER_MAX in bytes, rounded down to a page.
const unlimitedV1 = 1 << 62

// ContainerLimit reads the memory limit that applies to this process, in
// bytes, from the root filesystem root (/proc and /sys); 0 means none.
//
// cgroup v2: the process's cgroup is the "0::<path>" line of
// /proc/self/cgroup, and the limit that applies is the smallest
// memory.max of that cgroup and its parents (a pod-level limit sits on a
// parent). In a container with its own cgroup namespace, the usual case,
// the path is "/". cgroup v1: memory.stat's hierarchical_memory_limit
// already takes the parents into account.
func ContainerLimit(root fs.FS) (int64, error) {
	if p, ok, err := cgroupV2Path(root); err != nil || ok {
		if err != nil {
			return 0, err
		}
		return v2Limit(root, p)
	}
	return v1Limit(root)
}

// cgroupV2Path is this process's cgroup v2 path, if it has one.
func cgroupV2Path(root fs.FS) (string, bool, error) {
	data, err := fs.ReadFile(root, "proc/self/cgroup")
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			_, err := fs.Stat(root, "sys/fs/cgroup/cgroup.controllers")
			return path.Clean("/" + p), err == nil, nil
		}
	}
	return "", false, nil
}

// v2Limit is the smallest memory.max from the cgroup up to the root.
func v2Limit(root fs.FS, cgroup string) (int64, error) {
	var limit int64
	for dir := cgroup; ; dir = path.Dir(dir) {
		raw, err := fs.ReadFile(root, path.Join("sys/fs/cgroup", dir, "memory.max"))
		switch {
		case errors.Is(err, fs.ErrNotExist): // the root cgroup has none
		case err != nil:
			return 0, err
		default:
			if text := strings.TrimSpace(string(raw)); text != "max" {
				n, err := strconv.ParseInt(text, 10, 64)
				if err != nil {
					return 0, err
				}
				if limit == 0 || n < limit {
					limit = n
				}
			}
		}
		if dir == "/" {
			return limit, nil
		}
	}
}

// v1Limit reads memory.stat's hierarchical_memory_limit.
func v1Limit(root fs.FS) (int64, error) {
	data, err := fs.ReadFile(root, "sys/fs/cgroup/memory/memory.stat")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hierarchical_memory_limit "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n >= unlimitedV1 {
				return 0, err
			}
			return n, nil
		}
	}
	return 0, nil
}

// Limit is the soft limit to set: ratio of the container's limit, or 0
// (leave the runtime alone) when there is no container limit, the ratio
// is 0, or GOMEMLIMIT is already set (an explicit setting wins).
func Limit(container int64, ratio float64, gomemlimit string) int64 {
	if container <= 0 || ratio <= 0 || gomemlimit != "" {
		return 0
	}
	return int64(math.Floor(float64(container) * min(ratio, 1)))
}

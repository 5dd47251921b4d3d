// Package memlimit sets the Go runtime's soft memory limit from the
// container's memory limit, so that the garbage collector works harder as
// the operator nears its limit instead of the kernel killing it.
//
// Without it, the Go heap may grow to twice the live heap before a
// collection (GOGC=100): at 1,000 clusters the operator's live heap is
// about 90 MiB, and its resident set passed the Deployment's 256Mi limit
// (make bench-scale). The limit is soft: the runtime never fails an
// allocation because of it.
package memlimit

import (
	"errors"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

// cgroup files holding the container's memory limit: v2, then v1. v2 says
// "max" when there is none; v1 gives a number near 2^63.
var limitFiles = []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"}

// unlimitedV1 is the smallest cgroup v1 value that means no limit: the
// kernel reports PAGE_COUNTER_MAX in bytes, rounded down to a page.
const unlimitedV1 = 1 << 62

// ContainerLimit reads the container's memory limit in bytes from the
// root filesystem root; 0 means none.
func ContainerLimit(root fs.FS) (int64, error) {
	for _, name := range limitFiles {
		raw, err := fs.ReadFile(root, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		text := strings.TrimSpace(string(raw))
		if text == "max" {
			return 0, nil
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return 0, err
		}
		if n >= unlimitedV1 {
			return 0, nil
		}
		return n, nil
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

package neo4jconf

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the Neo4j release an image tag names.
type Version struct {
	Major, Minor int
}

// CalVer is true for 2025.x and later releases, whose discovery settings
// dropped the "v2" infix that 5.26 needs.
func (v Version) CalVer() bool { return v.Major >= 2025 }

// ParseTag reads the version from an image tag such as "5.26.12-enterprise"
// or "2025.10.1-enterprise".
func ParseTag(tag string) (Version, error) {
	head, _, _ := strings.Cut(tag, "-")
	parts := strings.Split(head, ".")
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("image tag %q does not start with a Neo4j version such as 2025.10.1", tag)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("image tag %q does not start with a Neo4j version such as 2025.10.1", tag)
	}
	v := Version{Major: major, Minor: minor}
	if !v.CalVer() && (major != 5 || minor < 26) {
		return Version{}, fmt.Errorf("image tag %q names Neo4j %d.%d; 5.26 or later is required", tag, major, minor)
	}
	return v, nil
}

// Before reports whether v is an earlier release than w.
func (v Version) Before(w Version) bool {
	return v.Major < w.Major || (v.Major == w.Major && v.Minor < w.Minor)
}

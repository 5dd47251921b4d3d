package neo4jimage

import (
	"fmt"
	"slices"
	"strings"
)

// Conf is a configuration file as Neo4j reads it (Operations Manual, "The
// neo4j.conf file", branch 5.x): `key=value` lines, lines starting with #
// are comments, empty lines are ignored, and a key set twice stops the
// server under strict validation, except server.jvm.additional, where
// each line adds one JVM argument.
type Conf struct {
	order  []string
	values map[string][]string
	// Duplicates are keys set more than once (server.jvm.additional aside).
	Duplicates []string
	// Malformed are non-comment lines without "=".
	Malformed []string
}

// MultiValued are the settings Neo4j accepts more than once.
var MultiValued = []string{"server.jvm.additional"}

func parse(lines []string) Conf {
	c := Conf{values: map[string][]string{}}
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			c.Malformed = append(c.Malformed, l)
			continue
		}
		k = strings.TrimSpace(k)
		if _, seen := c.values[k]; seen {
			if !slices.Contains(MultiValued, k) && !slices.Contains(c.Duplicates, k) {
				c.Duplicates = append(c.Duplicates, k)
			}
		} else {
			c.order = append(c.order, k)
		}
		c.values[k] = append(c.values[k], v)
	}
	return c
}

// Keys in first-seen order.
func (c Conf) Keys() []string { return c.order }

// Has reports whether key is set.
func (c Conf) Has(key string) bool { _, ok := c.values[key]; return ok }

// Get is the last value of key, or "".
func (c Conf) Get(key string) string {
	v := c.values[key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// All is every value of key, in file order.
func (c Conf) All(key string) []string { return c.values[key] }

// Check is what strict validation refuses regardless of setting names:
// duplicates and lines that are not settings.
func (c Conf) Check() error {
	if len(c.Duplicates) > 0 {
		return fmt.Errorf("settings set more than once: %s", strings.Join(c.Duplicates, ", "))
	}
	if len(c.Malformed) > 0 {
		return fmt.Errorf("lines that are not key=value: %q", c.Malformed)
	}
	return nil
}

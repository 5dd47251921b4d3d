package neo4jconf

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The valid setting names per release series, taken from the Operations
// Manual's settings reference (see the header of each file and
// hack/neo4j-settings.sh). Neo4j refuses unknown names at startup under
// strict validation, which is on by default, so the operator refuses them
// first.
//
//go:embed settings/*.txt
var settingFiles embed.FS

// Groups are settings documented outside the reference page, as a prefix
// and the suffixes allowed after one free segment (nil: any name).
//   - dbms.ssl.policy.<scope>.<suffix>: Operations Manual, Security → SSL
//     framework (5.x and dev); scopes bolt, https, cluster and backup.
//   - dbms.routing.load_balancing.config.server_policies.<policy>:
//     Configuration settings → "Configuration setting group".
var Groups = []Group{
	{Prefix: "dbms.ssl.policy.", Segments: []string{"bolt", "https", "cluster", "backup"}, Suffixes: []string{
		"enabled", "base_directory", "private_key", "private_key_password", "public_certificate",
		"trusted_dir", "revoked_dir", "verify_hostname", "ciphers", "tls_versions", "client_auth", "trust_all"}},
	{Prefix: "dbms.routing.load_balancing.config.server_policies."},
}

// Group is a family of settings with one free segment.
type Group struct {
	Prefix string
	// Segments the free segment may take; nil for any name.
	Segments []string
	// Suffixes after the free segment; nil when the name ends with it.
	Suffixes []string
}

func (g Group) matches(key string) bool {
	rest, ok := strings.CutPrefix(key, g.Prefix)
	if !ok {
		return false
	}
	segment, suffix, hasSuffix := strings.Cut(rest, ".")
	if segment == "" || (g.Segments != nil && !slices.Contains(g.Segments, segment)) {
		return false
	}
	if g.Suffixes == nil {
		return !hasSuffix
	}
	return hasSuffix && slices.Contains(g.Suffixes, suffix)
}

// InternalPrefix marks Neo4j's unsupported settings. They are not in the
// reference, so the operator cannot check them; they pass through.
const InternalPrefix = "internal."

// Unchecked are namespaces whose settings pass unchecked: Neo4j's
// internal ones, and the plugins' that the image's neo4j-plugins.json and
// the plugins' own documentation use (GDS, Bloom, GenAI), which Neo4j
// knows once the plugin is installed.
var Unchecked = []string{InternalPrefix, "gds.", "dbms.bloom.", "genai."}

// Series is the settings list a version reads: "5.26" or "calver".
func (v Version) Series() string {
	if v.CalVer() {
		return "calver"
	}
	return "5.26"
}

// setting is one documented name and the CalVer releases that document it
// (5.26 has one list; its entries carry no releases).
type setting struct {
	name         string
	since, until Version // until zero: still documented
}

var settings = sync.OnceValue(func() map[string][]setting {
	out := map[string][]setting{}
	for _, series := range []string{"5.26", "calver"} {
		data, err := settingFiles.ReadFile("settings/" + series + ".txt")
		if err != nil {
			panic(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Fields(l)
			if len(f) == 0 || strings.HasPrefix(f[0], "#") {
				continue
			}
			s := setting{name: f[0]}
			if len(f) > 1 {
				s.since = mustCalVer(f[1])
			}
			if len(f) > 2 {
				s.until = mustCalVer(f[2])
			}
			out[series] = append(out[series], s)
		}
	}
	return out
})

func mustCalVer(s string) Version {
	v, err := ParseTag(s + ".0")
	if err != nil {
		panic(fmt.Sprintf("settings list: release %q: %v", s, err))
	}
	return v
}

// Names are the documented setting names of a series ("5.26" or
// "calver": every CalVer release's), sorted; a free segment is written
// <provider>.
func Names(series string) []string {
	var out []string
	for _, s := range settings()[series] {
		out = append(out, s.name)
	}
	return out
}

// Known reports whether key is a setting Neo4j of version v accepts: a
// documented name of that release, a documented group, or an unchecked
// namespace (internal settings, plugins').
func Known(v Version, key string) bool {
	if slices.ContainsFunc(Unchecked, func(p string) bool { return strings.HasPrefix(key, p) }) {
		return true
	}
	for _, s := range settings()[v.Series()] {
		if v.CalVer() && (v.Before(s.since) || (s.until != Version{} && !v.Before(s.until))) {
			continue
		}
		if s.name == key || placeholderMatch(s.name, key) {
			return true
		}
	}
	return slices.ContainsFunc(Groups, func(g Group) bool { return g.matches(key) })
}

// placeholderMatch matches a documented name with one <...> segment.
func placeholderMatch(pattern, key string) bool {
	if !strings.Contains(pattern, "<") {
		return false
	}
	p, k := strings.Split(pattern, "."), strings.Split(key, ".")
	if len(p) != len(k) {
		return false
	}
	for i := range p {
		if !strings.HasPrefix(p[i], "<") && p[i] != k[i] {
			return false
		}
	}
	return true
}

// UnknownSettingError names a setting Neo4j would refuse and the nearest
// valid one.
type UnknownSettingError struct {
	Key, Series, Suggestion string
}

func (e *UnknownSettingError) Error() string {
	msg := fmt.Sprintf("config key %q is not a setting of Neo4j %s (Neo4j refuses unknown settings at startup)", e.Key, e.Series)
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return msg
}

// Suggest returns the documented name nearest to key: first a name that
// differs only in its scope (server., db., dbms.), the commonest mistake,
// then the closest by edit distance if it is close enough to be a typo.
func Suggest(v Version, key string) string {
	_, rest, _ := strings.Cut(key, ".")
	var candidates []string
	for _, n := range Names(v.Series()) {
		if !strings.Contains(n, "<") && Known(v, n) {
			candidates = append(candidates, n)
		}
	}
	for _, n := range candidates {
		if _, r, _ := strings.Cut(n, "."); r == rest && n != key {
			return n
		}
	}
	best, bestDist := "", len(key)/3+1
	for _, n := range candidates {
		if d := editDistance(key, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

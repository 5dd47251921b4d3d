package neo4jconf

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Where plugins and licences go in the server container: the folders the
// image's entrypoint looks for (docker-neo4j, coredb docker-entrypoint.sh:
// /plugins, and /licenses, which become server.directories.plugins and
// server.directories.licenses).
const (
	PluginsDir  = "/plugins"
	LicensesDir = "/licenses"
)

// plugin is what a plugin needs in neo4j.conf, from the image's
// neo4j-plugins.json (docker-neo4j, docker-image-src/{5,calver}/coredb):
// its procedure namespaces, to be unrestricted, and other settings. Where
// the Operations Manual (configuration/plugins.adoc, branch dev) names
// more namespaces than the image (n10s.* for Neosemantics, ai.* for GenAI
// from 2025.11), both are listed.
type plugin struct {
	procedures []string
	settings   map[string]string
	// licenseSetting is the setting naming the licence file.
	licenseSetting string
}

var plugins = map[string]plugin{
	"apoc":               {procedures: []string{"apoc.*"}},
	"apoc-extended":      {procedures: []string{"apoc.*"}},
	"bloom":              {procedures: []string{"bloom.*"}, settings: map[string]string{"server.unmanaged_extension_classes": "com.neo4j.bloom.server=/browser/bloom"}, licenseSetting: "dbms.bloom.license_file"},
	"graph-data-science": {procedures: []string{"gds.*"}, licenseSetting: "gds.enterprise.license_file"},
	"genai":              {procedures: []string{"genai.*"}},
	"n10s":               {procedures: []string{"n10s.*", "semantics.*"}},
	"fleet-management":   {procedures: []string{"fleetManagement.*"}},
}

// LicenseFile is where a plugin's licence file is mounted.
func LicenseFile(name string) string { return LicensesDir + "/" + name + ".license" }

// PluginJar is where a plugin delivered from an image is put.
func PluginJar(name string) string { return PluginsDir + "/" + name + ".jar" }

// pluginSettings are the settings the plugins need: procedures allowed to
// run unrestricted (and, when the user gave an allowlist, allowed at
// all), the plugins' own settings, and their licence files. The image's
// entrypoint would append its own defaults for plugins it installs, but
// leaves a setting neo4j.conf already has alone.
func pluginSettings(c *v1alpha1.Neo4jEnterpriseCluster, v Version) Conf {
	out := Conf{}
	if len(c.Spec.Plugins) == 0 {
		return out
	}
	var procs []string
	for _, p := range c.Spec.Plugins {
		def := plugins[p.Name]
		procs = append(procs, def.procedures...)
		if p.Name == "genai" && !v.Before(Version{Major: 2025, Minor: 11}) {
			procs = append(procs, "ai.*")
		}
		for k, val := range def.settings {
			out[k] = val
		}
		if p.LicenseSecret != nil && def.licenseSetting != "" {
			out[def.licenseSetting] = LicenseFile(p.Name)
		}
	}
	out["dbms.security.procedures.unrestricted"] = joinUnique(procs, c.Spec.Procedures.Unrestricted)
	switch {
	case len(c.Spec.Procedures.Allowlist) > 0:
		out["dbms.security.procedures.allowlist"] = joinUnique(procs, c.Spec.Procedures.Unrestricted, c.Spec.Procedures.Allowlist)
	case installs(c, "fleet-management"):
		// The image's installer would set the allowlist to
		// fleetManagement.* alone, and every other procedure would stop
		// loading: the setting's default, everything, is kept.
		out["dbms.security.procedures.allowlist"] = "*"
	}
	return out
}

// installs is true when the image's installer installs the plugin.
func installs(c *v1alpha1.Neo4jEnterpriseCluster, name string) bool {
	for _, p := range c.Spec.Plugins {
		if p.Name == name && p.Image == nil {
			return true
		}
	}
	return false
}

func joinUnique(lists ...[]string) string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, ",")
}

// InstalledPlugins is the NEO4J_PLUGINS value for the plugins the image
// installs (those without an image of their own), a JSON list in spec
// order; "" for none.
func InstalledPlugins(c *v1alpha1.Neo4jEnterpriseCluster) string {
	var names []string
	for _, p := range c.Spec.Plugins {
		if p.Image == nil {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	b, _ := json.Marshal(names)
	return string(b)
}

#!/usr/bin/env bash
# Refreshes the lists of valid neo4j.conf setting names from the Neo4j
# Operations Manual (the public neo4j/docs-operations repository), then
# regenerates the CRD validation that uses them.
#
#   make neo4j-settings DOCS_OPERATIONS=<path to a clone or bare mirror>
#
# Branch 5.x documents Neo4j 5.26 LTS, branch dev the CalVer releases. Each
# setting of the reference page is anchored [[config_<name>]]; two quirks
# of the page are handled: one anchor is written config_config_<name>, and
# the OIDC settings spell their provider segment "-provider-" (kept as the
# placeholder <provider>). Settings documented outside that page (the SSL
# policies, load-balancing policies) are patterns in settings.go.
set -euo pipefail
docs=${1:?usage: $0 <docs-operations git dir or clone>}
out=$(cd "$(dirname "$0")/.." && pwd)/internal/neo4jconf/settings
page=modules/ROOT/pages/configuration/configuration-settings.adoc
gitdir=$docs
[ -d "$docs/.git" ] && gitdir=$docs/.git

extract() { # branch series
  local branch=$1 series=$2 commit date
  commit=$(git --git-dir="$gitdir" rev-parse "$branch")
  date=$(git --git-dir="$gitdir" log -1 --format=%cs "$branch")
  {
    echo "# Valid neo4j.conf setting names for Neo4j $series."
    echo "# Source: neo4j/docs-operations, branch $branch, commit $commit ($date),"
    echo "# $page (the [[config_<name>]] anchors)."
    echo "# Regenerate with: make neo4j-settings DOCS_OPERATIONS=<docs-operations git dir>"
    git --git-dir="$gitdir" show "$branch:$page" |
      sed -n 's/^\[\[config_\(config_\)\{0,1\}\([^]]*\)\]\]$/\2/p' |
      sed 's/\.-provider-\./.<provider>./' | LC_ALL=C sort -u
  } > "$out/$series.txt"
  echo "wrote $out/$series.txt ($(grep -vc '^#' "$out/$series.txt") names)"
}
extract 5.x 5.26
extract dev calver

#!/usr/bin/env bash
# Refreshes the lists of valid neo4j.conf setting names from the Neo4j
# Operations Manual (the public neo4j/docs-operations repository), then
# regenerates the CRD validation that uses them.
#
#   make neo4j-settings DOCS_OPERATIONS=<path to a clone or bare mirror>
#
# A setting is a level-3 heading `=== \`<name>\`` of the settings reference
# (configuration/configuration-settings.adoc); the page's anchors are not
# used, as a few are misspelled or have no entry. The OIDC settings write
# their free segment <provider>.
#
# 5.26: branch 5.x at its tip. CalVer: branch dev, read once per month from
# 2025.01 (the first CalVer release) to the tip: a name's "since" is the
# first month whose end-of-month snapshot documents it, its "until" the
# first month after that which no longer does. A CalVer release YYYY.MM is
# documented by the end of month MM, so each release gets the names of its
# own month; a setting documented late is refused until the next month's
# refresh (safe: the operator refuses what Neo4j might).
set -euo pipefail
docs=${1:?usage: $0 <docs-operations git dir or clone>}
out=$(cd "$(dirname "$0")/.." && pwd)/internal/neo4jconf/settings
page=modules/ROOT/pages/configuration/configuration-settings.adoc
gitdir=$docs
[ -d "$docs/.git" ] && gitdir=$docs/.git
g() { git --git-dir="$gitdir" "$@"; }

names() { # commit
  g show "$1:$page" 2>/dev/null | sed -n 's/^===  *`\([^`]*\)`.*$/\1/p' | LC_ALL=C sort -u
}

header() { # series branch commit
  echo "# Valid neo4j.conf setting names for Neo4j $1."
  echo "# Source: neo4j/docs-operations, branch $2 at $3 ($(g log -1 --format=%cs "$3")),"
  echo "# $page (its === \`name\` headings)."
  echo "# Regenerate with: make neo4j-settings DOCS_OPERATIONS=<docs-operations git dir>"
}

tip5=$(g rev-parse 5.x)
{ header 5.26 5.x "$tip5"; names "$tip5"; } > "$out/5.26.txt"
echo "wrote $out/5.26.txt ($(grep -vc '^#' "$out/5.26.txt") names)"

tipdev=$(g rev-parse dev)
last=$(g log -1 --format=%cs "$tipdev" | cut -c1-7)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
months=()
m=2025-01
while [[ "$m" < "$last" || "$m" == "$last" ]]; do
  months+=("$m")
  m=$(date -u -d "$m-01 +1 month" +%Y-%m)
done
for m in "${months[@]}"; do
  next=$(date -u -d "$m-01 +1 month" +%Y-%m-01)
  commit=$(g rev-list -1 --before="$next 00:00:00 +0000" "$tipdev")
  names "$commit" > "$tmp/$m"
done
{
  header CalVer dev "$tipdev"
  echo "# Columns: name, first CalVer release documenting it, first release no longer"
  echo "# documenting it (absent: still documented)."
  cat "$tmp"/* | LC_ALL=C sort -u | while read -r name; do
    since="" until=""
    for m in "${months[@]}"; do
      if grep -qxF "$name" "$tmp/$m"; then
        [ -z "$since" ] && since=$m
        until=""
      elif [ -n "$since" ] && [ -z "$until" ]; then
        until=$m
      fi
    done
    echo "$name ${since/-/.}${until:+ ${until/-/.}}"
  done
} > "$out/calver.txt"
echo "wrote $out/calver.txt ($(grep -vc '^#' "$out/calver.txt") names over ${#months[@]} monthly snapshots)"

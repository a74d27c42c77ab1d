#!/usr/bin/env bash
# Prints one version's section of a Keep a Changelog file: the lines under "## [VERSION]" up to the
# next "## " heading (or the link definitions at the end), without leading or trailing blank lines.
# Fails, saying so, when the file has no such section. Used by .github/workflows/release.yml.
#   usage: changelog-section.sh VERSION [FILE]      e.g. changelog-section.sh 1.2.3 CHANGELOG.md
set -euo pipefail
version="${1:?usage: changelog-section.sh VERSION [FILE]}"
file="${2:-CHANGELOG.md}"

if ! awk -v heading="## [$version]" '
  /^## / {
    if (found) exit
    if (index($0, heading) == 1) { found = 1; next }
  }
  found && /^\[[^]]+\]: / { exit }
  found {
    if ($0 ~ /^[[:space:]]*$/) { if (printed) blank++; next }
    while (blank > 0) { print ""; blank-- }
    print
    printed = 1
  }
  END { exit found ? 0 : 3 }
' "$file"; then
  echo "changelog-section.sh: $file has no section '## [$version]'; add one before releasing" >&2
  exit 1
fi

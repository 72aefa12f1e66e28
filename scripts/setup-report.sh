#!/usr/bin/env bash
# Install what the report and the handover certificates need, from Debian: headless Chromium (it
# prints certificates to PDF, and the tests load the site in it), a font for it to draw text
# with, pdftotext for the tests to read the PDFs back, and libatomic1, without which the node
# program inside Playwright's PyPI package (the browser tests' driver) does not start.
# Idempotent; starts no service.
set -euo pipefail
PACKAGES=(chromium fonts-dejavu-core poppler-utils libatomic1)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
"$(dirname "$0")/install-tools.sh" setup-report "${missing[@]}"
echo "setup-report: done"

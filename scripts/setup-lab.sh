#!/usr/bin/env bash
# Install what `schoolnet lab` needs from Debian, starting no service now or at boot.  Idempotent; needs root.
set -euo pipefail
PACKAGES=(debootstrap systemd-container socat nginx-light openssh-client zstd iproute2)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
"$(dirname "$0")/install-tools.sh" setup-lab "${missing[@]}"

#!/usr/bin/env bash
# Install what `schoolnet netbox up` needs from Debian: PostgreSQL 15 and Redis (run as private
# instances on their own ports, never as the machine's services), nginx (serves NetBox's static
# files), debootstrap (builds NetBox's Python 3.13 runtime) and zstd (the cached database).
# Idempotent; starts no service, now or at boot.
set -euo pipefail
PACKAGES=(postgresql-15 redis-server nginx-light debootstrap zstd)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
"$(dirname "$0")/install-tools.sh" setup-netbox "${missing[@]}"
echo "setup-netbox: done"

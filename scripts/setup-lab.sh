#!/usr/bin/env bash
# Install what `schoolnet lab` needs from Debian, starting no service.  Idempotent; needs root.
set -euo pipefail
PACKAGES=(debootstrap systemd-container socat nginx-light openssh-client zstd iproute2)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then echo "setup-lab: missing ${missing[*]}; run as root" >&2; exit 1; fi
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created=1; fi
trap '[ $created -eq 1 ] && rm -f "$policy"' EXIT
echo "setup-lab: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

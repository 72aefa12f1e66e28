#!/usr/bin/env bash
# Install Debian packages as tools: nothing of them starts now, nor at this machine's next boot.
#   scripts/install-tools.sh NAME PACKAGE...      (root; NAME prefixes the messages)
# A daemon's package both starts its service and enables it for boot; the validators and the
# lab only run the programs.  policy-rc.d stops the start; each service unit the packages
# ship is then disabled again, so a workstation does not come up serving ssh or nginx.
set -euo pipefail
name=$1; shift
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then echo "$name: missing $*; run as root to install them" >&2; exit 1; fi
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created=1; fi
trap '[ $created -eq 0 ] || rm -f "$policy"' EXIT
echo "$name: installing $*"
export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
for unit in $(dpkg -L "$@" 2>/dev/null | grep -E '^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer)$' \
              | xargs -rn1 basename | sort -u); do
    case "$unit" in *@.*) continue ;; esac  # templates are enabled per instance, if ever
    if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        systemctl disable --quiet "$unit" 2>/dev/null && echo "$name: $unit will not start at boot either"
    fi
done

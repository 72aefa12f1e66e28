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
# The daemons among the tools, by package: enabled for boot by their packages, disabled again here.
declare -A DAEMONS=([nginx-light]="nginx" [unbound]="unbound unbound-resolvconf" [chrony]="chrony"
                    [openssh-server]="ssh" [postgresql-15]="postgresql" [redis-server]="redis-server")
for pkg in "$@"; do
    for unit in ${DAEMONS[$pkg]:-}; do
        if [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ]; then
            systemctl disable --quiet "$unit" 2>/dev/null && echo "$name: $unit will not start at boot either"
        fi
    done
done

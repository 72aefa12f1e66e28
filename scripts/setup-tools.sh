#!/usr/bin/env bash
# Install the Debian packages schoolnet's commands run, as tools: nothing of them starts now, nor at this
# machine's next boot.  Idempotent: what is installed already is not asked for, and with nothing missing
# nothing is done (no root needed then).  Several groups go in one apt run (one index update).
#
#   scripts/setup-tools.sh validators       the programs `schoolnet check` runs (dnsmasq, unbound, nft, ...)
#   scripts/setup-tools.sh lab              what `schoolnet lab` needs: debootstrap, systemd-nspawn, socat, nginx, busybox (the lab tablets' DHCP client)
#   scripts/setup-tools.sh report           headless Chromium and a font (certificates, the site's tests), pdftotext
#   scripts/setup-tools.sh netbox           PostgreSQL 15, Redis, nginx, debootstrap for `schoolnet netbox up`
#   scripts/setup-tools.sh validators lab report netbox
#
# A daemon's package both starts its service and enables it for boot; schoolnet only runs the programs.
# policy-rc.d stops the start, and each service unit the packages ship is disabled again, so a
# workstation does not come up serving ssh or nginx.
set -euo pipefail

declare -A GROUP=(
    [validators]="dnsmasq-base unbound bind9-utils nftables nginx-light chrony openssh-server tidy wireguard-tools
                  ifupdown iproute2 systemd"
    [lab]="debootstrap systemd-container socat nginx-light openssh-client zstd iproute2 busybox"
    # libatomic1: without it the node program inside Playwright's PyPI package (the browser tests' driver) does
    # not start
    [report]="chromium fonts-dejavu-core poppler-utils libatomic1"
    [netbox]="postgresql-15 redis-server nginx-light debootstrap zstd"
)
# The daemons among the tools, by package: enabled for boot by their packages, disabled again here.
declare -A DAEMONS=([nginx-light]="nginx" [unbound]="unbound unbound-resolvconf" [chrony]="chrony"
                    [openssh-server]="ssh" [postgresql-15]="postgresql" [redis-server]="redis-server")
TOOLS_DIR=${SCHOOLNET_TOOLS:-/opt/schoolnet-tools}

[ $# -gt 0 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
wanted=()
promtool=0
for group in "$@"; do
    [ -n "${GROUP[$group]:-}" ] || { echo "setup-tools: unknown group '$group' (${!GROUP[*]})" >&2; exit 2; }
    read -ra packages <<< "${GROUP[$group]//$'\n'/ }"
    wanted+=("${packages[@]}")
    # prometheus pulls 316 MiB of dependencies; promtool alone is one static binary in the package
    [ "$group" != validators ] || [ -x "$TOOLS_DIR/promtool" ] || promtool=1
done

missing=()
for pkg in $(printf '%s\n' "${wanted[@]}" | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -gt 0 ] || [ $promtool -eq 1 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-tools: missing ${missing[*]:-} $([ $promtool -eq 0 ] || echo promtool); run as root to install them" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created=1; fi
work=""
trap '[ $created -eq 0 ] || rm -f "$policy"; [ -z "$work" ] || rm -rf "$work"' EXIT
export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-tools: installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for pkg in "${missing[@]}"; do
        for unit in ${DAEMONS[$pkg]:-}; do
            if [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ]; then
                systemctl disable --quiet "$unit" 2>/dev/null && echo "setup-tools: $unit will not start at boot either"
            fi
        done
    done
fi
if [ $promtool -eq 1 ]; then
    echo "setup-tools: installing promtool (from Debian's prometheus package, alone)"
    work=$(mktemp -d)
    chown _apt "$work" 2>/dev/null || chmod 777 "$work"  # apt downloads as _apt
    (cd "$work" && apt-get download -qq prometheus >/dev/null && dpkg-deb -x prometheus_*.deb root)
    mkdir -p "$TOOLS_DIR"
    install -m 755 "$work/root/usr/bin/promtool" "$TOOLS_DIR/promtool"
fi
echo "setup-tools: done ($*)"

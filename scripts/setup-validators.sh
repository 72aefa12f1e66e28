#!/usr/bin/env bash
# Install the programs `schoolnet check` runs, from Debian, starting no service now or at boot.
# Idempotent: does nothing when everything is present.  Needs root (or nothing to do).
set -euo pipefail

PACKAGES=(dnsmasq-base unbound bind9-utils nftables nginx-light chrony openssh-server tidy
          wireguard-tools ifupdown iproute2 systemd)
TOOLS_DIR=${SCHOOLNET_TOOLS:-/opt/schoolnet-tools}

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
need_promtool=0
[ -x "$TOOLS_DIR/promtool" ] || need_promtool=1

if [ ${#missing[@]} -eq 0 ] && [ $need_promtool -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-validators: missing ${missing[*]:-promtool}; run as root to install them" >&2
    exit 1
fi
"$(dirname "$0")/install-tools.sh" setup-validators "${missing[@]}"
if [ $need_promtool -eq 1 ]; then
    # prometheus pulls 316 MiB of dependencies; promtool alone is one static binary in the package.
    [ ${#missing[@]} -gt 0 ] || apt-get update -qq
    work=$(mktemp -d)
    chmod 755 "$work"  # apt downloads as _apt
    (cd "$work" && apt-get download -qq prometheus >/dev/null && dpkg-deb -x prometheus_*.deb root)
    mkdir -p "$TOOLS_DIR"
    install -m 755 "$work/root/usr/bin/promtool" "$TOOLS_DIR/promtool"
    rm -rf "$work"
fi
echo "setup-validators: done"

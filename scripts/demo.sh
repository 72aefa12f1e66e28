#!/usr/bin/env bash
# make demo: the main job on the reference programme.
#   1-4  validate, show, render every host, check every file with the program that reads it;
#   5-9  as root: boot a lab (the data center's VPN hub, DNS, monitoring and content servers,
#        every school of Sadarak and its switches), deploy to it with pyinfra, prove the result
#        (a step that fails stops the demo), audit and push the switches, redeploy with no change;
#   10   the auditors' view: the report site (with the deploys just made) and a school's
#        handover certificate;
#   11   as root: publish the inventory to a local NetBox 4.7 and show that a second plan is empty.
set -euo pipefail
cd "$(dirname "$0")/.."
schoolnet() { .venv/bin/schoolnet "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
total=$EPOCHREALTIME
LAB=(--limit role:vpn-hub --limit role:dns-authoritative --limit role:monitoring-server --limit role:content
     --limit district:sadarak)

auditors() {
    step "10/11 the auditors' view: the report site and a school's handover certificate"
    schoolnet report --out site
    schoolnet handover nx-sad-001 --out handover
    echo "   report:      site/index.html (open it in a browser, or publish site/ on any static web server)"
    echo "   certificate: handover/nx-sad-001.pdf (and .html)"
}

step "1/11 validate the reference programme (inventory/)"
schoolnet validate

step "2/11 what it holds"
schoolnet inventory stats

step "3/11 render every host's configuration into build/"
schoolnet render

step "4/11 check every rendered file with the program that will read it"
schoolnet check

if [ "${SCHOOLNET_DEMO_LAB:-1}" = 0 ]; then
    echo "(SCHOOLNET_DEMO_LAB=0: steps 5-9, the lab, and 11, NetBox, skipped)"; auditors; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "the lab (steps 5-9) and NetBox (11) need root: run make demo as root"; auditors; exit 0
fi

step "5/11 lab: boot the DC's VPN hub, DNS, monitoring and content servers, every Sadarak school (systemd-nspawn) and its switches (SSH emulators)"
schoolnet lab up "${LAB[@]}"

step "6/11 deploy to the lab (on fresh hosts it installs packages through the lab's package cache)"
started=$EPOCHREALTIME
schoolnet deploy --env lab "${LAB[@]}" --yes
echo "   deploy: $(elapsed "$started") s"

step "7/11 prove it"
echo "-- a tablet on nx-sad-001's tablet VLAN asks the school's unbound, then fetches a page through its cache"
echo "   proxy twice: the first from a data-center content server (MISS), the second from the school (HIT):"
schoolnet lab probe nx-sad-001
echo "-- dnsmasq checks its configuration on the edge server:"
schoolnet lab ssh nx-sad-001-edge sudo dnsmasq --test
echo "-- the hub's WireGuard configuration lists one peer per school:"
schoolnet lab ssh nx-dc1-vpn-01 "sudo grep -c '^\[Peer\]' /etc/wireguard/wg0.conf"

step "8/11 switches: audit (each lab switch booted with a few seeded differences), push, audit again"
if schoolnet switches audit --env lab --limit district:sadarak; then
    echo "   (compliant already: an earlier demo pushed and saved them; \`schoolnet lab down --purge\` boots"
    echo "   them from their seeded differences again)"
fi
schoolnet switches push --env lab --limit district:sadarak --yes
schoolnet switches audit --env lab --limit district:sadarak

step "9/11 redeploy: nothing should change"
started=$EPOCHREALTIME
schoolnet deploy --env lab "${LAB[@]}" --yes
echo "   idempotent redeploy: $(elapsed "$started") s"

auditors

step "11/11 NetBox: publish the inventory, then plan again (nothing left to do)"
echo "   (the first start on a machine builds NetBox's runtime and migrates its database: about 6 minutes;"
echo "   later starts take seconds)"
schoolnet netbox up
started=$EPOCHREALTIME
schoolnet netbox apply --yes
echo "   apply: $(elapsed "$started") s"
schoolnet netbox plan
schoolnet netbox drift

step "summary"
hosts=$(.venv/bin/python -c 'import json; m = json.load(open("build/manifest.json")); print(len(m["hosts"]))')
echo "  hosts rendered:  $hosts, every file checked"
echo "  lab:             $(schoolnet lab status | grep -c running) hosts running; deploys recorded in deploys/log.jsonl"
echo "  auditors:        site/index.html, handover/nx-sad-001.pdf"
echo "  NetBox:          $(schoolnet netbox status --format json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["url"])')" \
     "(user admin, password in /var/lib/schoolnet-netbox/admin-password)"
echo "  explore:         schoolnet lab ssh nx-sad-001-edge; schoolnet plan --env lab --limit district:sadarak"
echo "  when done:       schoolnet lab down   (hosts keep their disks; --purge for fresh hosts next time)"
echo "                   schoolnet netbox down   (keeps its data; --wipe to start empty)"
echo "  total time:      $(elapsed "$total") s"

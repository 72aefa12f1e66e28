#!/usr/bin/env bash
# make demo: the main job on the reference programme.
#   0    as root: start the local NetBox in the background (its first start on a machine builds its
#        runtime and migrates its database, about 6 minutes), and install the tools the rest needs;
#   1-4  validate, show, render every host, check every file with the program that reads it;
#   5-9  as root: boot a lab (the data center's VPN hub, DNS, monitoring and content servers,
#        every school of Sadarak and its switches), deploy to it with pyinfra, prove the result
#        (a step that fails stops the demo), audit and push the switches, redeploy with no change;
#   10   as root: plug in Sadarak's tablets, observe the schools, reconcile (clean), plant a difference
#        (a switch swapped) and find it at its file:line;
#   11   the auditors' view: the report site (with the deploys and observations just made) and a
#        school's handover certificate;
#   12   as root: wait for NetBox, publish what was deployed (the data center and Sadarak), show that a
#        second plan is empty, and write when each device was last seen; the summary gives each step's
#        time and the command that publishes the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
schoolnet() { .venv/bin/schoolnet "$@"; }
now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
total=$(now)
timings=()
current=""
started=""
step() {  # the summary lists each step: its number, its seconds, the start of its title
    [ -z "$current" ] || timings+=("$(printf '%-7s %7s s   %.60s' "${current%% *}" "$(elapsed "$started")" \
                                      "${current#* }")")
    current=$1
    started=$(now)
    printf '\n\033[1m== %s\033[0m\n' "$1"
}
LAB=(--limit role:vpn-hub --limit role:dns-authoritative --limit role:monitoring-server --limit role:content
     --limit district:sadarak)
PUBLISHED=(--limit site:nx-dc1 --limit district:sadarak)  # what the lab deploys, in NetBox's terms
with_lab=1
if [ "${SCHOOLNET_DEMO_LAB:-1}" = 0 ]; then
    with_lab=0; why="SCHOOLNET_DEMO_LAB=0"
elif [ "$(id -u)" -ne 0 ]; then
    with_lab=0; why="they need root: run make demo as root"
fi

netbox_pid=""
netbox_log=""
if [ $with_lab = 1 ]; then
    step "0/12 set-up: NetBox starts in the background; the tools the demo runs are installed meanwhile"
    make -s setup &  # pip fills the virtual environment while apt installs NetBox's tools
    setup_pid=$!
    scripts/setup-tools.sh netbox
    wait "$setup_pid"
    netbox_log=$(mktemp /tmp/schoolnet-demo-netbox.XXXXXX)
    # Ctrl-C reaches it too (a background job of a script would ignore it): it stops where it is, recording
    # what it started for `schoolnet netbox down`.  Its first start (runtime, migration) is the demo's
    # longest path: it gets the CPU first when the lab's package installs want it too.
    env --default-signal=INT nice -n -5 .venv/bin/schoolnet netbox up >"$netbox_log" 2>&1 &
    netbox_pid=$!
    echo "   NetBox: starting (pid $netbox_pid; its messages in $netbox_log); the demo goes on"
    scripts/setup-tools.sh validators lab report
else
    make -s setup
    scripts/setup-tools.sh validators report
fi

auditors() {
    step "11/12 the auditors' view: the report site and a school's handover certificate"
    schoolnet handover nx-sad-001 --out handover   # first, so the report's school page links it
    if [ $with_lab = 1 ]; then schoolnet report --out site --observed lab; else schoolnet report --out site; fi
    echo "   report:      site/index.html (open it in a browser, or publish site/ on any static web server)"
    echo "   certificate: handover/nx-sad-001.pdf (and .html)"
}

step "1/12 validate the reference programme (inventory/)"
schoolnet validate

step "2/12 what it holds"
schoolnet inventory stats

step "3/12 render every host's configuration into build/"
schoolnet render

step "4/12 check every rendered file with the program that will read it"
schoolnet check

if [ $with_lab = 0 ]; then
    echo "(steps 5-10, the lab, and 12, NetBox, skipped: $why)"; auditors; exit 0
fi

step "5/12 lab: boot the DC's VPN hub, DNS, monitoring and content servers, every Sadarak school (systemd-nspawn) and its switches (SSH emulators)"
schoolnet lab up "${LAB[@]}"

step "6/12 deploy to the lab (on fresh hosts it installs packages through the lab's package cache)"
schoolnet deploy --env lab "${LAB[@]}" --yes

step "7/12 prove it"
echo "-- a tablet on nx-sad-001's tablet VLAN asks the school's unbound, then fetches a page through its cache"
echo "   proxy twice: the first from a data-center content server (MISS), the second from the school (HIT):"
schoolnet lab probe nx-sad-001
echo "-- dnsmasq checks its configuration on the edge server:"
schoolnet lab ssh nx-sad-001-edge sudo dnsmasq --test
echo "-- the hub's WireGuard configuration lists one peer per school:"
schoolnet lab ssh nx-dc1-vpn-01 "sudo grep -c '^\[Peer\]' /etc/wireguard/wg0.conf"

step "8/12 switches: audit (each lab switch prints as a real VRP or IOS switch, booted with a few seeded differences), push, audit again"
if schoolnet switches audit --env lab --limit district:sadarak; then
    echo "   (compliant already: an earlier demo pushed and saved them; \`schoolnet lab down --purge\` boots"
    echo "   them from their seeded differences again)"
fi
schoolnet switches push --env lab --limit district:sadarak --yes
schoolnet switches audit --env lab --limit district:sadarak

step "9/12 redeploy: nothing should change"
schoolnet deploy --env lab "${LAB[@]}" --yes

step "10/12 observe what is really there, and reconcile it with the inventory"
echo "-- Sadarak's tablets plugged in: each a namespace on its school's tablet VLAN, leasing from the edge server:"
schoolnet lab up --limit district:sadarak --tablets
schoolnet observe --env lab --limit district:sadarak
schoolnet reconcile --env lab
echo "-- plant a difference: nx-sad-003-sw1's chassis swapped, unrecorded (its emulator now reports another serial)"
.venv/bin/python - <<'PLANT'
import json
from schoolnet.lab.paths import LAB_DIR
path = LAB_DIR / "switches" / "nx-sad-003-sw1" / "state" / "observed.json"
state = json.loads(path.read_text())
path.write_text(json.dumps({**state, "serial": "2102999999DEMO000001"}))
PLANT
schoolnet observe --env lab --limit district:sadarak >/dev/null
found=0; schoolnet reconcile --env lab | tee /tmp/schoolnet-demo-reconcile.txt || found=$?
if [ "$found" != 1 ] || ! grep -q "error SN951 hardware-differs: nx-sad-003-sw1 reports serial 2102999999DEMO000001" \
        /tmp/schoolnet-demo-reconcile.txt; then
    echo "reconcile did not name the planted difference (exit $found)" >&2; exit 1
fi
rm -f /tmp/schoolnet-demo-reconcile.txt
echo "   (the line above names nx-sad-003-sw1's serial line: record the swap there, or look for the switch)"
schoolnet locate nx-sad-003-sw1

auditors

step "12/12 NetBox: publish what the lab runs (the data center and Sadarak), then plan again (nothing left)"
if kill -0 "$netbox_pid" 2>/dev/null; then
    echo "   waiting for NetBox's start, begun at step 0 (a machine's first start takes about 6 minutes):"
    tail -n 2 "$netbox_log" | sed 's/^/   | /'
fi
if ! wait "$netbox_pid"; then
    sed 's/^/   | /' "$netbox_log" >&2
    echo "NetBox did not start (above); everything else of the demo passed" >&2
    exit 1
fi
sed 's/^/   | /' "$netbox_log"
rm -f "$netbox_log"
schoolnet netbox apply --yes "${PUBLISHED[@]}"
schoolnet netbox plan "${PUBLISHED[@]}"
schoolnet netbox drift "${PUBLISHED[@]}"
schoolnet netbox last-seen --observed lab "${PUBLISHED[@]}"
step "summary"
timings+=("$(printf '%-7s %7s s' "total" "$(elapsed "$total")")")

hosts=$(.venv/bin/python -c 'import json; m = json.load(open("build/manifest.json")); print(len(m["hosts"]))')
echo "  hosts rendered:  $hosts, every file checked"
echo "  lab:             $(schoolnet lab status | grep -c running) hosts running; deploys recorded in deploys/log.jsonl"
echo "  auditors:        site/index.html, handover/nx-sad-001.pdf"
echo "  NetBox:          $(schoolnet netbox status --format json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["url"])')" \
     "(user admin, password in /var/lib/schoolnet-netbox/admin-password): the data center and Sadarak"
echo "  publish the rest: schoolnet netbox apply --yes    (every other school: about 25 minutes on 2 cores; docs/performance.md)"
echo "  explore:         schoolnet lab ssh nx-sad-001-edge; schoolnet plan --env lab --limit district:sadarak"
echo "  when done:       schoolnet lab down   (hosts keep their disks; --purge for fresh hosts next time)"
echo "                   schoolnet netbox down   (keeps its data; --wipe to start empty)"
echo "  time per step:"
printf '    %s\n' "${timings[@]}"

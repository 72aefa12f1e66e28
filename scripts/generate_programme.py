#!/usr/bin/env python3
"""Generate the synthetic reference programme (or a larger fleet for benchmarks).

The committed inventory/ is the source of truth people edit and review; this
script produced its first version and stays so that benchmarks can build a
national-scale fleet with the same shape:

    scripts/generate_programme.py --out inventory                 # Nakhchivan, 216 schools
    scripts/generate_programme.py --out /tmp/fleet --schools 5000 --tablets 100000

Everything is seeded: the same arguments give the same bytes.  All names,
addresses, serials and keys are synthetic.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import random
import shutil
import string
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# id, name, code, centre (lat, lon), schools in the reference programme
DISTRICTS = [
    ("babek", "Babek", "bab", (39.15, 45.45), 30),
    ("julfa", "Julfa", "jul", (38.96, 45.63), 22),
    ("kangarli", "Kangarli", "kan", (39.39, 45.16), 18),
    ("nakhchivan-city", "Nakhchivan city", "nax", (39.21, 45.41), 24),
    ("ordubad", "Ordubad", "ord", (38.91, 46.02), 34),
    ("sadarak", "Sadarak", "sad", (39.71, 44.88), 12),
    ("shahbuz", "Shahbuz", "shz", (39.41, 45.57), 26),
    ("sharur", "Sharur", "shr", (39.55, 44.98), 50),
]
CISCO_DISTRICTS = {"kangarli", "sharur"}  # a second tender lot: Cisco access switches
STREETS = ["Heydar Aliyev avenue", "Istiglal street", "Azadlig street", "Nizami street", "Fuzuli street",
           "Tabriz street", "Araz street", "Ataturk street", "Samad Vurgun street", "Khatai street"]
RECEIVERS = ["class-teacher", "class-teacher", "class-teacher", "it-coordinator", "deputy-director"]
MODELINE = "# yaml-language-server: $schema={rel}schema/{name}.schema.json"
# keys/demo.agekey's public half: synthetic programmes are encrypted to it, and it protects nothing
DEMO_AGE_RECIPIENT = "age1j2ev4k76fpytccnvgu48jtzwlt77fv3vuep45cexlsq790pufguqyhfuqt"
SOPS_CONFIG = f"""# Who can read inventory/secrets.sops.yaml: the age public keys of the programme's administrators.
# DEMO: the reference programme is encrypted to the public demo key (keys/demo.agekey) only.
creation_rules:
  - path_regex: secrets\\.sops\\.yaml$
    age: {DEMO_AGE_RECIPIENT}
"""


@dataclass
class SchoolPlan:
    id: str
    district: str
    district_name: str
    number: int
    centre: tuple[float, float]
    students: int
    tablets: int = 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("inventory"), help="directory to (re)write")
    parser.add_argument("--schools", type=int, default=216)
    parser.add_argument("--tablets", type=int, default=2300)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--force", action="store_true", help="replace an existing directory")
    args = parser.parse_args()
    if args.tablets < args.schools:
        parser.error("every school needs at least one tablet: --tablets must be >= --schools")
    if args.out.exists() and not args.force:
        parser.error(f"{args.out} exists; pass --force to replace it")
    generate(args.out, args.schools, args.tablets, args.seed)
    print(f"wrote {args.schools} schools and {args.tablets} tablets to {args.out}")
    return 0


def generate(out: Path, schools: int, tablets: int, seed: int) -> None:
    rng = random.Random(seed)
    plans = plan_schools(rng, schools, tablets)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".generate-", dir=out.parent))
    supernet = "10.64.0.0/12" if schools <= 1024 else "10.128.0.0/9"
    try:
        write(staging / "programme.yaml", programme_yaml(schools, tablets, supernet))
        write(staging / ".sops.yaml", SOPS_CONFIG)  # secrets: `schoolnet secrets generate` afterwards
        write(staging / "hardware.yaml", HARDWARE_YAML)
        write(staging / "ipam.yaml", ipam_yaml(plans, supernet))
        write(staging / "datacenter" / "nx-dc1.yaml", datacenter_yaml(rng))
        macs = iter(rng.sample(range(1, 2**32), tablets))
        for plan in plans:
            write(staging / "schools" / plan.district / f"{plan.id}.yaml", school_yaml(rng, plan, macs))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def plan_schools(rng: random.Random, count: int, tablets: int) -> list[SchoolPlan]:
    reference_total = sum(d[4] for d in DISTRICTS)
    shares = [round(d[4] * count / reference_total) for d in DISTRICTS]
    shares[-1] += count - sum(shares)
    plans = []
    for (district, name, code, centre, _), share in zip(DISTRICTS, shares, strict=True):
        for number in range(1, share + 1):
            students = int(rng.triangular(60, 1400, 350))
            plans.append(SchoolPlan(f"nx-{code}-{number:03d}", district, name, number, centre, students))
    # tablets proportional to students, at least one each, summing exactly (largest remainder)
    spare = tablets - len(plans)
    total_students = sum(p.students for p in plans)
    exact = [spare * p.students / total_students for p in plans]
    for plan, share in zip(plans, exact, strict=True):
        plan.tablets = 1 + int(share)
    leftover = tablets - sum(p.tablets for p in plans)
    by_remainder = sorted(range(len(plans)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in by_remainder[:leftover]:
        plans[i].tablets += 1
    return plans


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


SIGNING_AND_SWITCHES = r"""
# Who signs each school's acceptance certificate (`schoolnet handover`): offices, not people.
handover:
  certificate_prefix: NX-AC
  handing_over:
    role: Programme director
    organisation: Ministry of Digital Development, programme office (synthetic)
  receiving:
    role: School director          # the organisation is the school itself

# Where this inventory is kept: the report links every fact to its line there.
# repository:
#   url: https://forge.example.org/nx/schoolnet
#   file_url: "{url}/blob/main/{path}#L{line}"

# What schoolnet manages on a switch (`schoolnet switches audit|push`): each feature is the
# top-level configuration lines matching its patterns, per switch OS.  A switch is compliant
# when every feature equals its rendered configuration; other lines are reported, never removed.
# `TOP >> INSIDE`: the sections matching TOP, and inside them only the lines matching INSIDE.
switch_features:
  - name: system
    sections:
      huawei-vrp: ['^sysname ', '^clock timezone ']
      cisco-ios: ['^hostname ', '^service password-encryption$', '^no ip http ', '^ip domain name ',
                  '^clock timezone ']
  - name: vlans                   # IOS in VTP transparent mode: its VLANs are in the configuration
    sections:
      huawei-vrp: ['^vlan batch ', '^vlan \d+$']
      cisco-ios: ['^vtp mode ', '^vlan \d+$']
  - name: interfaces              # access ports and uplinks the build names; never IOS-XE's Gi0/0 (Mgmt-vrf)
    sections:
      huawei-vrp: ['^interface (Gigabit|XGigabit|Ethernet|Eth-Trunk)']
      cisco-ios: ['^interface (?!GigabitEthernet0/0$)(GigabitEthernet|TenGigabitEthernet|FastEthernet|Port-channel)']
  - name: management              # the management VLAN interface (never VLAN 1) and the default route
    sections:
      huawei-vrp: ['^interface Vlanif(?!1$)\d+$', '^ip route-static 0\.0\.0\.0 0\.0\.0\.0 ']
      cisco-ios: ['^interface Vlan(?!1$)\d+$', '^ip default-gateway ']
  - name: aaa                     # local users, SSH access; not the switch's own schemes and domains
    sections:
      huawei-vrp: ['^aaa$ >> ^local-user (?!password |policy )\S+ ', '^ssh user ', '^stelnet server enable$',
                   '^user-interface vty 0 4$ >> ^(authentication-mode|protocol inbound) ']
      cisco-ios: ['^username ', '^aaa new-model$', '^aaa authentication login default ',
                  '^aaa authorization exec default ', '^ip ssh version ',
                  '^line vty 0 4$ >> ^(transport input|login authentication) ']
  - name: snmp                    # SNMPv3 only; what the switch sets on its own is not schoolnet's
    sections:
      huawei-vrp: ['^snmp-agent$', '^snmp-agent sys-info version ', '^snmp-agent group v3 ',
                   '^snmp-agent usm-user v3 ']
      cisco-ios: ['^snmp-server group ', '^snmp-server user ']
  - name: ntp
    sections:
      huawei-vrp: ['^ntp-service unicast-server ']
      cisco-ios: ['^ntp server ']

"""[1:]  # the same as the reference programme


def programme_yaml(schools: int, tablets: int, supernet: str) -> str:
    districts = "\n".join(
        f"  - {{id: {d}, name: {n}, code: {c}}}" for d, n, c, _, _ in DISTRICTS)
    return f"""{MODELINE.format(rel="../", name="programme")}
# The programme: what every school shares.  A school file states only what is its own.
name: Nakhchivan school digitalization programme
code: nx
synthetic: true
description: >-
  Reference programme shipped with schoolnet.  Every school, serial, address,
  circuit and key in this inventory is synthetic.

domain: nx.schoolnet.internal   # each school is <school-id>.nx.schoolnet.internal

vpn:                            # the data center's WireGuard hub, as schools reach it
  endpoint: 203.0.113.10        # a documentation address: replace with the real public one
  port: 51820

supernets:
  schools: {supernet}       # each school holds one /22 from here (see ipam.yaml)
  datacenter: 10.0.0.0/16
  tunnels: 10.1.0.0/16        # WireGuard transfer addresses, one per school

school_prefix_length: 22

# The VLAN plan: the same slices of the /22 at every school.  Host indexes count
# from the subnet's network address; the edge server is the gateway on each VLAN.
vlans:
  - name: management
    vid: 10
    purpose: edge server, switches and access points
    offset: 0
    prefix_length: 26
    gateway: 1
    reservations: {{switch: 11, access_point: 31}}
  - name: staff
    vid: 20
    purpose: teachers' and office computers
    offset: 64
    prefix_length: 26
    gateway: 1
    dhcp: {{first: 10, last: 62}}
    access_ports: 1-8
  - name: guest
    vid: 40
    purpose: visitors' devices, internet only
    offset: 128
    prefix_length: 25
    gateway: 1
    dhcp: {{first: 10, last: 126}}
    access_ports: 21-24
  - name: tablets
    vid: 30
    purpose: the class set of tablets, one reservation per tablet slot
    offset: 512
    prefix_length: 23
    gateway: 1
    reservations: {{tablet: 16}}
    dhcp: {{first: 400, last: 509}}
    access_ports: 9-20            # classroom access points
    wifi: true

districts:
{districts}

providers:
  - {{id: nxfiber, name: NX Fiber (synthetic provider)}}
  - {{id: arazline, name: Arazline (synthetic provider)}}

# Fixed by the procurement contract; validation holds the inventory to them.
expected:
  schools: {schools}
  districts: {len(DISTRICTS)}
  tablets: {tablets}

mdm:                            # Headwind MDM: what each tablet's enrollment QR code carries
  base_url: https://mdm.nx.schoolnet.internal
  configuration: nx-tablets
  launcher_url: https://mdm.nx.schoolnet.internal/files/hmdm-6.14-os.apk
  launcher_checksum: qJzD3x7t0yG1nPp2x2H6n8Kc0Lr5bW9sUuQy4fTgVmE   # synthetic

""" + SIGNING_AND_SWITCHES + """defaults:
  edge:
    model: dell-poweredge-r260
    roles: [base, network, dhcp, dns, firewall, vpn, ntp, cache, monitoring]
  switch:
    model: huawei-s5735-l24p4s-a
  tablet:
    model: samsung-galaxy-tab-a9plus
"""


HARDWARE_YAML = f"""{MODELINE.format(rel="../", name="hardware")}
# The hardware catalog: every device model the programme buys.
models:
  - id: dell-poweredge-r260
    vendor: Dell
    model: PowerEdge R260
    kind: edge
    u_height: 1
    power_w: 250
    os: debian-12
    ports: [eno1, eno2]
  - id: huawei-s5735-l24p4s-a
    vendor: Huawei
    model: S5735-L24P4S-A
    kind: switch
    u_height: 1
    power_w: 60
    os: huawei-vrp
    ports: [GigabitEthernet0/0/1-24, XGigabitEthernet0/0/1-4]
  - id: cisco-c1000-24p-4g-l
    vendor: Cisco
    model: Catalyst C1000-24P-4G-L
    kind: switch
    u_height: 1
    power_w: 55
    os: cisco-ios
    ports: [GigabitEthernet1/0/1-24, GigabitEthernet1/1/1-4]
  - id: samsung-galaxy-tab-a9plus
    vendor: Samsung
    model: Galaxy Tab A9+ (SM-X210)
    kind: tablet
  - id: huawei-ce6881-48s6cq
    vendor: Huawei
    model: CloudEngine 6881-48S6CQ
    kind: switch
    u_height: 1
    power_w: 350
    os: huawei-vrp
    ports: [10GE1/0/1-48, 100GE1/0/1-6]
  - id: fortinet-fg-200f
    vendor: Fortinet
    model: FortiGate 200F
    kind: firewall
    u_height: 1
    power_w: 210
    os: fortios
    ports: [mgmt, ha, port1-16, x1-4]    # FortiGate 200F: GE RJ45 MGMT, HA and 16 switch ports; 10GE SFP+ x1-x4
  - id: dell-poweredge-r750
    vendor: Dell
    model: PowerEdge R750
    kind: server
    u_height: 2
    power_w: 800
    os: debian-12
  - id: dell-poweredge-r650
    vendor: Dell
    model: PowerEdge R650
    kind: server
    u_height: 1
    power_w: 550
    os: debian-12
  - id: netapp-aff-a250
    vendor: NetApp
    model: AFF A250
    kind: storage
    u_height: 2
    power_w: 900
    os: ontap
  - id: dell-powervault-me5024
    vendor: Dell
    model: PowerVault ME5024
    kind: storage
    u_height: 2
    power_w: 580
    os: powervault-me5
  - id: apc-ap8941
    vendor: APC
    model: Switched Rack PDU AP8941
    kind: pdu
    u_height: 0
    power_w: 10
    os: apc-aos
"""


def ipam_yaml(plans: list[SchoolPlan], supernet: str) -> str:
    net = ipaddress.ip_network(supernet)
    prefixes = net.subnets(new_prefix=22)
    lines = [MODELINE.format(rel="../", name="ipam"),
             "# The address ledger: the prefix each school holds.  Appended by",
             "# `schoolnet ipam allocate SCHOOL`; an existing line is never renumbered.",
             "supernet: schools",
             "allocations:"]
    lines += [f"  {plan.id}: {next(prefixes)}" for plan in sorted(plans, key=lambda p: p.id)]
    return "\n".join(lines) + "\n"


def fake_host_key(rng: random.Random) -> str:
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rng.randbytes(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def serial_host_key(serial: str) -> str:
    """A switch's pinned key, made from its serial (onboarded switches; see `schoolnet switches onboard`):
    drawn from no shared random stream, so adding it changed no other generated value."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + hashlib.sha256(f"host key {serial}".encode()).digest()
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def token(rng: random.Random, length: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def school_yaml(rng: random.Random, plan: SchoolPlan, macs: object) -> str:
    lat = plan.centre[0] + rng.uniform(-0.07, 0.07)
    lon = plan.centre[1] + rng.uniform(-0.07, 0.07)
    bandwidth = next(b for limit, b in ((300, 100), (600, 300), (1000, 500), (10**6, 1000)) if plan.students < limit)
    provider = "nxfiber" if rng.random() < 0.75 else "arazline"
    status = rng.choices(["active", "planned", "provisioning"], [90, 6, 4])[0]
    code = plan.id.split("-")[1].upper()
    uplinks = [f"""  - provider: {provider}
    circuit_id: {provider[:3].upper()}-{code}-{plan.number:04d}-FTTB
    bandwidth_mbps: {bandwidth}
    status: {status}"""]
    if rng.random() < 0.15:
        uplinks.append(f"""  - provider: arazline
    circuit_id: ARA-{code}-{plan.number:04d}-ADSL
    bandwidth_mbps: 20
    status: decommissioned
    purpose: legacy copper line, kept for the record""")
    switch_model = "cisco-c1000-24p-4g-l" if plan.district in CISCO_DISTRICTS else None
    uplink_port = "GigabitEthernet1/1/1" if switch_model else "XGigabitEthernet0/0/1"
    devices = [f"""  - kind: edge
    serial: {token(rng, 7)}
    asset_tag: NX-{code}-{plan.number:03d}-SRV
    ssh_host_key: {fake_host_key(rng)}"""]
    switches = 1 + min(3, plan.students // 300)
    for n in range(1, switches + 1):
        if switch_model:
            serial = f"FOC{rng.randint(2400, 2899)}{token(rng, 4)}"
        else:
            serial = f"2102{token(rng, 6, string.digits)}P{token(rng, 9)}"
        model_line = f"\n    model: {switch_model}" if switch_model else ""
        devices.append(f"""  - kind: switch{model_line}
    serial: {serial}
    asset_tag: NX-{code}-{plan.number:03d}-SW{n}
    uplink_port: {uplink_port}
    ssh_host_key: {serial_host_key(serial)}""")
    tablets = [tablet_yaml(rng, plan, slot, next(macs)) for slot in range(1, plan.tablets + 1)]  # type: ignore[call-overload]
    street = rng.choice(STREETS)
    return f"""{MODELINE.format(rel="../../../", name="school")}
id: {plan.id}
name: {plan.district_name} school No. {plan.number}
district: {plan.district}
address: {rng.randint(1, 140)} {street}, {plan.district_name} (synthetic)
coordinates: {{lat: {lat:.5f}, lon: {lon:.5f}}}
students: {plan.students}
synthetic: true

uplinks:
{chr(10).join(uplinks)}

devices:
{chr(10).join(devices)}

tablets:
{chr(10).join(tablets)}
"""


def tablet_yaml(rng: random.Random, plan: SchoolPlan, slot: int, mac_bits: int) -> str:
    mac = "02:5c:" + ":".join(f"{(mac_bits >> shift) & 0xFF:02x}" for shift in (24, 16, 8, 0))
    status = rng.choices(["handed_over", "in_stock", "in_repair", "lost", "retired"], [86, 8, 3, 1, 2])[0]
    serial = "R9" + token(rng, 9)
    lines = f"""  - slot: {slot}
    serial: {serial}
    mac: "{mac}"
    status: {status}"""
    if status != "in_stock":
        day = date(2025, 9, 1) + timedelta(days=rng.randint(0, 45))
        digest = hashlib.sha256(f"{plan.id}/{slot}".encode()).hexdigest()[:6].upper()
        certificate = f"NX-HO-{day.year}-{plan.id.split('-')[1].upper()}{plan.number:03d}-{slot:03d}-{digest}"
        lines += f"""
    handover: {{certificate: {certificate}, date: {day.isoformat()}, received_by: {rng.choice(RECEIVERS)}}}"""
    return lines


def datacenter_yaml(rng: random.Random) -> str:
    devices = []
    counter = {"mgmt": 10, "servers": 10, "storage": 10}

    def device(hostname: str, kind: str, model: str, rack: str, position: int | None,
               roles: list[str], networks: list[str], host_key: bool) -> None:
        lines = [f"  - hostname: {hostname}", f"    kind: {kind}", f"    model: {model}",
                 f"    serial: {token(rng, 10)}", f"    asset_tag: NX-DC1-{hostname.split('-', 2)[2].upper()}",
                 f"    rack: {rack}"]
        if position is not None:
            lines.append(f"    position: {position}")
        if roles:
            lines.append(f"    roles: [{', '.join(roles)}]")
        if host_key:
            lines.append(f"    ssh_host_key: {fake_host_key(rng)}")
        if networks:
            lines.append("    interfaces:")
            base = {"mgmt": "10.0.10", "servers": "10.0.20", "storage": "10.0.30"}
            for i, network in enumerate(networks):
                counter[network] += 1
                name = "mgmt" if network == "mgmt" else f"eno{i}"
                address = f"{base[network]}.{counter[network]}"
                lines.append(f"      - {{name: {name}, network: {network}, address: {address}}}")
        devices.append("\n".join(lines))

    for rack in ("r01", "r02", "r03", "r04"):
        for side in "ab":
            device(f"nx-dc1-pdu-{rack}{side}", "pdu", "apc-ap8941", rack, None, [], ["mgmt"], False)
    device("nx-dc1-core-01", "switch", "huawei-ce6881-48s6cq", "r01", 40, [], ["mgmt"], False)
    device("nx-dc1-core-02", "switch", "huawei-ce6881-48s6cq", "r01", 39, [], ["mgmt"], False)
    device("nx-dc1-fw-01", "firewall", "fortinet-fg-200f", "r01", 37, [], ["mgmt"], False)
    device("nx-dc1-fw-02", "firewall", "fortinet-fg-200f", "r01", 36, [], ["mgmt"], False)
    device("nx-dc1-vpn-01", "server", "dell-poweredge-r650", "r01", 33, ["base", "vpn-hub"],
           ["mgmt", "servers"], True)
    for n in range(1, 5):
        device(f"nx-dc1-hv-{n:02d}", "server", "dell-poweredge-r750", "r02", 1 + 2 * (n - 1), ["base"],
               ["mgmt", "servers", "storage"], True)
    for n, (name, roles) in enumerate([
        ("dns-01", ["base", "dns-authoritative", "ntp-server"]),
        ("dns-02", ["base", "dns-authoritative", "ntp-server"]),
        ("mon-01", ["base", "monitoring-server"]),
        ("mdm-01", ["base", "mdm"]),
        ("content-01", ["base", "content"]),
        ("content-02", ["base", "content"]),
        ("backup-01", ["base"]),
    ]):
        device(f"nx-dc1-{name}", "server", "dell-poweredge-r650", "r03", 1 + n, roles, ["mgmt", "servers"], True)
    device("nx-dc1-stor-01", "storage", "netapp-aff-a250", "r04", 1, [], ["mgmt", "storage"], False)
    device("nx-dc1-stor-02", "storage", "dell-powervault-me5024", "r04", 3, [], ["mgmt", "storage"], False)
    return f"""{MODELINE.format(rel="../../", name="datacenter")}
site: nx-dc1
name: Nakhchivan data center
address: 1 Data center street, Nakhchivan city (synthetic)
coordinates: {{lat: 39.20890, lon: 45.41230}}
synthetic: true

racks:
  - {{name: r01, u_height: 42, power_budget_w: 5000}}   # network, firewall, VPN hub
  - {{name: r02, u_height: 42, power_budget_w: 5000}}   # hypervisors
  - {{name: r03, u_height: 42, power_budget_w: 5000}}   # service servers
  - {{name: r04, u_height: 42, power_budget_w: 5000}}   # storage

networks:
  - {{name: mgmt, vid: 110, prefix: 10.0.10.0/24, purpose: out-of-band management}}
  - {{name: servers, vid: 120, prefix: 10.0.20.0/24, purpose: service addresses}}
  - {{name: storage, vid: 130, prefix: 10.0.30.0/24, purpose: storage traffic}}

circuits:
  - provider: nxfiber
    circuit_id: NXF-DC1-IP-01
    bandwidth_mbps: 10000
    status: active
    purpose: internet transit, primary
  - provider: arazline
    circuit_id: ARA-DC1-IP-01
    bandwidth_mbps: 10000
    status: active
    purpose: internet transit, secondary

{DC_LINKS}
devices:
{chr(10).join(devices)}
"""


def _dc_links() -> str:
    """The server room's cabling: each firewall's transit, the HA pair, the cores' peer links, servers on the cores."""
    links = ["  - {device: nx-dc1-fw-01, port: x1, circuit: NXF-DC1-IP-01}",
             "  - {device: nx-dc1-fw-02, port: x1, circuit: ARA-DC1-IP-01}",
             "  - {device: nx-dc1-fw-01, port: ha, peer: nx-dc1-fw-02, peer_port: ha}",
             "  - {device: nx-dc1-fw-01, port: x3, peer: nx-dc1-core-01, peer_port: 10GE1/0/48}",
             "  - {device: nx-dc1-fw-02, port: x3, peer: nx-dc1-core-02, peer_port: 10GE1/0/48}",
             "  - {device: nx-dc1-core-01, port: 100GE1/0/1, peer: nx-dc1-core-02, peer_port: 100GE1/0/1}",
             "  - {device: nx-dc1-core-01, port: 100GE1/0/2, peer: nx-dc1-core-02, peer_port: 100GE1/0/2}",
             "  - {device: nx-dc1-vpn-01, port: eno1, peer: nx-dc1-core-01, peer_port: 10GE1/0/1}"]
    links += [f"  - {{device: nx-dc1-hv-{n:02d}, port: eno1, peer: nx-dc1-core-01, peer_port: 10GE1/0/{n + 1}}}"
              for n in range(1, 5)]
    links += [f"  - {{device: nx-dc1-hv-{n:02d}, port: eno2, peer: nx-dc1-core-02, peer_port: 10GE1/0/{n + 1}}}"
              for n in range(1, 5)]
    links += [f"  - {{device: nx-dc1-{name}, port: eno1, peer: nx-dc1-core-01, peer_port: 10GE1/0/{n}}}"
              for n, name in enumerate(["dns-01", "dns-02", "mon-01", "mdm-01", "content-01", "content-02",
                                        "backup-01"], start=6)]
    links += [f"  - {{device: nx-dc1-stor-0{n}, port: eno1, peer: nx-dc1-core-02, peer_port: 10GE1/0/{19 + n}}}"
              for n in (1, 2)]
    return "links:   # the server room's cables: a device's port to another's, or to a circuit's A side\n" + \
        "\n".join(links) + "\n"


DC_LINKS = _dc_links()


if __name__ == "__main__":
    sys.exit(main())

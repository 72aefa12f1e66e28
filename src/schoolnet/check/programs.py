"""Validators that run the real program that will read the file, made strict where it is lax."""

from __future__ import annotations

import re
import subprocess

from schoolnet.check.registry import (
    CheckItem,
    Finding,
    Workspace,
    findings_from,
    line_of,
    run,
    run_private,
    validator,
)


@validator("dnsmasq", "SN801", "dnsmasq rejects the DHCP configuration (`dnsmasq --test`).",
           programs=("dnsmasq",), bad="dhcp-rnage=10.0.0.10,10.0.0.50", good="dhcp-range=10.0.0.10,10.0.0.50,12h")
def dnsmasq(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["dnsmasq", "--test", f"--conf-file={item.file}"])
    if result.returncode == 0:
        return []
    return findings_from(result.stderr, r"line (?P<line>\d+) of", item.file, result.stderr.strip())


@validator("unbound", "SN802", "unbound rejects the resolver configuration (`unbound-checkconf`).",
           programs=("unbound-checkconf", "unshare"), bad="server:\n    interfcae: 10.0.0.1",
           good="server:\n    interface: 10.0.0.1")
def unbound(item: CheckItem, ws: Workspace) -> list[Finding]:
    # it refuses to check anything where the `unbound` user (made by the package's postinst) is missing
    result = run_private(["unbound-checkconf", str(item.file)], users=("unbound",))
    if result.returncode == 0:
        return []
    return findings_from(result.stderr + result.stdout, r":(?P<line>\d+): (?P<message>error.*)", item.file,
                         (result.stderr + result.stdout).strip())


ORIGIN = re.compile(r"^\$ORIGIN\s+(\S+?)\.?\s*$", re.M)


@validator("named-zone", "SN803", "BIND rejects a zone file (`named-checkzone`, zone name from $ORIGIN).",
           programs=("named-checkzone",), bad="www IN A 10.0.0.300", good="www IN A 10.0.0.30")
def named_zone(item: CheckItem, ws: Workspace) -> list[Finding]:
    origin = ORIGIN.search(item.file.read_text(encoding="utf-8"))
    if origin is None:
        return [Finding(1, "a zone file must state its $ORIGIN so the zone name is known")]
    result = run(["named-checkzone", "-k", "fail", "-n", "fail", origin.group(1), str(item.file)])
    if result.returncode == 0:
        return []
    return findings_from(result.stdout + result.stderr, r":(?P<line>\d+): (?P<message>.*)", item.file,
                         result.stdout.strip())


@validator("named-conf", "SN804", "BIND rejects the configuration (`named-checkconf`).",
           programs=("named-checkconf",), bad='zone "x" { type primry; };', good='zone "x" { type primary; ... };')
def named_conf(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["named-checkconf", str(item.file)])
    if result.returncode == 0:
        return []
    return findings_from(result.stdout + result.stderr, r":(?P<line>\d+): (?P<message>.*)", item.file,
                         result.stdout.strip())


@validator("nftables", "SN805", "nft rejects the ruleset when loading it into a throwaway network namespace.",
           programs=("nft", "unshare"), bad="define NET = 10.0.0.0/8, 10.1.0.0/16", good="define NET = { 10.0.0.0/8 }")
def nftables(item: CheckItem, ws: Workspace) -> list[Finding]:
    # `nft -c` misses errors a real load catches; a full load in a new namespace touches nothing here.
    result = run(["unshare", "--net", "nft", "-f", str(item.file)])
    if result.returncode == 0:
        return []
    return findings_from(result.stderr, r":(?P<line>\d+):\d+-\d+: (?P<message>Error:.*)", item.file,
                         result.stderr.strip())


@validator("nginx", "SN806", "nginx rejects the configuration (`nginx -t`, included into a wrapper, in its own "
           "mount and network namespace so it creates nothing here).", programs=("nginx", "unshare"),
           bad="proxy_cache_valid 200 forever;", good="proxy_cache_valid 200 7d;")
def nginx(item: CheckItem, ws: Workspace) -> list[Finding]:
    scratch = ws.path(f"nginx-{item.file.stat().st_ino}")
    scratch.mkdir(exist_ok=True)
    wrapper = scratch / "nginx.conf"
    wrapper.write_text(f"pid {scratch}/nginx.pid;\nerror_log {scratch}/error.log;\nevents {{}}\n"
                       f"http {{\n    include {item.file};\n}}\n", encoding="utf-8")
    # nginx -t creates its cache directories and opens its logs: give it empty ones that vanish with it
    result = run_private(["nginx", "-t", "-q", "-c", str(wrapper)], empty=("/var/cache", "/var/log"),
                         make=("/var/cache/nginx", "/var/log/nginx"))
    if result.returncode == 0:
        return []
    return findings_from(result.stderr, rf"(?P<message>\[emerg\].*?) in {re.escape(str(item.file))}:(?P<line>\d+)",
                         item.file, result.stderr.strip())


@validator("chrony", "SN807", "chronyd rejects the configuration (`chronyd -p`).", programs=("chronyd",),
           bad="sever 10.0.20.16 iburst", good="server 10.0.20.16 iburst")
def chrony(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["chronyd", "-p", "-f", str(item.file)])
    if result.returncode == 0 and "Could not" not in result.stderr:
        return []
    return findings_from(result.stderr, r"(?P<message>.*) at line (?P<line>\d+)", item.file, result.stderr.strip())


@validator("sshd", "SN808", "sshd rejects the configuration (`sshd -t` with a throwaway host key, in its own "
           "mount namespace with an empty /run holding the /run/sshd it insists on).",
           programs=("sshd", "ssh-keygen", "unshare"), bad="PermitRootLogin maybe",
           good="PermitRootLogin prohibit-password")
def sshd(item: CheckItem, ws: Workspace) -> list[Finding]:
    key = ws.path("ssh_host_ed25519_key")
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                       capture_output=True)
    # /run/sshd exists only where sshd once ran, the `sshd` user only where the package's postinst did
    result = run_private(["sshd", "-t", "-f", str(item.file), "-o", f"HostKey={key}"], make=("/run/sshd",),
                         users=("sshd",))
    if result.returncode == 0:
        return []
    return findings_from(result.stderr, r"line (?P<line>\d+): (?P<message>.*)", item.file, result.stderr.strip())


@validator("wireguard", "SN809", "wg rejects the tunnel configuration (`wg-quick strip` then `wg setconf` against "
           "a device that does not exist: the parse happens first).", programs=("wg", "wg-quick", "unshare"),
           bad="PublicKey = not-a-key", good="PublicKey = <the peer's 44-character base64 key>")
def wireguard(item: CheckItem, ws: Workspace) -> list[Finding]:
    stripped = run(["wg-quick", "strip", str(item.file)], env={"WG_ENDPOINT_RESOLUTION_RETRIES": "0"})
    if stripped.returncode != 0:
        return findings_from(stripped.stderr, r"(?P<message>.+)", item.file, stripped.stderr.strip())
    result = run(["unshare", "--net", "wg", "setconf", "schoolnet-check", "/dev/stdin"],
                 stdin=stripped.stdout.encode(), env={"WG_ENDPOINT_RESOLUTION_RETRIES": "0"})
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Unable to modify interface")]
    if not errors:
        return []
    quoted = re.search(r"`(.*)'", errors[0])
    return [Finding(line_of(item.file, quoted.group(1)) if quoted else 1, "; ".join(errors))]


@validator("promtool", "SN810", "Prometheus rejects the configuration (`promtool check config`).",
           programs=("promtool",), bad="scrape_interval: 60", good="scrape_interval: 60s")
def promtool(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["promtool", "check", "config", "--syntax-only", str(item.file)])
    if result.returncode == 0:
        return []
    return findings_from(result.stdout + result.stderr, r"line (?P<line>\d+): (?P<message>.*)", item.file,
                         (result.stdout + result.stderr).strip())


@validator("ifupdown", "SN811", "ifupdown rejects the interfaces file (`ifup --no-act`; it exits 0 on some errors, "
           "so any `ifup:` message fails).", programs=("ifup",), bad="iface eno1 inet dhcpp",
           good="iface eno1 inet dhcp")
def ifupdown(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["ifup", "--no-act", "--all", f"--interfaces={item.file}",
                  f"--state-dir={ws.path('ifstate')}"])
    problems = [line for line in result.stderr.splitlines() if line.startswith("ifup:")]
    if result.returncode == 0 and not problems:
        return []
    return findings_from("\n".join(problems) or result.stderr, r":(?P<line>\d+): (?P<message>.*)", item.file,
                         result.stderr.strip())


@validator("apt-config", "SN812", "apt rejects the configuration fragment (`apt-config -c FILE dump`).",
           programs=("apt-config",), bad='APT::Periodic::Unattended-Upgrade "1"',
           good='APT::Periodic::Unattended-Upgrade "1";')
def apt_config(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["apt-config", "-c", str(item.file), "dump"])
    if result.returncode == 0 and not result.stderr.strip():
        return []
    return findings_from(result.stderr, r":(?P<line>\d+): ?(?P<message>.*)", item.file, result.stderr.strip())


@validator("shell-env", "SN813", "A shell variables file (/etc/default) does not parse (`sh -n`).",
           programs=("sh",), bad='ARGS="--web.listen-address=:9100', good='ARGS="--web.listen-address=:9100"')
def shell_env(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["sh", "-n", str(item.file)])
    if result.returncode == 0:
        return []
    return findings_from(result.stderr, r"(?P<line>\d+): (?P<message>.*)", item.file, result.stderr.strip())


@validator("html", "SN819", "HTML Tidy finds an error or a warning in a page (`tidy -e`): unclosed or misnested "
           "elements, a missing title or doctype.", programs=("tidy",), bad="<p>content <b>cached</p>",
           good="<p>content <b>cached</b></p>")
def html(item: CheckItem, ws: Workspace) -> list[Finding]:
    result = run(["tidy", "-q", "-e", "-utf8", str(item.file)])
    if result.returncode == 0 and not result.stderr.strip():
        return []
    return findings_from(result.stderr, r"line (?P<line>\d+) column \d+ - (?P<message>.*)", item.file,
                         result.stderr.strip())

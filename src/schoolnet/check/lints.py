"""Validators written here, where no program can read the file offline.

Switch configurations have no offline validator (no vendor parser runs here);
hier-config parses Huawei VRP and Cisco IOS into a tree and the lint checks what
takes a school offline when wrong: VLANs used but not declared, an uplink that does
not carry every VLAN, no management interface.  file_sd targets, MDM enrollment
payloads and journald drop-ins get the checks their readers would make.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from schoolnet.check.registry import CheckItem, Finding, Workspace, line_of, validator

# hier-config platforms by name: hier_config is imported when a switch is linted, not by every command
PLATFORMS = {"switch-huawei-vrp": "HUAWEI_VRP", "switch-cisco-ios": "CISCO_IOS"}


@dataclass
class Dialect:
    svi: re.Pattern[str]
    vlan_declared: list[re.Pattern[str]]
    access_vlan: re.Pattern[str]
    trunk_mode: str
    trunk_allowed: re.Pattern[str]


DIALECTS = {
    "HUAWEI_VRP": Dialect(re.compile(r"^interface Vlanif(\d+)$"),
                          [re.compile(r"^vlan batch ([\d ]+)$"), re.compile(r"^vlan (\d+)$")],
                          re.compile(r"^port default vlan (\d+)$"), "port link-type trunk",
                          re.compile(r"^port trunk allow-pass vlan ([\d ]+)$")),
    "CISCO_IOS": Dialect(re.compile(r"^interface Vlan(\d+)$"), [re.compile(r"^vlan ([\d,]+)$")],
                         re.compile(r"^switchport access vlan (\d+)$"), "switchport mode trunk",
                         re.compile(r"^switchport trunk allowed vlan ([\d,]+)$")),
}


def _numbers(text: str) -> set[int]:
    return {int(n) for n in re.split(r"[ ,]+", text.strip()) if n}


@dataclass
class _SwitchFacts:
    declared: set[int] = field(default_factory=set)
    used: list[tuple[int, str]] = field(default_factory=list)
    uplinks: list[Any] = field(default_factory=list)
    management: list[str] = field(default_factory=list)


@validator("switch-lint", "SN817", "A switch configuration uses an undeclared VLAN, its uplink is not a trunk "
           "carrying every school VLAN, or it has no management interface (hier-config lint).",
           bad="interface GigabitEthernet0/0/9\n port default vlan 31", good="port default vlan 30")
def switch_lint(item: CheckItem, ws: Workspace) -> list[Finding]:
    platform = PLATFORMS.get(item.role)
    if platform is None:
        return [Finding(1, f"no switch dialect for role {item.role}")]
    from hier_config import Platform, get_hconfig

    dialect = DIALECTS[platform]
    config = get_hconfig(Platform[platform], item.file.read_text(encoding="utf-8"))
    facts = _SwitchFacts()
    for child in config.children:
        for pattern in dialect.vlan_declared:
            if match := pattern.match(child.text):
                facts.declared |= _numbers(match.group(1))
        if match := dialect.svi.match(child.text):
            facts.used.append((int(match.group(1)), child.text))
            if any(c.text.startswith("ip address ") for c in child.children):
                facts.management.append(child.text)
        if child.text.startswith("interface "):
            for sub in child.children:
                if match := dialect.access_vlan.match(sub.text):
                    facts.used.append((int(match.group(1)), sub.text))
            if any(c.text.startswith("description uplink") for c in child.children):
                facts.uplinks.append(child)
    findings = [Finding(line_of(item.file, text), f"VLAN {vid} is used but not declared")
                for vid, text in facts.used if vid not in facts.declared]
    if not facts.management:
        findings.append(Finding(1, "no management interface (an SVI with an ip address)"))
    if not facts.uplinks:
        findings.append(Finding(1, "no uplink interface (description 'uplink to ...')"))
    for uplink in facts.uplinks:
        texts = [c.text for c in uplink.children]
        where = line_of(item.file, uplink.text)
        if dialect.trunk_mode not in texts:
            findings.append(Finding(where, f"{uplink.text}: the uplink is not a trunk"))
        allowed: set[int] = set()
        for text in texts:
            if match := dialect.trunk_allowed.match(text):
                allowed |= _numbers(match.group(1))
        missing = sorted(facts.declared - allowed)
        if missing:
            findings.append(Finding(where, f"{uplink.text}: the uplink does not carry VLAN(s) "
                                           f"{' '.join(map(str, missing))}"))
    return findings


TARGET = re.compile(r"^[a-zA-Z0-9.\-]+:\d{1,5}$|^\d{1,3}(\.\d{1,3}){3}$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@validator("file-sd", "SN815", "A Prometheus file_sd target list is malformed (promtool does not check these).",
           bad='[{"targets": ["10.0.0.1:91OO"]}]', good='[{"targets": ["10.0.0.1:9100"], "labels": {"school": "x"}}]')
def file_sd(item: CheckItem, ws: Workspace) -> list[Finding]:
    try:
        groups = json.loads(item.file.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [Finding(getattr(exc, "lineno", 1), f"not JSON: {exc}")]
    if not isinstance(groups, list):
        return [Finding(1, "file_sd content must be a list of target groups")]
    findings = []
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("targets"), list):
            findings.append(Finding(1, f"group {index}: needs a 'targets' list"))
            continue
        findings += [Finding(line_of(item.file, str(t)), f"group {index}: bad target {t!r} (host:port)")
                     for t in group["targets"] if not isinstance(t, str) or not TARGET.match(t)]
        labels = group.get("labels", {})
        findings += [Finding(line_of(item.file, str(k)), f"group {index}: bad label {k!r}={v!r}")
                     for k, v in labels.items() if not LABEL.match(str(k)) or not isinstance(v, str)]
    return findings


QR_REQUIRED = ("android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME",
               "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
               "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM",
               "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE")
EXTRAS_REQUIRED = ("com.hmdm.BASE_URL", "com.hmdm.CONFIG")


@validator("mdm-enrollment", "SN816", "A Headwind MDM enrollment payload misses a provisioning key, has a bad "
           "checksum, or lists a device twice.", bad='"...SIGNATURE_CHECKSUM": "not base64!"',
           good='"...SIGNATURE_CHECKSUM": "qJzD3x7t0yG1nPp2x2H6n8Kc0Lr5bW9sUuQy4fTgVmE"')
def mdm_enrollment(item: CheckItem, ws: Workspace) -> list[Finding]:
    try:
        document = json.loads(item.file.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [Finding(getattr(exc, "lineno", 1), f"not JSON: {exc}")]
    payload = document.get("qr_payload", {}) if isinstance(document, dict) else {}
    findings = [Finding(1, f"qr_payload lacks {key}") for key in QR_REQUIRED if key not in payload]
    extras = payload.get("android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE", {})
    findings += [Finding(1, f"admin extras bundle lacks {key}") for key in EXTRAS_REQUIRED if key not in extras]
    checksum = str(payload.get(QR_REQUIRED[2], ""))
    try:
        if len(base64.urlsafe_b64decode(checksum + "=" * (-len(checksum) % 4))) != 32:
            raise ValueError
    except (binascii.Error, ValueError):
        findings.append(Finding(line_of(item.file, "SIGNATURE_CHECKSUM"),
                                "signature checksum is not a URL-safe base64 SHA-256"))
    serials = [d.get("serial") for d in document.get("devices", [])] if isinstance(document, dict) else []
    findings += [Finding(line_of(item.file, str(s)), f"device {s} listed twice")
                 for s in {s for s in serials if serials.count(s) > 1}]
    return findings


JOURNALD_KEYS = {"Storage", "Compress", "Seal", "SplitMode", "SyncIntervalSec", "RateLimitIntervalSec",
                 "RateLimitBurst", "SystemMaxUse", "SystemKeepFree", "SystemMaxFileSize", "SystemMaxFiles",
                 "RuntimeMaxUse", "RuntimeKeepFree", "RuntimeMaxFileSize", "RuntimeMaxFiles", "MaxRetentionSec",
                 "MaxFileSec", "ForwardToSyslog", "ForwardToKMsg", "ForwardToConsole", "ForwardToWall",
                 "TTYPath", "MaxLevelStore", "MaxLevelSyslog", "MaxLevelKMsg", "MaxLevelConsole", "MaxLevelWall",
                 "LineMax", "ReadKMsg", "Audit"}


@validator("journald", "SN814", "A journald drop-in has an unknown section or key (systemd ignores those "
           "silently; journald 252's keys are listed here).", bad="[Journal]\nSystemMaxUsage=500M",
           good="[Journal]\nSystemMaxUse=500M")
def journald(item: CheckItem, ws: Workspace) -> list[Finding]:
    findings, section = [], None
    for number, raw in enumerate(item.file.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith(("#", ";")):
            continue
        if text.startswith("["):
            section = text
            if section != "[Journal]":
                findings.append(Finding(number, f"unknown section {section}"))
        elif "=" not in text:
            findings.append(Finding(number, f"not a key=value line: {text}"))
        elif section is None:
            findings.append(Finding(number, "a key before any [Journal] section"))
        elif text.split("=", 1)[0].strip() not in JOURNALD_KEYS:
            findings.append(Finding(number, f"unknown key {text.split('=', 1)[0].strip()}"))
    return findings

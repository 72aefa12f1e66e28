"""What differs between the switch dialects schoolnet speaks: prompts, paging, the commands that read
and save the configuration, how configuration mode is entered and left, and how a refusal reads."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    os: str                     # as in hardware.yaml
    config_file: str            # the rendered file in build/hosts/<switch>/
    prompt: re.Pattern[str]     # any prompt of the dialect, at the end of what the switch sent
    more: re.Pattern[str]       # the pager's marker at the end of the output: answered with a space
    no_paging: str
    show_config: str
    enter_config: str
    leave_config: str
    save: str
    question: re.Pattern[str]   # a question the switch asks before doing what it was told (save, removing a user)
    yes: str                    # what answers it: do it
    saved: re.Pattern[str]      # how a successful save reads
    refusal: re.Pattern[str]    # a line saying the last command was refused


# IOS refuses a line with a `%` message of its own (`% Invalid input detected at '^' marker.`,
# `% Bad mask /30 for address …`, `% 10.0.0.0 overlaps with Vlan100`, `% Unrecognized host or address, or
# protocol not running.`, `%Informs not supported in SNMPv1`), so every `%` line is a refusal except the
# notes it prints beside a line it took: creating an access VLAN, `login` with no password yet, generating
# keys, and warnings; and syslog messages (`%SYS-5-CONFIG_I: …`).  Old images print a non-contiguous mask's
# refusal without the `%`.  Sources in docs/switches.md.
_IOS_NOTES = (r"Access VLAN does not exist\. Creating vlan", r"Login disabled on line", r"Generating \d+ bit",
              r"The key modulus size", r"Warning\b")
_IOS_REFUSAL = re.compile(rf"^\s*%(?![A-Z0-9_]+-\d-[A-Z0-9_]+:)(?!\s*(?:{'|'.join(_IOS_NOTES)})).*$"
                          r"|^\s*Bad mask 0x[0-9A-Fa-f]+ for address .*$", re.M)

DIALECTS = {
    "huawei-vrp": Dialect(
        "huawei-vrp", "startup.cfg",
        prompt=re.compile(r"(?:<[^<>\r\n]+>|\[[^\[\]\r\n]+\])\s*$"),
        more=re.compile(r"[ \t]*-+ *More *-+[ \t]*$"),
        no_paging="screen-length 0 temporary", show_config="display current-configuration",
        enter_config="system-view", leave_config="return", save="save",
        question=re.compile(r"\[Y/N\]:?\s*$"), yes="Y\n", saved=re.compile(r"successfully", re.I),
        refusal=re.compile(r"^\s*Error:.*$", re.M)),
    "cisco-ios": Dialect(
        "cisco-ios", "startup-config",
        prompt=re.compile(r"[A-Za-z0-9_.-]+(?:\([a-z0-9-]+\))?[>#]\s*$"),
        more=re.compile(r"[ \t]*--More--[ \t]*$"),
        no_paging="terminal length 0", show_config="show running-config",
        enter_config="configure terminal", leave_config="end", save="write memory",
        question=re.compile(r"\[confirm\]\s*$"), yes="\n", saved=re.compile(r"\[OK\]"),
        refusal=_IOS_REFUSAL),
}


class UnknownDialect(LookupError):
    """A switch model whose OS schoolnet does not speak."""


def dialect(os: str) -> Dialect:
    try:
        return DIALECTS[os]
    except KeyError:
        raise UnknownDialect(f"switch OS {os!r} is not one schoolnet speaks ({', '.join(DIALECTS)})") from None

"""Which lines a switch prints when it refuses a configuration command, as each vendor prints them.

A push stops at the first refusal; a refusal missed is a push that types on and saves a half-applied
configuration.  Each row is a line a real device printed (source in the comment, details in
docs/switches.md "Refusals"), and whether it is a refusal."""

from __future__ import annotations

import pytest

from schoolnet.switches.platforms import dialect

CASES = [
    # Cisco IOS / IOS-XE
    ("cisco-ios", "% Invalid input detected at '^' marker.", True),  # every IOS release
    ("cisco-ios", "% Incomplete command.", True),
    ("cisco-ios", '% Ambiguous command:  "a"', True),
    ("cisco-ios", "% Bad mask /30 for address 172.20.100.96", True),  # connecteddots.online, bad-mask-for-address
    ("cisco-ios", "Bad mask 0xE1E1E100 for address 192.168.1.4", True),  # 1841, non-contiguous mask, no `%`
    ("cisco-ios", "% Inconsistent address and mask", True),  # connecteddots.online
    ("cisco-ios", "% 10.0.0.0 overlaps with Vlan100", True),  # second SVI in an overlapping subnet
    ("cisco-ios", "% Unrecognized host or address, or protocol not running.", True),  # 2960 session
    ("cisco-ios", "%Informs not supported in SNMPv1", True),  # IOS-XE 17.15
    ("cisco-ios", "% Access VLAN does not exist. Creating vlan 10", False),  # a note: the line was taken
    ("cisco-ios", "% Login disabled on line 2, until 'password' is set", False),  # a note beside `login`
    ("cisco-ios", "% Generating 2048 bit RSA keys, keys will be non-exportable...", False),
    ("cisco-ios", "%SYS-5-CONFIG_I: Configured from console by admin on vty0", False),  # syslog, not an answer
    ("cisco-ios", "Enter configuration commands, one per line.  End with CNTL/Z.", False),
    # Huawei VRP
    ("huawei-vrp", "Error: Unrecognized command found at '^' position.", True),
    ("huawei-vrp", "Error: Wrong parameter found at '^' position.", True),
    ("huawei-vrp", "Error: Too many parameters found at '^' position.", True),
    ("huawei-vrp", "Info: The configuration takes effect on the current user terminal interface only.", False),
    ("huawei-vrp", "Warning: The current configuration will be written to the device. Continue? [Y/N]:", False),
]


@pytest.mark.parametrize(("os", "printed", "refused"), CASES)
def test_a_refusal_is_recognised_and_a_note_is_not(os: str, printed: str, refused: bool) -> None:
    assert bool(dialect(os).refusal.search(f"[typed line]\n{printed}\n")) is refused

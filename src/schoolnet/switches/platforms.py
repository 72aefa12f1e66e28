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
    save_question: re.Pattern[str] | None  # the save command's Y/N question, answered with Y
    saved: re.Pattern[str]      # how a successful save reads
    refusal: re.Pattern[str]    # a line saying the last command was refused


DIALECTS = {
    "huawei-vrp": Dialect(
        "huawei-vrp", "startup.cfg",
        prompt=re.compile(r"(?:<[^<>\r\n]+>|\[[^\[\]\r\n]+\])\s*$"),
        more=re.compile(r"[ \t]*-+ *More *-+[ \t]*$"),
        no_paging="screen-length 0 temporary", show_config="display current-configuration",
        enter_config="system-view", leave_config="return", save="save",
        save_question=re.compile(r"\[Y/N\]:?\s*$"), saved=re.compile(r"successfully", re.I),
        refusal=re.compile(r"^\s*Error:.*$", re.M)),
    "cisco-ios": Dialect(
        "cisco-ios", "startup-config",
        prompt=re.compile(r"[A-Za-z0-9_.-]+(?:\([a-z0-9-]+\))?[>#]\s*$"),
        more=re.compile(r"[ \t]*--More--[ \t]*$"),
        no_paging="terminal length 0", show_config="show running-config",
        enter_config="configure terminal", leave_config="end", save="write memory",
        save_question=None, saved=re.compile(r"\[OK\]"),
        refusal=re.compile(r"^\s*%\s*(?:Invalid|Incomplete|Ambiguous|Unknown|Error).*$", re.M)),
}


class UnknownDialect(LookupError):
    """A switch model whose OS schoolnet does not speak."""


def dialect(os: str) -> Dialect:
    try:
        return DIALECTS[os]
    except KeyError:
        raise UnknownDialect(f"switch OS {os!r} is not one schoolnet speaks ({', '.join(DIALECTS)})") from None

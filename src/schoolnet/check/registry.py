"""Validators: which program reads a kind of file, and how to make it strict.

Each validator is registered once with its name (what template headers say), a
rule code and a doc line.  It receives a batch of files and returns findings with
the line the program named.  Adding a validator is adding one function here or in
a sibling module; nothing else switches on names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from schoolnet.rulebook import declare

STAGE = "check"
TOOLS_DIR = Path(os.environ.get("SCHOOLNET_TOOLS", "/opt/schoolnet-tools"))


@dataclass(frozen=True)
class CheckItem:
    """One rendered file to check: where it is in build/, and its manifest entry."""

    file: Path
    host: str
    destination: str
    role: str
    template: str
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


@dataclass
class Workspace:
    """Scratch space shared by a check run: a throwaway SSH host key, wrapper configs."""

    root: Path

    def path(self, name: str) -> Path:
        return self.root / name


CheckFile = Callable[[CheckItem, Workspace], list[Finding]]


@dataclass(frozen=True)
class Validator:
    name: str
    code: str
    doc: str
    programs: tuple[str, ...]
    check: CheckFile

    def missing_programs(self) -> list[str]:
        return [p for p in self.programs if find_program(p) is None]


VALIDATORS: dict[str, Validator] = {}

declare("SN800", "validator-unavailable", "A template names a validator that does not exist, or whose program "
        "is not installed here.", bad="{#- schoolnet: validator=dnsmasqq -#}",
        good="{#- schoolnet: validator=dnsmasq -#}", stage=STAGE)


def validator(name: str, code: str, doc: str, *, programs: tuple[str, ...] = (), bad: str = "",
              good: str = "") -> Callable[[CheckFile], CheckFile]:
    def register(check: CheckFile) -> CheckFile:
        declare(code, f"{name}-rejected", doc, bad=bad, good=good, stage=STAGE)
        VALIDATORS[name] = Validator(name, code, doc, programs, check)
        return check
    return register


def find_program(name: str) -> str | None:
    """On PATH, in /usr/sbin (not always on a user's PATH), or in the project's tools directory."""
    for directory in (None, "/usr/sbin", "/sbin", str(TOOLS_DIR)):
        found = shutil.which(name, path=directory)
        if found:
            return found
    return None


def run(argv: list[str], stdin: bytes | None = None, timeout: float = 60,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    program = find_program(argv[0]) or argv[0]
    return subprocess.run([program, *argv[1:]], input=stdin.decode() if stdin is not None else None,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "LC_ALL": "C", **(env or {})})


# Runs in a fresh mount namespace: mounts each `tmpfs:DIR` empty, makes each `dir:DIR`, gives each
# `user:NAME` that this machine lacks a passwd entry of its own (a copy of /etc/passwd in the
# private /run, bound over it), then execs the program.  A constant script with every value passed
# as an argument: no path or name is pasted into shell text.  `mount -n`: libmount would otherwise
# lock /run/mount/utab in the machine's /run, before the new one covers it.
_PRIVATE_SCRIPT = """
while [ "$1" != -- ]; do
    case "$1" in
        tmpfs:*) mount -n -t tmpfs -o mode=0755 tmpfs "${1#tmpfs:}" || exit 125 ;;
        dir:*) mkdir -p -m 0755 "${1#dir:}" || exit 125 ;;
        user:*) if ! getent passwd "${1#user:}" >/dev/null; then
                    if [ ! -e /run/.passwd ]; then
                        cat /etc/passwd > /run/.passwd && mount -n --bind /run/.passwd /etc/passwd || exit 125
                    fi
                    echo "${1#user:}:x:65534:65534::/nonexistent:/usr/sbin/nologin" >> /run/.passwd || exit 125
                fi ;;
    esac
    shift
done
shift
exec "$@"
"""


def run_private(argv: list[str], *, make: tuple[str, ...] = (), users: tuple[str, ...] = (),
                empty: tuple[str, ...] = (), network: bool = False,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a validator where this machine's state cannot reach it, nor it the machine.

    Its own mount namespace gets an empty tmpfs on /run (where services leave directories such
    as /run/sshd behind) and on each of `empty`, with `make` created there; each of `users` that
    this machine lacks (system users exist only where a package's postinst ran) gets a passwd
    entry seen by this program alone; without `network` it also gets an empty network namespace.
    It sees what a machine that never ran a service sees, and whatever it creates vanishes with it."""
    program = find_program(argv[0]) or argv[0]
    steps = [*(f"tmpfs:{d}" for d in ("/run", *empty)), *(f"dir:{d}" for d in make), *(f"user:{u}" for u in users)]
    isolate = ["--mount", "--propagation", "private", *([] if network else ["--net"])]
    return run(["unshare", *isolate, "sh", "-c", _PRIVATE_SCRIPT, "sh", *steps, "--", program, *argv[1:]],
               timeout=timeout)


def findings_from(output: str, pattern: str, file: Path, fallback: str) -> list[Finding]:
    """Findings from a program's output: `pattern` has groups `line` and `message` (or the whole line).

    When no line matches, the program's message becomes one finding on one line; if it quotes a
    value ("sixty"), the finding points at the line holding that value."""
    found = []
    regex = re.compile(pattern)
    for raw in output.splitlines():
        match = regex.search(raw)
        if match:
            groups = match.groupdict()
            found.append(Finding(int(groups.get("line") or 1), _one_line(groups.get("message") or raw, file)))
    if found:
        return found
    message = _one_line(fallback, file)
    quoted = re.search(r'"([^"/]{2,})"', message)
    return [Finding(line_of(file, quoted.group(1)) if quoted else 1, message)]


def _one_line(text: str, file: Path) -> str:
    lines = [t.strip() for t in text.replace(str(file), file.name).splitlines()]
    return "; ".join(t for t in lines if t and not t.startswith("Checking ")) or "rejected"


def line_of(file: Path, needle: str) -> int:
    """The first line of `file` containing `needle`, for programs that quote the bad line instead of numbering it."""
    needle = needle.strip()
    for number, text in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if needle and needle in text:
            return number
    return 1

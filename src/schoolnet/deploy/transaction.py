"""The shell a host runs to change one role's files: all of them or none, never half.

1. Every staged file is checked by the program that reads it (`checks.ON_HOST`); where the
   program reads only a whole configuration (nginx, sshd), it checks the whole new one, in a
   private mount namespace with the new files in place, before anything is installed.
2. The current files are kept aside, then every new file is installed (each by a rename).
3. Each of the role's services takes the new files (reload or restart, or start), and must
   be active twice, a second apart, afterwards.
4. Any failure restores every file of the role and returns the services to how they ran.
   On success the kept files are removed, except where the change could cut the deploy's
   own way in (sshd, the firewall, the tunnel): there a revert armed on the host runs by
   itself unless the deploy confirms, with a new SSH session, that it still gets in.

Each change belongs to one deploy run (its id is written beside it): a confirmation, an
immediate revert or the armed revert acts only on the change of its own run, under the
host's lock.  The host holds that lock for the whole change (a second deploy, from here or
elsewhere, waits, then gives up), and the script ignores a dropped connection, Ctrl-C and
a shutdown's SIGTERM until it ends.  Every value in the script is quoted; nothing from the
inventory is pasted in bare.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from schoolnet.deploy.checks import ON_HOST

STATE = "/var/lib/schoolnet"
# a change to these can cut the deploy's own way in: confirmed by a new login, or reverted
CONFIRM_SERVICES = ("ssh", "nftables", "wg-quick@wg0")
REVERT_AFTER = 600  # seconds an unconfirmed change waits for the deploy (all hosts' changes come first)
LOCK_WAIT = 60


@dataclass(frozen=True)
class FileChange:
    destination: str
    staged: str
    mode: str
    owner: str
    group: str
    validator: str | None


def workdir(role: str) -> str:
    return f"{STATE}/txn/{role}"


def needs_confirmation(services: list[str]) -> bool:
    return any(s in CONFIRM_SERVICES for s in services)


def _unit(service: str) -> str:
    return service if "." in service else f"{service}.service"


class Shell(str):
    """A piece of shell to keep as it is (an expansion); every other part of a message is quoted."""


def _say(*parts: str) -> str:
    return "say " + "".join(p if isinstance(p, Shell) else shlex.quote(p) for p in parts)


SAID = Shell("\"$(printf '%s' \"$said\" | tail -n 2 | tr '\\n' ' ')\"")  # the program's last words
SAY = "say() { printf '%s\\n' \"$*\" >&2; }"
STARTED = "sed 's/.*) //' \"/proc/$1/stat\" 2>/dev/null | cut -d' ' -f20"  # a process's start time
BOOT = "cat /proc/sys/kernel/random/boot_id"
# The armed revert, if the recorded process is still that one: same boot, same start time.
DISARM = ('if [ -s "$txn/timer" ]; then read -r pid started boot < "$txn/timer"; '
          f'[ "$boot" != "$({BOOT})" ] || [ "$(set -- "$pid"; {STARTED})" != "$started" ] || '
          'kill -s TERM -- "-$pid"; fi')  # its process group: the timer and its sleep


def _lock() -> str:
    return (f"mkdir -p {shlex.quote(STATE)} && exec 9>{shlex.quote(STATE + '/lock')} && flock -w {LOCK_WAIT} 9 "
            f"|| {{ {_say('another deploy is changing this host: gave up waiting')}; exit 1; }}")


def _revert_script(role: str, files: list[FileChange], services: list[str]) -> str:
    """Restore every file as it was, then the services as they ran: restarted on the old files, or
    stopped if they ran only because this change started them."""
    q = shlex.quote
    lines = [f"txn={q(workdir(role))}"]
    for number, change in enumerate(files):
        dest = q(change.destination)
        lines.append(f'if [ -e "$txn/previous/{number}" ]; then cp -p "$txn/previous/{number}" {dest}; '
                     f'elif [ -e "$txn/absent/{number}" ]; then rm -f {dest}; fi')
    for number, service in enumerate(services):
        unit = q(_unit(service))
        lines.append(f'if [ -e "$txn/active/{number}" ]; then systemctl restart {unit}; '
                     f'elif [ -e "$txn/started/{number}" ]; then systemctl stop {unit}; fi')
    return "\n".join(lines) + "\n"


# Runs in its own mount namespace: a copy of the configuration directory $1, with each (staged file,
# path below $1) pair after the command installed in it, mounted over $1; then the command $2.
WHOLE_CHECK = """set -e
root=$1; command=$2; shift 2
copy=$(mktemp -d); trap 'rm -rf "$copy"' EXIT
cp -a "$root/." "$copy/"
while [ $# -gt 0 ]; do install -D -m 0644 "$1" "$copy/$2"; shift 2; done
mount -n --bind "$copy" "$root"
sh -c "$command"
"""


def _whole_checks(files: list[FileChange]) -> list[str]:
    """One check per configuration read whole, with every new file of it in place."""
    q = shlex.quote
    groups: dict[str, list[FileChange]] = {}
    for change in files:
        check = ON_HOST.get(change.validator or "")
        if check is not None and check.root:
            groups.setdefault(change.validator or "", []).append(change)
    lines = []
    for validator, changes in groups.items():
        check = ON_HOST[validator]
        pairs = " ".join(f"{q(c.staged)} {q(c.destination.removeprefix(check.root + '/'))}" for c in changes
                         if c.destination.startswith(check.root + "/"))
        names = ", ".join(c.destination for c in changes)
        lines.append(f"said=$({{ unshare --mount sh -c {q(WHOLE_CHECK)} sh {q(check.root)} {q(check.command)} "
                     f"{pairs}; }} 2>&1) || {{ "
                     + _say(f"{names}: {check.program} rejects the configuration with it (", SAID,
                            "); no file of its role was changed") + "; exit 1; }")
    return lines


def transaction(role: str, files: list[FileChange], services: list[str], reload: bool, staging: str,
                run: str, revert_after: int = REVERT_AFTER) -> str:
    """The whole change of `role` on one host, as one shell script (see the module's doc)."""
    q = shlex.quote
    out = [
        "set -u",
        "trap '' HUP PIPE INT TERM  # a dropped connection or a shutdown waits for the change to end",
        SAY,
        f"trap 'rm -rf {q(staging)}; rmdir {q(staging.rsplit('/', 1)[0])} 2>/dev/null' EXIT  # staged copies",
        _lock(),
        f"txn={q(workdir(role))}",
        DISARM + "  # an earlier change of this role that awaited confirmation is over",
        'rm -rf "$txn" && mkdir -p "$txn/previous" "$txn/absent" "$txn/active" "$txn/started" || exit 1',
        f'echo {q(run)} > "$txn/run"',
        f"cat > \"$txn/revert\" <<'SCHOOLNET_REVERT'\n{_revert_script(role, files, services)}SCHOOLNET_REVERT",
        'restore() { sh "$txn/revert"; }',
        "wait_active() {  # active now and still a second later",
        '    i=0; while ! systemctl is-active --quiet "$1"; do i=$((i + 1)); [ $i -le 30 ] || return 1; '
        "sleep 0.5; done",
        '    sleep 1; systemctl is-active --quiet "$1"',
        "}",
        "# 1. every new file passes its check before any is installed",
    ]
    for change in files:
        check = ON_HOST.get(change.validator or "")
        if check is not None and not check.root:
            out.append(f"said=$({{ {check.command.format(file=q(change.staged))}; }} 2>&1) || {{ "
                       + _say(f"{change.destination}: {check.program} rejects it on the host (", SAID,
                              f"); no file of {role} was changed") + "; exit 1; }")
    out += _whole_checks(files)
    out.append("# 2. keep the current files, then install the new ones together, each by a rename")
    for number, change in enumerate(files):
        dest = q(change.destination)
        out.append(f'if [ -e {dest} ]; then cp -p {dest} "$txn/previous/{number}"; '
                   f'else : > "$txn/absent/{number}"; fi || exit 1')
    for change in files:
        new_name = q(change.destination + ".schoolnet-new")
        out.append(f"install -D -m {q(change.mode)} -o {q(change.owner)} -g {q(change.group)} {q(change.staged)} "
                   f"{new_name} && mv -f {new_name} {q(change.destination)} || {{ restore; "
                   + _say(f"{change.destination}: cannot install it; every file of {role} restored") + "; exit 1; }")
    out.append("# 3. the services take the new files and must stay active")
    for number, service in enumerate(services):
        unit = q(_unit(service))
        take = f"{{ systemctl reload {unit} || systemctl restart {unit}; }}" if reload else f"systemctl restart {unit}"
        retry = f" || {{ systemctl restart {unit} && wait_active {unit}; }}" if reload else ""
        out += [
            f'if systemctl is-active --quiet {unit}; then : > "$txn/active/{number}"; {take}; '
            f'else : > "$txn/started/{number}"; systemctl start {unit}; fi',
            f"wait_active {unit}{retry} || {{ restore; "
            + _say(f"{service} is not active with the new files; every file of {role} restored") + "; exit 1; }",
            f"systemctl is-enabled --quiet {unit} || systemctl enable --quiet {unit}",
        ]
    if needs_confirmation(services):
        # detached, and with SIGTERM back to its default (ignored here, and inherited), so DISARM can stop it;
        # it reverts only the change of this run, under the lock; 9>&-: it must not hold the lock meanwhile
        timer = (f"sleep {int(revert_after)}; exec 9>{q(STATE + '/lock')}; flock 9; "
                 f'[ "$(cat "$0/run" 2>/dev/null)" = {q(run)} ] && sh "$0/revert" && rm -rf "$0"')
        out += [
            "# 4. kept until the deploy confirms a new login; reverted by the host itself otherwise",
            f"setsid env --default-signal=TERM sh -c {q(timer)} \"$txn\" </dev/null >/dev/null 2>&1 9>&- &",
            f'timer=$!; echo "$timer $(set -- "$timer"; {STARTED}) $({BOOT})" > "$txn/timer"',
        ]
    else:
        out += ["# 4. done: nothing to restore any more", 'rm -rf "$txn"']
    return "\n".join(out) + "\n"


def _own(role: str, run: str, then: str, otherwise: str) -> str:
    """Under the lock, act on the role's kept change only if it is this run's."""
    return "\n".join([
        SAY, _lock(), f"txn={shlex.quote(workdir(role))}",
        f'if [ "$(cat "$txn/run" 2>/dev/null)" = {shlex.quote(run)} ] && [ -e "$txn/revert" ]; then',
        f"    {DISARM}; {then}", "else", f"    {_say(otherwise)}; exit 1", "fi",
    ]) + "\n"


def confirm(role: str, run: str) -> str:
    """After a new login succeeded: disarm the revert and drop the kept files."""
    return _own(role, run, 'rm -rf "$txn"',
                f"the change of {role} was reverted on the host before the deploy could confirm it: deploy again")


def revert_now(role: str, run: str) -> str:
    """The new login failed: restore the role's files through the session still open, at once."""
    return _own(role, run, 'sh "$txn/revert" && rm -rf "$txn"',
                f"the change of {role} is no longer kept on the host: it was confirmed or reverted already")

"""Rotating schoolnet's switch login without locking anyone out.

`schoolnet secrets rotate switch/<school>/admin` makes the new value and keeps the old one beside it
(`…/admin-previous`): the switches still hold the old one.  Then, per switch, `switches rotate`:

1. logs in with the value the switch holds (the old one, unless the ledger says it was given the new);
2. types the build's password line, which holds the new value (so `render` comes first);
3. proves it with a fresh login using the new value, the first session still open;
4. saves, and records in the ledger that this switch holds the new value.

If the switch refuses the line, nothing changed.  If the fresh login fails, the old value is typed
back through the open session (not saved, so a reload also keeps the old), a login with it is tried,
and the switch is reported failed, still holding the old value.  Either way every switch is left
with a value the store holds and the ledger names, so every later login works.  When every switch of
a school holds the new value, the old one is dropped from the store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from schoolnet.deploy.locks import host_lock, locked_reason
from schoolnet.outcome import HostOutcome
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.run import Job, login_slot, read_switch, remember
from schoolnet.switches.secret_lines import is_login, slot_of
from schoolnet.switches.session import Session, SwitchError

ENTER = {"huawei-vrp": ["aaa"], "cisco-ios": []}
LEAVE = {"huawei-vrp": ["quit"], "cisco-ios": []}


def password_line(job: Job) -> str | None:
    """The build's line that sets the login user's password (it holds the value the store has now)."""
    for line in job.intended.splitlines():
        slot = slot_of(job.dialect.os, line.strip())
        if slot is not None and is_login(slot[0], job.target.user):
            return line.strip()
    return None


def rotate_one(job: Job, old: str, new: str, timeout: float, locks: Path, ledger: Ledger) -> HostOutcome:
    outcome = HostOutcome(job.hostname)
    line = password_line(job)
    if line is None or new not in line:
        outcome.fail("the build does not hold the new password yet: run `schoolnet render` (and `check`) first")
        return outcome
    if old == new:
        outcome.status = "unchanged"
        return outcome
    os = job.dialect.os
    with host_lock(locks, job.hostname, "switches rotate") as holder:
        if holder:
            outcome.fail(locked_reason(holder))
            return outcome
        with Session(replace(job.target, password=old), job.dialect, timeout) as session:
            _, refusal = session.configure([*ENTER[os], line, *LEAVE[os]])
            if refusal is not None:
                ledger.record(job.hostname, login_slot(job.target.user), old, "")
                outcome.fail(f"the switch refused the new password ({job.masker.line(refusal.error)}); it keeps "
                             "the old one")
                return outcome
            try:
                with Session(replace(job.target, password=new), job.dialect, timeout) as fresh:
                    fresh.run(job.dialect.no_paging)
            except SwitchError as exc:
                return _roll_back(job, session, line.replace(new, old), old, timeout, ledger, outcome,
                                  job.masker.prose(str(exc)))
            session.save()
            remember(os, job.hostname, ledger, [line], read_switch(session, job))
            ledger.record(job.hostname, login_slot(job.target.user), new, "")
    outcome.status = "changed"
    outcome.changes = job.masker.lines([line])
    return outcome


def _roll_back(job: Job, session: Session, line: str, old: str, timeout: float, ledger: Ledger,
               outcome: HostOutcome, why: str) -> HostOutcome:
    os = job.dialect.os
    _, refusal = session.configure([*ENTER[os], line, *LEAVE[os]])
    try:
        with Session(replace(job.target, password=old), job.dialect, timeout) as check:
            check.run(job.dialect.no_paging)
        works = refusal is None
    except SwitchError:
        works = False
    ledger.record(job.hostname, login_slot(job.target.user), old, "")
    if works:
        outcome.fail(f"a fresh login with the new password failed ({why}); rolled back: the switch keeps the "
                     "old one, which logs in")
    else:
        outcome.fail(f"a fresh login with the new password failed ({why}), and so did the roll-back to the old "
                     "one: the session that set it was kept open until now; check the switch from the console")
    return outcome

"""Audit and push many switches at once: each switch its own session, its own outcome, its own lock.

A switch that cannot be reached, refuses a line or stays non-compliant fails alone; the others go
on.  A push counts as done only when the switch, read again after saving, is compliant."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from schoolnet.contained import beneath, child
from schoolnet.deploy.connection import ConnectionError_, connections
from schoolnet.deploy.locks import host_lock, locked_reason
from schoolnet.model.fleet import Fleet, Host
from schoolnet.outcome import HostOutcome
from schoolnet.secrets.manage import PREVIOUS
from schoolnet.secrets.names import switch_admin
from schoolnet.secrets.store import SecretError, SecretStore
from schoolnet.switches.compliance import Compliance, ComplianceError, compare
from schoolnet.switches.hashes import ios_verifies
from schoolnet.switches.invariants import check
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.masking import Masker
from schoolnet.switches.platforms import Dialect, UnknownDialect, dialect
from schoolnet.switches.secret_lines import FORMS, Proof, SecretLines, is_login, printed_secrets, slot_of, snmp_users
from schoolnet.switches.session import Session, SwitchError, Target

Result = TypeVar("Result")


def switches(hosts: list[Host]) -> list[Host]:
    """The switches among `hosts` that schoolnet manages (they have a switch role)."""
    return [h for h in hosts if h.kind == "switch" and any(r.startswith("switch-") for r in h.roles)]


@dataclass
class Job:
    """One switch, ready to be talked to: where, as whom, and what it should run."""

    hostname: str
    dialect: Dialect
    target: Target
    intended: str
    masker: Masker


@dataclass
class Audit:
    hostname: str
    status: str  # compliant, non-compliant, failed
    reason: str = ""
    features: list[str] = field(default_factory=list)  # the non-compliant ones
    remediation: list[str] = field(default_factory=list)  # masked
    unmanaged: list[str] = field(default_factory=list)  # masked

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.hostname, "status": self.status, "reason": self.reason, "features": self.features,
                "remediation": self.remediation, "unmanaged": self.unmanaged}


class PrepareError(ValueError):
    """A switch cannot be talked to at all (no address, no pinned key, no password): it fails alone."""


def login_slot(user: str) -> str:
    """The ledger's name for which value of its login password a switch holds (see rotate.py)."""
    return f"login {user}"


def login_password(store: SecretStore, ledger: Ledger | None, hostname: str, user: str, name: str) -> str:
    """The password a switch holds for schoolnet's login: the store's value, unless a rotation is under way
    (NAME-previous kept) and the ledger does not say this switch was given the new one."""
    current = store.get(name)
    try:
        previous = store.get(name + PREVIOUS)
    except SecretError:
        return current
    if ledger is not None and ledger.holds(hostname, login_slot(user), current, ""):
        return current
    return previous


def jobs(fleet: Fleet, environment: str, hosts: list[Host], build: Path, manifest: dict[str, Any],
         store: SecretStore, offline: bool = False, ledger: Ledger | None = None) -> tuple[list[Job], dict[str, str]]:
    """A job per switch, and the reason for each switch that cannot have one.  `offline`: for an audit of
    saved configurations, where no switch is contacted (no address, host key or password needed)."""
    fleet.require_validated("switches")
    env = fleet.environments[environment]
    found: list[Job] = []
    refused: dict[str, str] = {}
    for host in hosts:
        try:
            found.append(_job(fleet, environment, env.switch_user, host, build, manifest, store, offline, ledger))
        except (PrepareError, ConnectionError_, UnknownDialect, SecretError) as exc:
            refused[host.hostname] = str(exc)
    return found, refused


def _job(fleet: Fleet, environment: str, user: str, host: Host, build: Path, manifest: dict[str, Any],
         store: SecretStore, offline: bool, ledger: Ledger | None) -> Job:
    model = fleet.catalog[host.model]
    speaks = dialect(model.os)
    entry = next((f for f in manifest["hosts"].get(host.hostname, {}).get("files", [])
                  if f["path"].lstrip("/") == speaks.config_file), None)
    if entry is None:
        raise PrepareError(f"no rendered {speaks.config_file} for {host.hostname} in build/: run `schoolnet render`")
    data = beneath(child(build / "hosts", host.hostname), entry["path"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:  # only the bytes check passed are ever pushed
        raise PrepareError(f"build/hosts/{host.hostname}/{speaks.config_file} changed after it was checked: "
                           "run `schoolnet render` and `schoolnet check` again")
    intended = data.decode("utf-8")
    target = Target(host.hostname, "", 0, "", user, "") if offline else \
        login_target(fleet, environment, user, host, store, ledger)
    return Job(host.hostname, speaks, target, intended, Masker(intended, list(entry["secrets"]), store))


def login_target(fleet: Fleet, environment: str, user: str, host: Host, store: SecretStore,
                 ledger: Ledger | None) -> Target:
    """Where and as whom to log in to a switch: its address and pinned key, the password it holds now."""
    conn = connections(fleet, environment, [host], need_key=False)[host.hostname]  # switches: a password
    assert host.school is not None
    return Target(host.hostname, conn.address, conn.port, conn.host_key, user,
                  login_password(store, ledger, host.hostname, user, switch_admin(host.school.id)))


def proof_for(ledger: Ledger, hostname: str) -> Proof:
    """How a printed secret of this switch is proven: an IOS hash by verifying it, anything else by the ledger."""

    def proven(slot: str, kind: str | None, printed: str, secret: str) -> bool:
        if kind is not None:
            return ios_verifies(kind, printed, secret)
        return ledger.holds(hostname, slot, secret, printed)

    return proven


@dataclass(frozen=True)
class Reading:
    running: str
    hidden: str | None  # what names the lines the switch does not print (IOS `show snmp user`); None: unread


def read_switch(session: Session, job: Job) -> Reading:
    running = session.read_config()
    read_hidden = FORMS.get(job.dialect.os, SecretLines(())).hidden_read
    return Reading(running, session.run(read_hidden) if read_hidden else "")


def compare_seen(fleet: Fleet, job: Job, seen: Reading, ledger: Ledger) -> Compliance:
    return compare(job.dialect.os, fleet.programme.switch_features, seen.running, job.intended,
                   proof_for(ledger, job.hostname), seen.hidden)


def remember(os: str, hostname: str, ledger: Ledger, sent: list[str], seen: Reading) -> None:
    """After a push: for each secret line typed, what the switch prints for it now (its hash; "" for a
    hidden line the switch now names), so the next audit can prove it without typing it again."""
    forms = FORMS.get(os)
    if forms is None:
        return
    printed = printed_secrets(os, seen.running)
    users = snmp_users(seen.hidden or "")
    for line in sent:
        slot = slot_of(os, line.strip())
        if slot is None:
            continue
        if slot[0] in printed:
            ledger.record(hostname, slot[0], slot[1], printed[slot[0]])
        elif forms.hidden is not None and (found := forms.hidden.match(line.strip())) and \
                users.get(found["name"]) == found["group"]:
            ledger.record(hostname, slot[0], slot[1], "")


def _refusal(job: Job, result: Compliance, seen: Reading) -> str:
    """Why a push would refuse this remediation (invariants.py), masked; "" when it may be typed."""
    breaches = check(job.dialect.os, result.remediation, seen.running, job.intended, job.target.user)
    if not breaches:
        return ""
    first = breaches[0]
    more = f" (and {len(breaches) - 1} more)" if len(breaches) > 1 else ""
    return (f"refusing to type the remediation: line {first.number} `{job.masker.line(first.line)}` breaks "
            f"{first.invariant}{more}")


def _changes_login(job: Job, result: Compliance) -> str:
    """A push types the login user's password only as the value it logged in with: a new value is set by
    `schoolnet switches rotate`, which proves it with a fresh login before it saves."""
    for line in result.remediation:
        slot = slot_of(job.dialect.os, line)
        if slot is not None and is_login(slot[0], job.target.user) and slot[1] != job.target.password:
            return (f"refusing to change the login password of {job.target.user} in a push: a rotation is under "
                    "way; finish it with `schoolnet switches rotate`")
    return ""


def _console(job: Job, result: Compliance) -> str:
    return (f"needs the console: `{job.masker.line(result.held_back[0])}` would cut this SSH session "
            f"({len(result.held_back)} line(s) held back; the rest is pushed)")


def audit_from(job: Job, result: Compliance, seen: Reading) -> Audit:
    if result.compliant:
        return Audit(job.hostname, "compliant", unmanaged=job.masker.lines(result.unmanaged))
    bad = [f.name for f in result.features if not f.compliant]
    refusal = _refusal(job, result, seen)
    why = f"{len(result.remediation)} line(s) to send: {', '.join(bad)}" + (f"; a push is {refusal}" if refusal else "")
    if result.held_back:
        why += f"; {_console(job, result)}"
    return Audit(job.hostname, "non-compliant", why, bad, job.masker.lines(result.remediation),
                 job.masker.lines(result.unmanaged))


def audit_one(fleet: Fleet, job: Job, timeout: float, ledger: Ledger) -> Audit:
    try:
        with Session(job.target, job.dialect, timeout) as session:
            seen = read_switch(session, job)
            return audit_from(job, compare_seen(fleet, job, seen, ledger), seen)
    except (SwitchError, ComplianceError) as exc:
        return Audit(job.hostname, "failed", job.masker.prose(str(exc)))


def push_one(fleet: Fleet, job: Job, timeout: float, locks: Path, ledger: Ledger) -> HostOutcome:
    """Push one switch, holding its lock in `locks` (its repository's and environment's: deploy.locks)."""
    outcome = HostOutcome(job.hostname)
    with host_lock(locks, job.hostname, "switches push") as holder:
        if holder:
            outcome.fail(locked_reason(holder))
            return outcome
        try:
            with Session(job.target, job.dialect, timeout) as session:
                before = read_switch(session, job)
                result = compare_seen(fleet, job, before, ledger)
                if result.compliant:
                    outcome.status = "unchanged"
                    return outcome
                refused = _refusal(job, result, before) or _changes_login(job, result)
                if refused:
                    outcome.fail(f"{refused}; nothing was typed")
                    return outcome
                sent, refusal = session.configure(list(result.remediation))
                outcome.changes = job.masker.lines(sent)
                if refusal is not None:
                    outcome.fail(f"the switch refused `{job.masker.line(refusal.command)}`: "
                                 f"{job.masker.line(refusal.error)} ({len(sent)} line(s) before it are in its "
                                 "running configuration, not saved)")
                    return outcome
                session.save()
                seen = read_switch(session, job)
                remember(job.dialect.os, job.hostname, ledger, sent, seen)
                after = compare_seen(fleet, job, seen, ledger)
        except (SwitchError, ComplianceError) as exc:
            outcome.fail(job.masker.prose(str(exc)))
            return outcome
    if after.compliant:
        outcome.status = "changed"
    elif after.held_back and not after.remediation:
        outcome.fail(_console(job, after))
    else:
        bad = ", ".join(f.name for f in after.features if not f.compliant)
        outcome.fail(f"still not compliant after the push and save ({bad}): "
                     f"{len(after.remediation)} line(s) differ")
    return outcome


def run_all(items: list[Job], work: Callable[[Job], Result], failed: Callable[[Job, str], Result], parallel: int,
            progress: Callable[[int, int], None] | None = None) -> list[Result]:
    """`work` for every job, `parallel` at a time; results in the jobs' order.  Whatever one switch
    raises is that switch's failure (`failed` with one masked line), never the run's: the others'
    outcomes and the run's record are never lost to one switch."""

    def guarded(job: Job) -> Result:
        try:
            return work(job)
        except Exception as exc:  # the one place a switch's surprise becomes its failure
            first = (str(exc).strip().splitlines() or [""])[0]
            return failed(job, job.masker.prose(f"{type(exc).__name__}: {first}" if first else type(exc).__name__))

    results: dict[str, Result] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(items) or 1))) as pool:
        futures = {pool.submit(guarded, job): job.hostname for job in items}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(items))
    return [results[job.hostname] for job in items]

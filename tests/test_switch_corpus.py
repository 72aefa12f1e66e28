"""Compliance against printouts schoolnet did not write: a corpus per switch OS, each with its outcome.

tests/switch_corpus/ holds public running-configs of other networks' switches, as their operators
published them (VRP S-series V200R005, V200R013 (the head of a printout), V200R021 and V200R022; IOS
12.2 and 15.0, IOS-XE 3.x and 17.6; sources in
tests/switch_corpus/SOURCES.md).  Beside them, per OS, two printouts made by the lab's emulator,
whose printing follows the same public printouts (docs/switches.md): a factory-default switch, and
one that applied our build.  Expected outcomes:
- our build as the switch prints it once applied is compliant with 0 lines (its secrets proven by
  the ledger or by their IOS hash), and stays so;
- a day-1 push to a factory-default switch breaks no invariant, so it is in a safe order, and
  converges;
- against every real printout, the remediation breaks no invariant (invariants.py): whatever a
  switch holds, schoolnet never cuts its own path, undoes hardening or touches what is not its own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from schoolnet.model.programme import SwitchFeature
from schoolnet.switches.compliance import compare
from schoolnet.switches.invariants import check
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.run import Reading, proof_for, remember
from schoolnet.switches.secret_lines import FORMS, slot_of
from schoolnet.switchlab.cli import EXEC_RULES, Device, Session, tokens
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "switch_corpus"
FEATURES = [SwitchFeature.model_validate(f) for f in
            yaml.safe_load((ROOT / "inventory" / "programme.yaml").read_text())["switch_features"]]
OUR_BUILD = {"huawei-vrp": ROOT / "tests/golden/nx-ord-012-sw1/startup.cfg",
             "cisco-ios": ROOT / "tests/golden/nx-kan-001-sw1/startup-config"}
ENTER = {"huawei-vrp": "system-view", "cisco-ios": "configure terminal"}
LEAVE = {"huawei-vrp": "return", "cisco-ios": "end"}
PRINTOUTS = sorted(CORPUS.glob("*.cfg"))


def os_of(path: Path) -> str:
    return "huawei-vrp" if path.name.startswith("vrp-") else "cisco-ios"


def read(session: Session) -> Reading:
    """What schoolnet reads from a switch: the running configuration, and on IOS `show snmp user`."""
    platform = session.device.platform
    running = "\n".join(session._running(None)) + "\n"
    hidden = ""
    if FORMS[platform].hidden_read:
        command = FORMS[platform].hidden_read
        parsed = session.device.parse("", tokens(command), command, extra=EXEC_RULES[platform])
        hidden = "\n".join(session._action(parsed, command))  # type: ignore[arg-type]
    return Reading(running, hidden)


def push(session: Session, remediation: tuple[str, ...], ledger: Ledger, hostname: str) -> Reading:
    """Type a remediation as `switches push` does (questions answered yes), then record the secrets the
    switch printed for what was typed (push_one's own `remember`)."""
    session.feed(ENTER[session.device.platform] + "\n")
    for line in remediation:
        out = session.feed(line + "\n")
        if session.waiting:  # [confirm] or [Y/N]: yes
            out += session.feed("Y\n" if session.device.vrp else "\n")
        assert "Error:" not in out and "% " not in out.replace("% Access VLAN", ""), (line, out)
    session.feed(LEAVE[session.device.platform] + "\n")
    seen = read(session)
    remember(session.device.platform, hostname, ledger, list(remediation), seen)
    return seen


@pytest.mark.parametrize("os", ["huawei-vrp", "cisco-ios"])
def test_a_factory_switch_is_pushed_in_a_safe_order_and_our_build_printed_back_is_compliant(os: str) -> None:
    intended = OUR_BUILD[os].read_text()
    ledger = Ledger(Path(tempfile.mkdtemp()))
    proof = proof_for(ledger, "sw")
    session = Session(Device(os, "Switch"), interactive=False)
    factory = read(session)
    day_one = compare(os, FEATURES, factory.running, intended, proof, factory.hidden)
    assert len(day_one.remediation) > 100
    assert check(os, day_one.remediation, factory.running, intended, "admin") == []
    applied = push(session, day_one.remediation, ledger, "sw")
    assert "admin" in applied.running and intended.split("secret ")[-1] not in applied.running  # hashed
    again = compare(os, FEATURES, applied.running, intended, proof, applied.hidden)
    assert again.compliant and again.remediation == (), again
    rebooted = Session(Device(os, "Switch", session.device.text()), interactive=False)  # the saved file booted
    after_boot = read(rebooted)
    assert compare(os, FEATURES, after_boot.running, intended, proof, after_boot.hidden).remediation == ()
    without_ledger = compare(os, FEATURES, applied.running, intended, proof_for(Ledger(Path(tempfile.mkdtemp())),
                                                                                 "sw"), applied.hidden)
    unproven = [line for line in without_ledger.remediation if slot_of(os, line)]
    assert unproven == [line for line in without_ledger.remediation if line not in ("aaa", "quit")]
    if os == "cisco-ios":  # the local user's hash is verified without the ledger: only the hidden SNMP user is left
        assert [line.split()[0:3] for line in unproven] == [["snmp-server", "user", "schoolnet-monitor"]]


@pytest.mark.parametrize("path", PRINTOUTS, ids=[p.name for p in PRINTOUTS])
def test_a_real_printout_gets_a_remediation_that_breaks_no_invariant(path: Path) -> None:
    os = os_of(path)
    running, intended = path.read_text(), OUR_BUILD[os].read_text()
    result = compare(os, FEATURES, running, intended)
    assert not result.compliant and result.remediation  # another network's switch
    assert check(os, result.remediation, running, intended, "admin") == []
    typed_back = [line for line in result.remediation if not line.startswith(("undo ", "no "))]
    for line in result.unmanaged:  # what is not schoolnet's is reported, never touched
        assert line not in typed_back and f"undo {line}" not in result.remediation and \
            f"no {line}" not in result.remediation


def test_the_corpus_covers_each_os_and_release_the_issue_names() -> None:
    names = " ".join(p.name for p in PRINTOUTS)
    for release in ("V200R005", "V200R013", "V200R021", "V200R022", "-12.2", "-15.0", "-17.6"):
        assert release in names

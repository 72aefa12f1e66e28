"""The command groups import a command's module only when it runs: start-up stays short for the light commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from schoolnet.cli.main import COMMANDS, cli
from tests.conftest import ROOT

NAMES = ["changes", "check", "ci", "deploy", "handover", "inventory", "ipam", "lab", "locate", "netbox", "observe",
         "plan", "reconcile", "render", "report", "schema", "secrets", "switches", "tablets", "validate"]

# What only the remote, NetBox and report commands need; a light command must not pay for it at start.
HEAVY = ["paramiko", "pynetbox", "pyinfra", "schoolnet.deploy", "schoolnet.switches", "schoolnet.netbox",
         "schoolnet.report", "schoolnet.changes", "schoolnet.handover", "schoolnet.lab",
         "schoolnet.cli.switches_cmds", "schoolnet.cli.netbox_cmds",
         "schoolnet.cli.report_cmds", "schoolnet.cli.changes_cmd", "schoolnet.cli.deploy_cmds",
         "schoolnet.cli.handover_cmd", "schoolnet.cli.lab_cmds", "schoolnet.observe", "schoolnet.cli.observe_cmds",
         "ntc_templates", "textfsm"]

# Runs the real entry point in a fresh interpreter, then reports every module it imported.
PROBE = """
import sys
from schoolnet.cli.main import main
sys.argv = ["schoolnet", *sys.argv[1:]]
try:
    main()
finally:
    sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
"""


def loaded(*args: str, cwd: Path | None = None) -> tuple[int, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120)
    last = result.stderr.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("MODULES "), result.stderr
    return result.returncode, set(last.split()[1:])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_every_command_is_listed_and_loads() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == NAMES == sorted(COMMANDS)
    for name in NAMES:
        assert isinstance(cli.get_command(ctx, name), click.Command), name
    assert cli.get_command(ctx, "no-such-command") is None


@pytest.mark.parametrize(("args", "module"), [
    (["validate", "--help"], "schoolnet.cli.inventory_cmds"),
    (["ci", "--help"], "schoolnet.cli.ci_cmds"),
    (["render", "--help"], "schoolnet.cli.render_cmds"),
    (["check", "--help"], "schoolnet.cli.render_cmds"),
    (["--version"], None),
])
def test_a_light_command_does_not_import_the_heavy_ones(args: list[str], module: str | None) -> None:
    code, modules = loaded(*args)
    assert code == 0
    assert module is None or module in modules  # the probe sees the command's own module, so it can see others
    assert heavy_in(modules) == []


def test_validate_and_ci_runs_do_not_import_the_heavy_ones(inventory: Path, tmp_path: Path) -> None:
    code, modules = loaded("validate", cwd=tmp_path)
    assert code == 0 and heavy_in(modules) == []
    code, modules = loaded("ci", "--templates", str(ROOT / "templates"), "--out", str(tmp_path / "build"),
                           cwd=tmp_path)
    assert code == 0 and heavy_in(modules) == []


def test_help_still_loads_every_command_for_its_short_help() -> None:
    code, modules = loaded("--help")
    assert code == 0
    assert {"schoolnet.cli.switches_cmds", "schoolnet.cli.netbox_cmds", "paramiko"} <= modules

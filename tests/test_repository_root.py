"""Commands find the repository's root from any folder inside it, as the installed `schoolnet` runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCHOOLNET

NOTE = "schoolnet: in the repository at "


def run(where: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SCHOOLNET_INVENTORY"} | env
    return subprocess.run([SCHOOLNET, *args], cwd=where, capture_output=True, text=True, env=environment,
                          timeout=300)


@pytest.fixture
def repo(inventory: Path) -> Path:
    """A repository: the small programme's inventory/ and the templates, nothing run in it yet."""
    (inventory.parent / "templates").symlink_to(ROOT / "templates")
    return inventory.parent


# (the folder to run in, relative to the repository root; the command)
FROM_INSIDE = [
    ("inventory/schools/ordubad", ("validate",)),
    ("inventory", ("validate", "--format", "json")),
    ("inventory/schools", ("render",)),
    ("inventory/datacenter", ("inventory", "show", "nx-ord-001")),
    ("inventory/schools/julfa", ("ipam", "show", "nx-ord-001")),
]


@pytest.mark.parametrize(("folder", "command"), FROM_INSIDE, ids=[" ".join(c[1]) for c in FROM_INSIDE])
def test_a_command_runs_from_any_folder_inside_the_repository(repo: Path, folder: str,
                                                              command: tuple[str, ...]) -> None:
    done = run(repo / folder, *command)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.startswith(f"{NOTE}{repo} (paths below are relative to it)\n"), done.stderr
    assert "SN012" not in done.stdout + done.stderr
    assert not (repo / folder / "build").exists() and not (repo / folder / ".schoolnet-cache").exists()


def test_what_it_writes_and_prints_is_the_repository_root_s(repo: Path) -> None:
    """build/ and the cache at the root, `check` finds that build/, and problems name files from the root."""
    inside = repo / "inventory" / "schools" / "ordubad"
    assert run(inside, "render").returncode == 0
    assert (repo / "build" / "manifest.json").is_file() and (repo / ".schoolnet-cache").is_dir()
    checked = run(repo / "inventory", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    school = inside / "nx-ord-001.yaml"
    school.write_text(school.read_text().replace("students:", "students: [", 1))
    line = next(n for n, text in enumerate(school.read_text().splitlines(), 1) if text.startswith("students:"))
    for command in ("validate", "render", "ci"):
        done = run(inside, command)
        assert done.returncode == 1
        assert f"inventory/schools/ordubad/nx-ord-001.yaml:{line}:11: error SN001" in done.stdout + done.stderr


def test_an_inventory_named_on_the_command_line_or_in_the_environment_is_taken_as_given(repo: Path) -> None:
    inside = repo / "inventory" / "schools"
    for done in (run(inside, "validate", "--inventory", ".."), run(inside, "validate", "--inventory=.."),
                 run(inside, "validate", SCHOOLNET_INVENTORY="..")):
        assert done.returncode == 0, done.stderr
        assert NOTE not in done.stderr
    assert not (repo / "inventory" / "build").exists()


def test_the_root_itself_needs_no_note(repo: Path) -> None:
    done = run(repo, "validate")
    assert done.returncode == 0 and NOTE not in done.stderr


def test_outside_any_repository_is_one_line_and_exit_2(tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    for command in (("validate",), ("render",), ("inventory", "show", "nx-ord-001"), ("ci",)):
        done = run(elsewhere, *command)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr == (f"schoolnet: not inside a schoolnet repository: neither {elsewhere} nor a folder "
                               "above it holds inventory/programme.yaml (run it in the repository, or pass "
                               "--inventory DIR)\n")
    assert run(elsewhere, "schema", "school").returncode == 0  # what needs no inventory still works
    assert run(elsewhere, "lab", "down", "--help").returncode == 0

"""The how-tos under docs/howto/ run as written: every ```sh block of a page, in order, in a clone of its own.

A page's blocks run with `bash -euo pipefail` in a temporary git clone of the reference programme (inventory,
templates, the demo key), against a lab of its own (loopback 127.26.x.y, apart from the other tests' labs),
so the docs cannot drift from the tool.  A block written ```sh exit=N must end with that exit code: the
refusals a page shows are tested as refusals.  Other blocks (yaml, console, text) are shown, not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEMO_KEY, ROOT

HOWTO = ROOT / "docs" / "howto"
PAGES = sorted(p for p in HOWTO.glob("*.md") if p.name != "README.md")
FENCE = re.compile(r"^```sh(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
HOWTO_LAB = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-howto", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-howto",
             "SCHOOLNET_LAB_PREFIX": "snh", "SCHOOLNET_LAB_LOOPBACK": "26", "SCHOOLNET_LAB_APT_PORT": "3148"}


@dataclass(frozen=True)
class Block:
    line: int
    body: str
    exit: int


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info = dict(part.split("=", 1) for part in match["info"].split() if "=" in part)
        found.append(Block(text.count("\n", 0, match.start()) + 1, match["body"], int(info.get("exit", "0"))))
    return found


def environment(base: Path) -> dict[str, str]:
    return {**os.environ, **HOWTO_LAB, "SOPS_AGE_KEY_FILE": str(base / "keys" / "demo.agekey"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "GIT_AUTHOR_NAME": "Howto Tester",
            "GIT_AUTHOR_EMAIL": "howto@example.invalid", "GIT_COMMITTER_NAME": "Howto Tester",
            "GIT_COMMITTER_EMAIL": "howto@example.invalid", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def reference_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reference programme as a programme repository of its own, committed, rendered and checked once
    (each page copies it, cache and build included); its lab comes down at the end."""
    if os.geteuid() != 0:
        pytest.fail("the how-tos rehearse on a lab: run them as root (make test)")
    base = tmp_path_factory.mktemp("howto") / "programme"
    base.mkdir()
    for part in ("inventory", "templates"):
        shutil.copytree(ROOT / part, base / part, ignore=shutil.ignore_patterns("lab.yaml"))
    (base / "keys").mkdir()
    shutil.copy2(DEMO_KEY, base / "keys" / "demo.agekey")
    (base / ".gitignore").write_text("build/\nsite/\nhandover/\n.schoolnet-cache/\ndeploys/\n")
    env = environment(base)
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "commit", "-qm", "the reference programme"], ["schoolnet", "ci"]):
        done = subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
    yield base
    subprocess.run(["schoolnet", "lab", "down", "--purge"], cwd=base, env=env, capture_output=True, timeout=600)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_command_block_of_the_page_runs_as_written(page: Path, reference_clone: Path, tmp_path: Path) -> None:
    runnable = blocks(page)
    assert runnable, f"{page.name} has no ```sh block to run"
    clone = tmp_path / "programme"
    subprocess.run(["cp", "-a", str(reference_clone), str(clone)], check=True)
    env = environment(clone)
    for block in runnable:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.body], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == block.exit, (
            f"docs/howto/{page.name}:{block.line}: exit {done.returncode}, the page says {block.exit}\n"
            f"{block.body}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}")


def test_the_readme_links_every_how_to() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (HOWTO / "README.md").read_text(encoding="utf-8")
    assert "docs/howto/" in readme
    for page in PAGES:
        assert f"({page.name})" in index, f"docs/howto/README.md does not link {page.name}"

"""Shared fixtures: a small generated programme, copied fresh for each test that edits it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schoolnet.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_programme.py"
DEMO_KEY = ROOT / "keys" / "demo.agekey"
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")

# The synthetic programmes are encrypted to the public demo key; tests decrypt with it.
os.environ["SOPS_AGE_KEY_FILE"] = str(DEMO_KEY)


def generate(out: Path, schools: int, tablets: int, secrets: bool = False) -> Path:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--schools", str(schools),
                    "--tablets", str(tablets)], check=True, capture_output=True)
    if secrets:
        subprocess.run([SCHOOLNET, "secrets", "generate", "--inventory", str(out)], check=True, capture_output=True)
    return out


# With `pytest -n N` (make test), each test file runs whole in one worker, so its module fixtures are made once;
# files that share a session's lab or NetBox run in the same worker, one after the other.
SHARED_BY = {"test_lab": "the shared lab", "test_deploy": "the shared lab",
             "test_netbox": "the session's NetBox", "test_netbox_service": "the session's NetBox"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """A file is a unit of work; the files of SHARED_BY one unit each.  (xdist's loadgroup marks would say
    the same, but pytest 9.2 no longer lets xdist 3.8 rename a test's id, which that mode relies on.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return SHARED_BY.get(Path(file).stem, file)

    return ByFile(config, log)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden from the current templates")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def small_programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 schools, 160 tablets, same shape as the reference programme."""
    return generate(tmp_path_factory.mktemp("small") / "inventory", 16, 160, secrets=True)


@pytest.fixture
def inventory(small_programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the small programme at ./inventory (so messages say inventory/...)."""
    target = tmp_path / "inventory"
    shutil.copytree(small_programme, target)
    monkeypatch.chdir(tmp_path)
    return target


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A writable copy of the templates, for tests that break one."""
    target = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", target)
    return target


def invoke(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    """Run the CLI in-process; a crash (anything but a clean exit) fails the test, as a traceback would."""
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def shared_lab_repo(small_programme: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lab booted once per session for the lab and deploy tests (tests/labs.py)."""
    from tests.labs import shared_lab

    yield from shared_lab(small_programme, tmp_path_factory.mktemp("lab-repo"))


@pytest.fixture(scope="session")
def netbox_server() -> Iterator[Any]:
    """A real NetBox 4.7 on 127.0.0.1:8480, started by `schoolnet netbox up` (root; see tests/netbox_instance.py)."""
    from tests.netbox_instance import started

    if os.geteuid() != 0:
        pytest.fail("the NetBox tests run PostgreSQL and NetBox as their own users: run them as root (make test)")
    yield from started()

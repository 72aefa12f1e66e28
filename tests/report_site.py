"""A reference-programme repository with a build and a deploy log, as the report tests read it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import ROOT, invoke

# Two runs as `schoolnet deploy` writes them (deploy/record.py): the report reads, never writes, this log.
DEPLOY_LOG = [
    {"time": "2026-11-20T09:00:00+00:00", "operator": "aysel", "commit": "1" * 40, "dirty": False,
     "environment": "prod", "limit": ["school:nx-sad-001"], "interrupted": False,
     "hosts": [{"host": "nx-sad-001-edge", "status": "changed", "changes": ["dns: upload"], "reason": ""}]},
    {"time": "2026-11-21T10:30:00+00:00", "operator": "rauf", "commit": "2" * 40, "dirty": True,
     "environment": "prod", "limit": ["district:sadarak"], "interrupted": False,
     "hosts": [{"host": "nx-sad-001-edge", "status": "unchanged", "changes": [], "reason": ""},
               {"host": "nx-sad-002-edge", "status": "failed", "changes": [], "reason": "ssh: connection refused"}]},
]


def reference_repository(target: Path, forge: str | None = None) -> Path:
    """inventory/ (and templates/) of the reference programme at `target`, rendered into build/, with a
    deploy log; `forge` names a repository URL in programme.yaml."""
    shutil.copytree(ROOT / "inventory", target / "inventory",
                    ignore=shutil.ignore_patterns("lab.yaml"))
    if forge:
        programme = target / "inventory" / "programme.yaml"
        programme.write_text(programme.read_text(encoding="utf-8") + f"\nrepository:\n  url: {forge}\n",
                             encoding="utf-8")
    code, output = invoke("render", "--inventory", str(target / "inventory"), "--out", str(target / "build"),
                          "--templates", str(ROOT / "templates"))
    assert code == 0, output
    (target / "deploys").mkdir()
    (target / "deploys" / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in DEPLOY_LOG),
                                                  encoding="utf-8")
    return target


def write_site(repository: Path, out: Path, *extra: str) -> tuple[int, str]:
    return invoke("report", "--inventory", str(repository / "inventory"), "--build", str(repository / "build"),
                  "--out", str(out), *extra)

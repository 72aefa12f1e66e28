"""Audit from saved configurations: the backups a network team already keeps, instead of SSH.

Oxidized and RANCID keep one file per device named by its hostname: Oxidized in its output directory
(`DIR/<hostname>`, or `DIR/<group>/<hostname>` with groups), RANCID in `DIR/configs/<hostname>`, its
own lines starting with `!` (IOS) or `#` (VRP), which compliance reads as comments.  Each switch's
file is compared exactly as a live audit compares what it reads, and reported the same way.  A backup
does not name what the switch hides (IOS's SNMPv3 users), so those are proven by the ledger alone."""

from __future__ import annotations

from pathlib import Path

from schoolnet.contained import child
from schoolnet.model.fleet import Fleet
from schoolnet.switches.compliance import ComplianceError
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.run import Audit, Job, Reading, audit_from, compare_seen

MAX_BYTES = 4 << 20  # a switch configuration is kilobytes; a bigger file is not one


def saved_configuration(directory: Path, hostname: str) -> Path | None:
    """The newest file named `hostname` in the layouts the backup tools use."""
    found = [p for p in (child(directory, hostname), child(directory / "configs", hostname),
                         *(child(d, hostname) for d in sorted(directory.iterdir()) if d.is_dir()))
             if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def audit_saved(fleet: Fleet, job: Job, directory: Path, ledger: Ledger) -> Audit:
    path = saved_configuration(directory, job.hostname)
    if path is None:
        return Audit(job.hostname, "failed", f"no saved configuration for {job.hostname} in {directory} "
                                              f"({job.hostname} or configs/{job.hostname})")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ComplianceError(f"{path} is {path.stat().st_size} bytes: not a switch configuration")
        running = path.read_text(encoding="utf-8", errors="replace")
        seen = Reading(running, None)
        return audit_from(job, compare_seen(fleet, job, seen, ledger), seen)
    except (OSError, ComplianceError) as exc:
        return Audit(job.hostname, "failed", job.masker.prose(f"{path}: {exc}"))

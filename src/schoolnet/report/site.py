"""`schoolnet report`: the static site auditors read, written whole or not at all.

The site is plain files (HTML, inline SVG, CSV, one stylesheet and one small script) that work
from the file system and from any static web server, and ask nothing of the network.  The same
inventory, build manifest and deploy log give byte-identical output: no clock, no randomness,
every list in a fixed order.  Like build/, the new site is written beside the old and swapped in
with one rename, so a reader never sees half of it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from schoolnet.atomic import exchange, locked
from schoolnet.contained import child
from schoolnet.handover.certificate import handover_period, handover_words, printed_number, school_number
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.model.select import select_hosts
from schoolnet.model.stats import TABLET_STATUSES
from schoolnet.problems import Problem
from schoolnet.render.engine import MANIFEST, load_manifest
from schoolnet.report import exports, svg
from schoolnet.report.facts import CIRCUIT_STATUSES, CertificateView, FactBuilder, SchoolView, Sources
from schoolnet.report.history import DeployRun, last_deploys, read_log
from schoolnet.report.observed import observed_view

MARKER = ".schoolnet-report"  # a directory holding this may be replaced by the next report; nothing else is
DEPLOY_LOG = Path("deploys") / "log.jsonl"


class ReportRefused(ValueError):
    """The report cannot be written where asked (the message says why and what to do)."""


@dataclass
class ReportSummary:
    out: Path
    pages: int
    files: int
    schools: int
    tablets: int
    problems: int


def _environment() -> SandboxedEnvironment:
    templates = resources.files("schoolnet.report") / "templates" / "site"
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    return env


def _static(name: str) -> str:
    return (resources.files("schoolnet.report") / "static" / name).read_text(encoding="utf-8")


def _prepare(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise ReportRefused(f"{out} exists and is not a schoolnet report: choose another --out, or move it away")


def write_report(fleet: Fleet, problems: list[Problem], out: Path, build: Path, limits: tuple[str, ...] = (),
                 repository: Path | None = None, handover: Path | None = None,
                 progress: Callable[[int, int], None] | None = None, observed: str | None = None) -> ReportSummary:
    """Write the site for the hosts `limits` select (all when empty); `problems` are what validate found.
    `handover`: where `schoolnet handover` writes certificates, linked from each school's page when printed.
    `progress` is told (done, total) as the pages are rendered; `observed`: the environment whose observations
    give each device and tablet its last sighting and each school its differences (report/observed.py)."""
    repository = repository or fleet.root.resolve().parent
    selected = select_hosts(fleet, limits)
    school_ids = {h.school.id for h in selected if h.school is not None}
    site_ids = {h.datacenter.site for h in selected if h.datacenter is not None}
    if limits:  # a school selected by name keeps its tablets even when it has no host yet
        school_ids |= {s.id for s in fleet.schools if any(f"school:{s.id}" == e for e in limits)}
    manifest = load_manifest(build) if (build / MANIFEST).is_file() else None
    runs = read_log(repository / DEPLOY_LOG, DEPLOY_LOG.as_posix())
    facts = FactBuilder(fleet, Sources(fleet, repository), manifest, last_deploys(runs))
    schools = [facts.school(s) for s in fleet.schools if not limits or s.id in school_ids]
    by_id = fleet.schools_by_id
    for view in schools:
        view.certificate = certificate_view(fleet, by_id[view.id], handover, out)
    datacenters = [facts.datacenter(d) for d in fleet.datacenters if not limits or d.site in site_ids]
    districts = facts.districts(schools)
    hubs = sorted(h.hostname for h in fleet.hosts if "vpn-hub" in h.roles)
    pages = _Pages(fleet, problems, limits, manifest is not None, runs)
    pages.common["observed"] = observed_view(fleet, repository, observed) if observed else None
    files: dict[str, str] = {
        "assets/style.css": _static("style.css"),
        "assets/ledger.js": _static("ledger.js"),
        "csv/tablets.csv": exports.tablets_csv(schools),
        "csv/devices.csv": exports.devices_csv(schools, datacenters),
        "csv/circuits.csv": exports.circuits_csv(schools, datacenters),
        MARKER: "This directory is written by `schoolnet report` and replaced whole by the next one.\n",
    }
    files["index.html"] = pages.render("overview.html.j2", "", schools=schools, districts=districts,
                                       datacenters=datacenters, stats=_stats(fleet, schools, datacenters))
    files["topology.html"] = pages.render("topology.html.j2", "", topology=svg.topology(
        datacenters, hubs, districts))
    files["tablets.html"] = pages.render("tablets.html.j2", "", schools=schools, districts=districts,
                                         statuses=TABLET_STATUSES)
    files["deploys.html"] = pages.render("deploys.html.j2", "")
    for district in districts:
        files[f"districts/{district.id}.html"] = pages.render("district.html.j2", "../", district=district)
    for done, school in enumerate(schools, 1):
        files[f"schools/{school.id}.html"] = pages.render("school.html.j2", "../", school=school)
        if progress is not None:
            progress(done, len(schools))
    for dc in datacenters:
        racks = [(rack, svg.rack_elevation(rack)) for rack in dc.racks]
        files[f"datacenter/{dc.site}.html"] = pages.render("datacenter.html.j2", "../", dc=dc, racks=racks)
    _write_tree(out, files)
    return ReportSummary(out, sum(1 for name in files if name.endswith(".html")), len(files), len(schools),
                         sum(len(s.tablets) for s in schools), len(problems))


def certificate_view(fleet: Fleet, school: School, handover: Path | None, out: Path) -> CertificateView | None:
    """What the school's page says of its certificate; the link is relative, from `out/schools/`."""
    number = school_number(fleet, school)
    if number is None:
        return None
    html = pdf = None
    if handover is not None:
        html, pdf = handover / f"{school.id}.html", handover / f"{school.id}.pdf"
    printed = None
    if html is not None and html.is_file():
        printed = printed_number(html.read_text(encoding="utf-8", errors="replace")) or ""
    status = "not printed" if printed is None else "printed" if printed == number else "outdated"
    target = pdf if pdf is not None and pdf.is_file() else html if printed is not None else None
    link = Path(os.path.relpath(target.resolve(), (out / "schools").resolve())).as_posix() if target else ""
    handed = sum(1 for t in school.tablets if t.handover is not None)
    return CertificateView(number, handover_words(handover_period(school)), handed, len(school.tablets), status,
                           printed or "", link)


class _Pages:
    """Renders pages with what every page shows: the programme, the navigation, the scope."""

    def __init__(self, fleet: Fleet, problems: list[Problem], limits: tuple[str, ...], built: bool,
                 runs: list[DeployRun]) -> None:
        self.env = _environment()
        self.common: dict[str, Any] = {
            "programme": fleet.programme, "problems": problems, "limits": limits, "built": built, "runs": runs,
            "datacenter_sites": [d.site for d in fleet.datacenters], "observed": None,
        }

    def render(self, template: str, root: str, **values: Any) -> str:
        return self.env.get_template(template).render(**self.common, root=root, **values)


def _stats(fleet: Fleet, schools: list[SchoolView], datacenters: list[Any]) -> dict[str, Any]:
    tablets = Counter(t.status for s in schools for t in s.tablets)
    circuits = Counter(c.status for s in schools for c in s.uplinks)
    circuits.update(c.status for d in datacenters for c in d.circuits)
    devices = Counter(d.kind for s in schools for d in s.devices)
    devices.update(d.kind for dc in datacenters for d in dc.devices)
    return {
        "schools": len(schools), "districts": len({s.district for s in schools}),
        "students": sum(s.students for s in schools),
        "tablets": sum(tablets.values()),
        "tablets_by_status": [(status, tablets[status]) for status in TABLET_STATUSES],
        "circuits_by_status": [(status, circuits[status]) for status in CIRCUIT_STATUSES if circuits[status]],
        "devices_by_kind": sorted(devices.items()),
        "expected": fleet.programme.expected,
    }


def _write_tree(out: Path, files: dict[str, str]) -> None:
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with locked(out.parent):
        _prepare(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        try:
            staging.chmod(0o755)
            for name, text in sorted(files.items()):
                path = staging
                for part in name.split("/"):
                    path = child(path, part)  # school ids and hostnames are names, never paths
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            exchange(staging, out)  # the old site (if any) is now at `staging`, removed below
        finally:
            if staging.exists():
                shutil.rmtree(staging)

"""`schoolnet report`: what the site says, that it says it the same way twice, and that it is written whole.

What a browser makes of it (console, requests, the rack drawing, the ledger's filter, links) is in
test_report_browser.py."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, invoke
from tests.report_site import reference_repository, write_site

FORGE = "https://forge.example.org/nx/schoolnet"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_repository(tmp_path_factory.mktemp("repo"), forge=FORGE)


@pytest.fixture(scope="module")
def site(repository: Path) -> Path:
    code, output = write_site(repository, repository / "site")
    assert code == 0, output
    assert "✓ report:" in output and "2,300 tablets" in output
    return repository / "site"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _school_file(school_id: str) -> Path:
    return next((ROOT / "inventory" / "schools").glob(f"*/{school_id}.yaml"))


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_every_district_school_and_site_has_a_page(site: Path) -> None:
    schools = sorted(p.stem for p in (ROOT / "inventory" / "schools").glob("*/*.yaml"))
    assert len(schools) == 216
    assert sorted(p.stem for p in (site / "schools").glob("*.html")) == schools
    assert len(list((site / "districts").glob("*.html"))) == 8
    assert (site / "datacenter" / "nx-dc1.html").is_file()
    for page in ("index.html", "topology.html", "tablets.html", "deploys.html"):
        assert (site / page).is_file()


def test_overview_counts_against_the_programme_targets(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'id="count-schools">216<', page) and re.search(r'id="count-tablets">2300<', page)
    # no error; the only findings are SN612's 22 warnings, the question the reference data raises (a school whose
    # devices are active while its uplink is planned or being provisioned)
    listed = re.findall(r'<li class="(\w+)"><code>[^<]*</code> \w+ (SN\d+) ', page)
    assert listed and {(severity, code) for severity, code in listed} == {("warning", "SN612")} and len(listed) == 22


def test_school_page_states_devices_addresses_tablets_files_and_last_deploy(site: Path, repository: Path) -> None:
    page = (site / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")
    school = yaml.safe_load(_school_file("nx-sad-001").read_text(encoding="utf-8"))
    for device in school["devices"]:
        assert f"<code>{device['serial']}</code>" in page and device["asset_tag"] in page
    for tablet in school["tablets"]:
        assert f"<code>{tablet['serial']}</code>" in page
        if "handover" in tablet:
            assert tablet["handover"]["certificate"] in page
    ledger = yaml.safe_load((ROOT / "inventory" / "ipam.yaml").read_text(encoding="utf-8"))
    assert f'id="prefix">{ledger["allocations"]["nx-sad-001"]}<' in page
    assert "ARA-SAD-0001-FTTB" in page and "10.66.0.11" in page  # an uplink; the first switch's address
    manifest = json.loads((repository / "build" / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["hosts"]["nx-sad-001-edge"]["files"]
    assert len(files) > 5 and all(f'<code class="digest">{f["sha256"]}</code>' in page for f in files)
    # the newer of the two runs in the log is the last deploy of nx-sad-001-edge
    row = page[page.index('id="dev-nx-sad-001-edge"'):].split("</tr>")[0]
    assert "unchanged" in row and "2026-11-21T10:30:00+00:00" in row and "2222222222" in row


def test_every_fact_links_to_its_file_and_line_on_the_forge(site: Path) -> None:
    page = (site / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")
    path = _school_file("nx-sad-001")
    relative = path.relative_to(ROOT).as_posix()
    school = yaml.safe_load(path.read_text(encoding="utf-8"))
    serial = school["tablets"][3]["serial"]
    line = _line_of(path, f"serial: {serial}") - 1  # the tablet's entry starts at its `- slot:` line
    row = page[page.index(f'id="tablet-{serial}"'):].split("</tr>")[0]
    assert f'href="{FORGE}/blob/main/{relative}#L{line}">{relative}:{line}</a>' in row


def test_without_a_forge_the_source_is_a_repository_path(tmp_path: Path) -> None:
    repository = reference_repository(tmp_path / "repo")
    code, output = write_site(repository, tmp_path / "site", "--limit", "school:nx-sad-001")
    assert code == 0, output
    page = (tmp_path / "site" / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")
    assert '<span class="src">inventory/schools/sadarak/nx-sad-001.yaml:2</span>' in page
    assert "forge.example.org" not in page


def test_the_site_asks_nothing_of_the_network(site: Path) -> None:
    for name, data in _tree(site).items():
        if name.endswith((".html", ".css", ".js")):
            text = data.decode("utf-8")
            text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace name, never fetched
            loads = re.findall(r'(?:src|@import|url\()\s*=?\s*["\']?(https?:[^"\')\s]+)', text)
            links = [u for u in re.findall(r'href="(https?:[^"]+)"', text) if not u.startswith(FORGE)]
            assert not loads and not links, (name, loads[:3], links[:3])


def test_same_inventory_gives_byte_identical_site(repository: Path, site: Path, tmp_path: Path) -> None:
    code, output = write_site(repository, tmp_path / "again")
    assert code == 0, output
    assert _tree(tmp_path / "again") == _tree(site)


def test_csv_exports_hold_every_tablet_device_and_circuit_in_a_fixed_column_order(site: Path) -> None:
    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO((site / "csv" / name).read_text(encoding="utf-8"))))

    tablets = rows("tablets.csv")
    assert list(tablets[0]) == ["district", "school", "slot", "serial", "model", "mac", "status", "asset_tag",
                                "certificate", "handover_date", "received_by", "address", "source"]
    assert len(tablets) == 2300 and len({t["serial"] for t in tablets}) == 2300
    devices = rows("devices.csv")
    assert list(devices[0])[:4] == ["site", "district", "hostname", "kind"]
    assert {d["hostname"] for d in devices} >= {"nx-dc1-vpn-01", "nx-sad-001-edge", "nx-sad-001-sw1"}
    vpn = next(d for d in devices if d["hostname"] == "nx-dc1-vpn-01")
    assert (vpn["rack"], vpn["position"]) == ("r01", "33")
    circuits = rows("circuits.csv")
    assert list(circuits[0]) == ["site", "district", "provider", "circuit_id", "bandwidth_mbps", "status",
                                 "purpose", "source"]
    assert any(c["circuit_id"] == "ARA-SAD-0001-ADSL" and c["status"] == "decommissioned" for c in circuits)


def test_deploy_history_lists_every_run_newest_first(site: Path) -> None:
    page = (site / "deploys.html").read_text(encoding="utf-8")
    assert page.index("2026-11-21T10:30:00") < page.index("2026-11-20T09:00:00")
    for expected in ("rauf", "aysel", "district:sadarak", "ssh: connection refused", "dirty",
                     "deploys/log.jsonl:2"):
        assert expected in page


def test_limit_writes_only_the_selected_scope(repository: Path, tmp_path: Path) -> None:
    code, output = write_site(repository, tmp_path / "sadarak", "--limit", "district:sadarak")
    assert code == 0, output
    schools = sorted(p.stem for p in (tmp_path / "sadarak" / "schools").glob("*.html"))
    assert schools and all(s.startswith("nx-sad-") for s in schools)
    assert [p.stem for p in (tmp_path / "sadarak" / "districts").glob("*.html")] == ["sadarak"]
    assert not (tmp_path / "sadarak" / "datacenter").exists()
    assert "Limited to district:sadarak." in (tmp_path / "sadarak" / "index.html").read_text(encoding="utf-8")


def test_validation_problems_are_listed_and_make_exit_1(inventory: Path, tmp_path: Path) -> None:
    school = next((inventory / "schools").glob("*/*.yaml"))
    text = school.read_text(encoding="utf-8")
    school.write_text(text.replace("students:", "students: -5\n_students:", 1), encoding="utf-8")
    code, output = invoke("report", "--inventory", str(inventory), "--out", str(tmp_path / "site"))
    assert code == 1 and "SN" in output and "Traceback" not in output
    assert not (tmp_path / "site").exists()  # a fleet that does not load is not reported


def test_a_rule_problem_is_on_the_overview(inventory: Path, tmp_path: Path) -> None:
    programme = inventory / "programme.yaml"
    programme.write_text(re.sub(r"(expected:\n\s+schools: )\d+", r"\g<1>999", programme.read_text()),
                         encoding="utf-8")
    code, output = invoke("report", "--inventory", str(inventory), "--out", str(tmp_path / "site"))
    assert code == 1, output
    rule = re.search(r"error (SN\d+) ([a-z-]+):", output)
    assert rule, output
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert f"{rule.group(1)} {rule.group(2)}" in page and "programme.yaml:" in page


def test_unsafe_names_are_never_written_as_pages(inventory: Path, tmp_path: Path) -> None:
    datacenter = next((inventory / "datacenter").glob("*.yaml"))
    text = datacenter.read_text(encoding="utf-8")
    hostname = re.search(r"hostname: (\S+)", text)
    assert hostname
    datacenter.write_text(text.replace(hostname.group(0), "hostname: ../../x", 1), encoding="utf-8")
    code, output = invoke("report", "--inventory", str(inventory), "--out", str(tmp_path / "site"))
    assert code == 1 and "SN50" in output
    assert not (tmp_path / "site").exists() and not (tmp_path / "x").exists()


def test_a_directory_that_is_not_a_report_is_never_replaced(repository: Path, tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine", encoding="utf-8")
    code, output = write_site(repository, precious)
    assert code == 1 and "is not a schoolnet report" in output and "Traceback" not in output
    assert [p.name for p in precious.iterdir()] == ["keep.txt"]


def test_a_failed_report_keeps_the_previous_site_and_leaves_nothing(repository: Path, tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(repository, copy, ignore=shutil.ignore_patterns("site"))
    code, output = write_site(copy, tmp_path / "site")
    assert code == 0, output
    before = _tree(tmp_path / "site")
    with (copy / "deploys" / "log.jsonl").open("a", encoding="utf-8") as log:
        log.write("{not json\n")
    code, output = write_site(copy, tmp_path / "site")
    assert code == 1 and "deploys/log.jsonl:3: not a deploy record" in output and "Traceback" not in output
    assert _tree(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "site"]  # no staging directory left


# (school, what its printed certificate holds: "current", "older" or nothing, what its page says of it)
CERTIFICATES = [
    ("nx-sad-001", "current", "printed"),
    ("nx-sad-002", "older", "from an earlier version of the school's file"),
    ("nx-sad-003", None, "not printed: print it with <code>schoolnet handover nx-sad-003</code>"),
]


def test_a_school_page_shows_and_links_its_acceptance_certificate(repository: Path, tmp_path: Path) -> None:
    import hashlib

    from schoolnet.handover.certificate import certificate_number
    handover = tmp_path / "handover"
    handover.mkdir()
    numbers = {}
    for school, printed, _ in CERTIFICATES:
        digest = hashlib.sha256(next((repository / "inventory/schools").glob(f"*/{school}.yaml")).read_bytes())
        numbers[school] = certificate_number("NX-AC", school, digest.hexdigest())
        if printed:
            number = numbers[school] if printed == "current" else f"NX-AC-{school.upper()}-00000000"
            (handover / f"{school}.html").write_text(f"<!DOCTYPE html><title>{number}: acceptance certificate, "
                                                     "x</title>", encoding="utf-8")
            (handover / f"{school}.pdf").write_bytes(b"%PDF-1.4\n")
    code, output = write_site(repository, tmp_path / "site", "--handover", str(handover))
    assert code == 0, output
    for school, printed, said in CERTIFICATES:
        page = (tmp_path / "site" / "schools" / f"{school}.html").read_text(encoding="utf-8")
        section = page[page.index('<dl class="facts" id="certificate">'):]
        section = section[:section.index("</dl>")]
        assert f"<code>{numbers[school]}</code>" in section
        dates = sorted(str(t["handover"]["date"]) for t in yaml.safe_load(_school_file(school).read_text())["tablets"]
                       if "handover" in t)
        span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        assert f"<dt>Date of handover</dt><dd>{span}</dd>" in section
        assert said in section
        if printed:
            assert f'href="../../handover/{school}.pdf"' in section, "relative, from site/schools/"
        else:
            assert "href" not in section


def test_progress_shows_at_a_terminal_and_not_in_a_log(repository: Path, tmp_path: Path) -> None:
    from tests.conftest import SCHOOLNET
    from tests.test_handover import _on_a_terminal
    command = [SCHOOLNET, "report", "--inventory", str(repository / "inventory"), "--build",
               str(repository / "build")]
    terminal = _on_a_terminal([*command, "--out", str(tmp_path / "a")], tmp_path)
    assert "written (school pages) 216/216" in terminal, terminal
    import subprocess
    logged = subprocess.run([*command, "--out", str(tmp_path / "b")], capture_output=True, text=True, timeout=300)
    assert logged.returncode == 0, logged.stderr
    assert "school pages" not in logged.stderr and "\r" not in logged.stderr


def test_observations_give_last_seen_and_each_schools_differences(repository: Path, tmp_path: Path) -> None:
    """`--observed ENV`: when each device and tablet was last seen, and observed against declared per school."""
    from schoolnet.observe.snapshot import save
    from schoolnet.validate import load_for_action
    from tests.test_reconcile import agreeing

    fleet = load_for_action(repository / "inventory")
    snapshot = agreeing(fleet)
    snapshot.observations["nx-sad-001-sw2"].facts["serial"] = "2102999999SWAPPED0001"
    save(repository, snapshot)
    code, output = write_site(repository, tmp_path / "site", "--observed", "lab")
    assert code == 0, output
    page = (tmp_path / "site" / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")
    differences = page[page.index('id="differences"'):page.index("<h2>Tablets</h2>")]
    line = next(n for n, text in enumerate(_school_file("nx-sad-001").read_text().splitlines(), 1)
                if "2102845752P3DLKSTDPA" in text)
    assert "<code>SN951</code> hardware-differs" in differences
    assert f"inventory/schools/sadarak/nx-sad-001.yaml:{line}" in differences
    tablet = fleet.schools_by_id["nx-sad-001"].tablets[0]
    row = page[page.index(f'id="tablet-{tablet.serial}"'):]
    assert "2026-12-01 09:00 UTC" in row[:row.index("</tr>")]
    assert '<tr id="dev-nx-sad-001-sw2">' in page and "<th>Last seen</th>" in page
    other = (tmp_path / "site" / "schools" / "nx-sad-002.html").read_text(encoding="utf-8")
    assert '<span class="muted">never</span>' in other and "Nothing of this school was observed" in other
    snapshot.observations.pop("nx-sad-001-sw2")
    assert "No difference: what was observed is what the inventory declares." in \
        _observed_page(repository, tmp_path / "again", snapshot)
    ledger = (tmp_path / "site" / "tablets.html").read_text(encoding="utf-8")
    assert ledger.count("2026-12-01 09:00 UTC") == len(fleet.schools_by_id["nx-sad-001"].tablets)
    code, output = write_site(repository, tmp_path / "plain")
    assert code == 0, output  # without --observed, nothing of the observations
    assert "Last seen" not in (tmp_path / "plain" / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")
    code, output = write_site(repository, tmp_path / "nowhere", "--observed", "staging")
    assert code == 2 and "--observed staging: nothing observed there yet" in output, output


def _observed_page(repository: Path, out: Path, snapshot: object) -> str:
    from schoolnet.observe.snapshot import Snapshot, save

    assert isinstance(snapshot, Snapshot)
    snapshot.taken_at = snapshot.taken_at.replace(hour=10)  # the newer run
    save(repository, snapshot)
    code, output = write_site(repository, out, "--observed", "lab")
    assert code == 0, output
    return (out / "schools" / "nx-sad-001.html").read_text(encoding="utf-8")

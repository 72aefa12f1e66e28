"""`schoolnet handover`: acceptance certificates printed by a real headless Chromium, read back with pdftotext."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from schoolnet.handover.certificate import _css_string
from schoolnet.handover.chromium import ChromiumError, Printer, print_pdfs
from tests.conftest import ROOT, invoke

REFERENCE = ROOT / "inventory"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def school_file(inventory: Path, school: str) -> Path:
    return next(inventory.glob(f"schools/*/{school}.yaml"))


def without_parties(inventory: Path) -> Path:
    """The programme's `handover:` section (who signs) taken out."""
    programme = inventory / "programme.yaml"
    programme.write_text(re.sub(r"(?m)^handover:\n(?:[ #].*\n|\n)*", "", programme.read_text()))
    return inventory


@pytest.mark.parametrize("school", ["nx-sad-001", "nx-shr-046"])  # Huawei and Cisco lots; 20 and 22 tablets
def test_the_pdf_lists_every_serial_of_the_school_and_where_it_came_from(school: str, tmp_path: Path) -> None:
    code, output = invoke("handover", school, "--inventory", str(REFERENCE), "--out", str(tmp_path / "out"),
                          "--date", "2026-09-01")
    assert code == 0, output
    pdf = tmp_path / "out" / f"{school}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    source = school_file(REFERENCE, school)
    data = yaml.safe_load(source.read_text())
    programme = yaml.safe_load((REFERENCE / "programme.yaml").read_text())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    number = f"NX-AC-{school.upper()}-{digest[:8].upper()}"
    assert number in output
    expected = [number, digest, str(source.relative_to(ROOT)), data["name"], data["address"], "2026-09-01",
                programme["name"], programme["handover"]["handing_over"]["role"],
                programme["handover"]["handing_over"]["organisation"], programme["handover"]["receiving"]["role"],
                "SYNTHETIC DATA"]
    expected += [d["serial"] for d in data["devices"]] + [d["asset_tag"] for d in data["devices"]]
    expected += [t["serial"] for t in data["tablets"]]
    expected += [t["handover"]["certificate"] for t in data["tablets"] if "handover" in t]
    expected += [u["circuit_id"] for u in data["uplinks"]]
    words = " ".join(text.split())  # a long value may wrap in its cell; a serial never may (it would gain a space)
    missing = [value for value in expected if value not in words]
    assert not missing, f"not in the PDF's text: {missing}"
    assert len(data["tablets"]) >= 20 and len(data["devices"]) >= 5


def test_the_html_asks_nothing_of_the_network_and_a_reprint_with_a_date_is_identical(tmp_path: Path) -> None:
    pages = []
    for run in ("one", "two"):
        code, output = invoke("handover", "nx-sad-001", "--inventory", str(REFERENCE), "--out", str(tmp_path / run),
                              "--date", "2026-09-01")
        assert code == 0, output
        pages.append((tmp_path / run / "nx-sad-001.html").read_bytes())
    assert pages[0] == pages[1]
    html = pages[0].decode()
    assert not re.search(r"https?:|//[a-z]|@import|url\(|<script|<img|<link", html, re.IGNORECASE)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "size: A4" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # nothing left beside: no staging


def test_the_certificate_names_the_commit_only_while_the_file_is_committed_unchanged(
        inventory: Path, tmp_path: Path) -> None:
    git = ["git", "-C", str(tmp_path), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "inventory"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "inventory"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()

    assert invoke("handover", "nx-sad-001", "--date", "2026-09-01")[0] == 0
    first = (tmp_path / "handover" / "nx-sad-001.html").read_text()
    assert commit in first and "SYNTHETIC DATA" in first

    source = school_file(inventory, "nx-sad-001")
    source.write_text(source.read_text().replace("students:", "# a survey correction\nstudents:"))
    code, output = invoke("handover", "nx-sad-001", "--date", "2026-09-01")
    assert code == 0, output
    second = (tmp_path / "handover" / "nx-sad-001.html").read_text()
    assert commit not in second and "not committed as printed" in second
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert f"NX-AC-NX-SAD-001-{digest[:8].upper()}" in second  # an edited file is a new certificate


def test_all_writes_every_school_and_an_index_and_replaces_the_directory_whole(inventory: Path,
                                                                              tmp_path: Path) -> None:
    schools = sorted(p.stem for p in inventory.glob("schools/*/*.yaml"))
    code, output = invoke("handover", "--all", "--date", "2026-09-01")
    assert code == 0, output
    assert "printed" not in output, "progress is for a terminal (test_all_shows_progress_at_a_terminal_...)"
    out = tmp_path / "handover"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".schoolnet-handover", "index.html", *(f"{s}.html" for s in schools), *(f"{s}.pdf" for s in schools)])
    index = (out / "index.html").read_text()
    for school in schools:
        assert f'href="{school}.pdf"' in index
        assert (out / f"{school}.pdf").read_bytes().startswith(b"%PDF-")
    serials = [t["serial"] for t in yaml.safe_load(school_file(inventory, schools[-1]).read_text())["tablets"]]
    assert all(serial in pdf_text(out / f"{schools[-1]}.pdf") for serial in serials)

    # One school again, another day: only its two files change; the others and the index stay.
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(schools[0])}
    assert invoke("handover", schools[0], "--date", "2026-09-02")[0] == 0
    assert "2026-09-02" in (out / f"{schools[0]}.html").read_text()
    assert {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(schools[0])} == before

    # --all replaces the directory whole, so it refuses one that holds anything else, whatever it is called, and
    # changes nothing; so does one school's certificate
    for mine in ("notes.txt", "contract.pdf", "old-report.html"):
        (out / mine).write_text("mine")
        for args in (("--all",), (schools[0],)):
            code, output = invoke("handover", *args, "--date", "2026-09-03")
            assert code == 1 and mine in output and "Traceback" not in output, output
        assert (out / mine).read_text() == "mine"
        (out / mine).unlink()
    assert "2026-09-03" not in (out / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging left


def test_certificates_go_only_where_certificate_runs_wrote(inventory: Path, tmp_path: Path) -> None:
    """A directory of the user's own files (no certificate run's marker) is refused, and nothing in it is touched,
    even files named like certificates."""
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "nx-ord-001.pdf").write_bytes(b"my own scan")
    (mine / "letter.html").write_text("<p>mine</p>")
    for args in (("--all",), ("nx-ord-001",)):
        code, output = invoke("handover", *args, "--out", str(mine))
        assert code == 1 and "no certificate run wrote" in output and "Traceback" not in output, output
    assert sorted(p.name for p in mine.iterdir()) == ["letter.html", "nx-ord-001.pdf"]
    assert (mine / "nx-ord-001.pdf").read_bytes() == b"my own scan"


def test_the_certificate_is_the_same_from_any_directory(inventory: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The file it names and the commit it prints do not depend on where the command runs."""
    made = []
    for where in (inventory.parent, inventory / "schools", tmp_path.parent):
        monkeypatch.chdir(where)
        out = tmp_path / f"out-{len(made)}"
        code, output = invoke("handover", "nx-ord-001", "--inventory", str(inventory), "--out", str(out),
                              "--date", "2026-09-01")
        assert code == 0, output
        made.append((out / "nx-ord-001.html").read_text())
    assert made[0] == made[1] == made[2]
    assert "inventory/schools/ordubad/nx-ord-001.yaml" in made[0]


def test_an_unknown_school_is_one_line_with_the_closest_ids_and_writes_nothing(tmp_path: Path) -> None:
    code, output = invoke("handover", "nx-sda-001", "--inventory", str(REFERENCE), "--out", str(tmp_path / "out"))
    assert code == 1
    assert output.strip().count("\n") == 0 and "Traceback" not in output
    assert "no school is called 'nx-sda-001'" in output and "nx-sad-001" in output
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke("handover", "--inventory", str(REFERENCE), "--out", str(tmp_path))[0] == 2
    assert invoke("handover", "nx-sad-001", "--all", "--inventory", str(REFERENCE), "--out", str(tmp_path))[0] == 2
    assert invoke("handover", "nx-sad-001", "--date", "1.9.2026", "--inventory", str(REFERENCE))[0] == 2


def test_a_programme_without_signatories_or_chromium_is_refused_in_one_line(inventory: Path, tmp_path: Path) -> None:
    original = (inventory / "programme.yaml").read_text()
    without_parties(inventory)
    code, output = invoke("handover", "nx-sad-001")
    assert code == 1 and "inventory/programme.yaml" in output and "handover:" in output
    assert not (tmp_path / "handover").exists()

    (inventory / "programme.yaml").write_text(original)
    code, output = invoke("handover", "nx-sad-001", env={"SCHOOLNET_CHROMIUM": str(tmp_path / "no-chromium")})
    assert code == 1 and "apt-get install chromium" in output and output.strip().count("\n") == 0
    assert not (tmp_path / "handover").exists()


def test_inventory_values_stay_text_in_the_html_and_its_css(inventory: Path, tmp_path: Path) -> None:
    programme = inventory / "programme.yaml"
    programme.write_text(programme.read_text().replace("certificate_prefix: NX-AC", "certificate_prefix: 'NX\"AC'"))
    source = school_file(inventory, "nx-sad-001")
    text = source.read_text()
    source.write_text(re.sub(r"(?m)^name: .*$", "name: 'School <b>1</b> & \"</style><script>x</script>\"'", text))
    code, output = invoke("handover", "nx-sad-001", "--date", "2026-09-01")
    assert code == 0, output
    html = (tmp_path / "handover" / "nx-sad-001.html").read_text()
    assert "<b>" not in html and "<script>" not in html and "&lt;b&gt;1&lt;/b&gt; &amp;" in html
    assert html.count("</style>") == 1 and '"NX\\000022AC-NX-SAD-001-' in html
    assert "School <b>1</b>" in pdf_text(tmp_path / "handover" / "nx-sad-001.pdf")  # printed as written


def test_css_strings_cannot_end_the_string_or_the_style_sheet() -> None:
    value = _css_string('a"b\\c</style>\n')
    assert value.startswith('"') and value.endswith('"')
    assert not re.search(r'["<>\n]', value[1:-1]) and value.count("\\") == 6


def test_the_date_is_today_in_utc_unless_given(tmp_path: Path) -> None:
    before = datetime.now(UTC).date()
    code, output = invoke("handover", "nx-sad-002", "--inventory", str(REFERENCE), "--out", str(tmp_path))
    assert code == 0, output
    html = (tmp_path / "nx-sad-002.html").read_text()
    assert f"dated {before.isoformat()}" in html or f"dated {datetime.now(UTC).date().isoformat()}" in html


def test_several_chromiums_print_side_by_side_from_one_list(tmp_path: Path) -> None:
    pages = []
    for number in range(24):
        html = tmp_path / f"page-{number}.html"
        html.write_text(f"<!DOCTYPE html><title>{number}</title><p>page PAGE-{number:03d}</p>")
        pages.append((html, tmp_path / f"page-{number}.pdf"))
    seen: list[int] = []
    print_pdfs(pages, jobs=2, progress=seen.append)
    assert seen == list(range(1, 25))
    for number, (_, pdf) in enumerate(pages):
        assert f"PAGE-{number:03d}" in pdf_text(pdf)


def test_a_page_that_never_loads_fails_in_time_and_chromium_is_gone(tmp_path: Path) -> None:
    hung = tmp_path / "hung.html"
    hung.write_text("<!DOCTYPE html><script>for (;;) {}</script>")
    running = Printer(timeout=2)
    group = running._process.pid
    with running, pytest.raises(ChromiumError, match=r"did not answer within 2 s \(loading .*hung.html\)"):
        running.print_pdf(hung, tmp_path / "hung.pdf")
    assert running._process.poll() is not None and not (tmp_path / "hung.pdf").exists()
    assert not running._profile.exists()
    with pytest.raises(ProcessLookupError):  # nothing of that Chromium is left, helpers included
        for _ in range(50):
            os.killpg(group, 0)
            time.sleep(0.1)


def _handover_dates(inventory: Path, school: str) -> list[str]:
    data = yaml.safe_load(school_file(inventory, school).read_text())
    return sorted(str(t["handover"]["date"]) for t in data["tablets"] if "handover" in t)


def _one_date(inventory: Path) -> Path:
    """nx-sad-002's tablets all handed over on one day."""
    path = school_file(inventory, "nx-sad-002")
    path.write_text(re.sub(r"date: \d{4}-\d{2}-\d{2}", "date: 2025-09-17", path.read_text()))
    return inventory


def _none_handed_over(inventory: Path) -> Path:
    """nx-sad-002's tablets all back in stock, with no handover record."""
    path = school_file(inventory, "nx-sad-002")
    text = re.sub(r"(?m)^    handover: .*\n", "", path.read_text())
    path.write_text(text.replace("status: handed_over", "status: in_stock"))
    return inventory


# (how the school's file is edited, the "Date of handover" the paper reads): from the records, never today.
HANDOVER_DATES = [
    ("several days: the first to the last", lambda inventory: inventory, None),
    ("one day", _one_date, "2025-09-17"),
    ("no tablet handed over", _none_handed_over, "not handed over: no tablet has a handover record"),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in HANDOVER_DATES], ids=[c[0] for c in HANDOVER_DATES])
def test_the_date_of_handover_comes_from_the_tablets_records_never_from_today(
        make: Callable[[Path], Path], expected: str | None, tmp_path: Path) -> None:
    import shutil
    inventory = tmp_path / "inventory"
    shutil.copytree(REFERENCE, inventory, ignore=shutil.ignore_patterns("lab.yaml"))
    make(inventory)
    if expected is None:
        dates = _handover_dates(inventory, "nx-sad-002")
        assert dates[0] != dates[-1], "the reference school's tablets were handed over on several days"
        expected = f"{dates[0]} to {dates[-1]}"
    code, output = invoke("handover", "nx-sad-002", "--inventory", str(inventory), "--out", str(tmp_path / "out"),
                          "--date", "2026-12-24")
    assert code == 0, output
    words = " ".join(pdf_text(tmp_path / "out" / "nx-sad-002.pdf").split())
    assert f"Date of handover {expected}" in words
    assert "Date of handover 2026-12-24" not in words and datetime.now(UTC).date().isoformat() not in words


def _on_a_terminal(args: list[str], cwd: Path) -> str:
    """What the command writes to a pseudo-terminal (stdout and stderr both)."""
    import pty
    import select
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=120)
    os.close(leader)
    return seen.decode(errors="replace")


def test_all_shows_progress_at_a_terminal_and_none_in_a_log(tmp_path: Path) -> None:
    from tests.conftest import SCHOOLNET, generate
    inventory = generate(tmp_path / "programme" / "inventory", 12, 24)
    command = [SCHOOLNET, "handover", "--all", "--inventory", str(inventory), "--date", "2026-09-01", "--jobs", "1"]
    terminal = _on_a_terminal([*command, "--out", str(tmp_path / "a")], tmp_path)
    assert "printed 12/12" in terminal, terminal
    logged = subprocess.run([*command, "--out", str(tmp_path / "b")], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert logged.returncode == 0, logged.stderr
    assert "printed" not in logged.stderr and "\r" not in logged.stderr

"""The report in a real browser: Debian's headless Chromium, driven by Playwright.

The site is served on 127.0.0.1 by a static web server and also opened from the file system; every
request the browser makes is watched, and any that leaves the site fails the test.  Screenshots are
kept in the test's temporary directory."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
import yaml
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ROOT, invoke
from tests.report_site import reference_repository, write_site

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, installed by `make test`'s set-up
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repository = reference_repository(tmp_path_factory.mktemp("repo"))
    code, output = invoke("handover", "nx-sad-001", "--inventory", str(repository / "inventory"), "--out",
                          str(repository / "handover"), "--date", "2026-09-01")
    assert code == 0, output  # one printed certificate beside the site, as `schoolnet handover` writes it
    code, output = write_site(repository, repository / "site")
    assert code == 0, output
    return repository / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site from a plain static web server on loopback."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


class Visit:
    """A page opened with every console message, failed request and outside request recorded."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 else None)
        self.page.on("request", lambda r: self.outside.append(r.url)
                     if not (r.url.startswith(base) or r.url.startswith("data:")) else None)

    def open(self, url: str, shot: Path) -> Page:
        self.page.goto(url, wait_until="load")
        self.page.screenshot(path=str(shot), full_page=False)
        assert not self.errors, self.errors
        assert not self.outside, f"requests outside the site: {self.outside}"
        return self.page


@pytest.mark.parametrize("page", ["index.html", "schools/nx-sad-001.html", "datacenter/nx-dc1.html",
                                  "topology.html", "tablets.html", "deploys.html"])
def test_page_loads_clean_from_a_web_server(browser: Browser, served: str, page: str, tmp_path: Path) -> None:
    visit = Visit(browser, served)
    opened = visit.open(served + page, tmp_path / (page.replace("/", "-") + ".png"))
    assert opened.locator("main h1").count() == 1
    assert (tmp_path / (page.replace("/", "-") + ".png")).stat().st_size > 10_000


def test_pages_load_clean_from_the_file_system(browser: Browser, site: Path, tmp_path: Path) -> None:
    base = site.as_uri() + "/"
    visit = Visit(browser, base)
    for number, page in enumerate(["index.html", "schools/nx-sad-001.html", "datacenter/nx-dc1.html"]):
        opened = visit.open(base + page, tmp_path / f"file-{number}.png")
        assert opened.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") \
            == "rgb(18, 50, 79)"  # the local stylesheet applied


def test_rack_elevation_draws_each_device_at_its_units(browser: Browser, served: str, tmp_path: Path) -> None:
    datacenter = yaml.safe_load((ROOT / "inventory" / "datacenter" / "nx-dc1.yaml").read_text(encoding="utf-8"))
    catalog = {m["id"]: m for m in yaml.safe_load((ROOT / "inventory" / "hardware.yaml").read_text())["models"]}
    page = Visit(browser, served).open(served + "datacenter/nx-dc1.html", tmp_path / "racks.png")
    for rack in datacenter["racks"]:
        svg = page.locator(f'svg.rack[data-rack="{rack["name"]}"]')
        frame = svg.locator("rect.frame").bounding_box()
        assert frame
        unit = frame["height"] / rack["u_height"]
        mounted = [d for d in datacenter["devices"] if d.get("rack") == rack["name"] and "position" in d]
        assert svg.locator("g.device").count() == len(mounted) > 0
        for device in mounted:
            height = catalog[device["model"]]["u_height"]
            drawn = svg.locator(f'g.device[data-hostname="{device["hostname"]}"] rect').bounding_box()
            assert drawn, device["hostname"]
            # U1 is the bottom unit: the device's top edge sits below (units - its top unit) units of frame
            top_unit = device["position"] + height - 1
            assert drawn["y"] - frame["y"] == pytest.approx((rack["u_height"] - top_unit) * unit, abs=2)
            assert drawn["height"] == pytest.approx(height * unit, abs=3)
            tip = svg.locator(f'g.device[data-hostname="{device["hostname"]}"] > title').text_content()
            assert tip and device["serial"] in tip and device["asset_tag"] in tip


def test_tablet_filter_narrows_the_ledger_to_one_serial(browser: Browser, served: str, tmp_path: Path) -> None:
    page = Visit(browser, served).open(served + "tablets.html", tmp_path / "ledger.png")
    rows = page.locator("#ledger tbody tr")
    assert rows.count() == 2300
    assert page.locator("#shown").text_content() == "2300 of 2300 tablets"
    school = yaml.safe_load(next((ROOT / "inventory" / "schools").glob("*/nx-sad-001.yaml")).read_text())
    serial = school["tablets"][3]["serial"]
    page.fill("#f-serial", serial)
    visible = page.locator("#ledger tbody tr:not([hidden])")
    assert visible.count() == 1 and serial in (visible.first.text_content() or "")
    assert page.locator("#shown").text_content() == "1 of 2300 tablets"
    page.fill("#f-serial", "")
    page.select_option("#f-district", "sadarak")
    page.select_option("#f-status", "in_stock")
    sadarak = [yaml.safe_load(p.read_text()) for p in (ROOT / "inventory" / "schools" / "sadarak").glob("*.yaml")]
    expected = sum(1 for s in sadarak for t in s["tablets"] if t["status"] == "in_stock")
    assert visible.count() == expected > 0
    page.screenshot(path=str(tmp_path / "ledger-filtered.png"))


def test_topology_colours_each_school_by_its_uplink(browser: Browser, served: str, tmp_path: Path) -> None:
    page = Visit(browser, served).open(served + "topology.html", tmp_path / "topology.png")
    assert page.locator("svg.topology g.school").count() == 216
    school = yaml.safe_load(next((ROOT / "inventory" / "schools").glob("*/nx-sad-001.yaml")).read_text())
    status = next(u["status"] for u in school["uplinks"] if u["status"] != "decommissioned")
    drawn = page.locator('g.school[data-school="nx-sad-001"]')
    assert drawn.get_attribute("data-uplink-status") == status
    assert drawn.locator("line").get_attribute("stroke") == "#2e7d32"  # active: green
    drawn.click()
    assert page.url.endswith("/schools/nx-sad-001.html")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def test_every_internal_link_resolves(site: Path) -> None:
    parsed: dict[Path, _Links] = {}

    def parse(page: Path) -> _Links:
        if page not in parsed:
            parser = _Links()
            parser.feed(page.read_text(encoding="utf-8"))
            parsed[page] = parser
        return parsed[page]

    pages = sorted(site.rglob("*.html"))
    checked = 0
    for page in pages:
        for link in parse(page).links:
            if urlsplit(link).scheme in ("http", "https", "data"):
                continue
            target, fragment = urldefrag(link)
            path = (page.parent / unquote(target)).resolve() if target else page
            inside = site in path.parents or path.parent == site.parent / "handover"  # a printed certificate
            assert path.is_file() and inside, f"{page.relative_to(site)}: {link} does not resolve"
            if fragment and path.suffix == ".html":
                assert unquote(fragment) in parse(path).ids, f"{page.relative_to(site)}: {link}: no such anchor"
            checked += 1
    assert len(pages) == 229 and checked > 5_000  # every page's navigation, every school, tablet and device link


def test_a_school_page_shows_its_certificate_and_links_the_printed_paper(site: Path, browser: Browser) -> None:
    import hashlib
    school = site.parent / "inventory" / "schools" / "sadarak"
    number = f"NX-AC-NX-SAD-001-{hashlib.sha256((school / 'nx-sad-001.yaml').read_bytes()).hexdigest()[:8].upper()}"
    page = browser.new_page()
    try:
        for name, status in (("nx-sad-001", "printed"), ("nx-sad-002", "not printed")):
            page.goto((site / "schools" / f"{name}.html").as_uri())
            certificate = page.locator("#certificate")
            assert certificate.is_visible()
            text = " ".join(certificate.inner_text().split())
            assert "Date of handover" in text and f"Status {status}" in text, text
        page.goto((site / "schools" / "nx-sad-001.html").as_uri())
        assert number in page.locator("#certificate").inner_text()
        href = page.locator("#certificate a").evaluate("a => a.href")
        assert href == (site.parent / "handover" / "nx-sad-001.pdf").as_uri()
        assert (site.parent / "handover" / "nx-sad-001.pdf").read_bytes().startswith(b"%PDF-")
    finally:
        page.close()

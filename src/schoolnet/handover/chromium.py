"""HTML to PDF through Debian's headless Chromium: a real layout and print engine, not hand-made PDF.

One Chromium prints every page of a run.  It is started once with `--remote-debugging-pipe`
(the DevTools protocol over two inherited pipes, fds 3 and 4: no port is opened), and one tab
is navigated to each `file://` page in turn and asked for `Page.printToPDF`.  Starting a
Chromium costs about 0.6 s; a page in a running one about 0.1 s, so `handover --all` takes
seconds, not minutes.

Chromium runs with a new, empty profile, without sandbox (root, containers), GPU, QUIC, sync,
component updates or background networking, and with every host name resolving to nothing:
it loads the local file and nothing else.  It is started as an argument vector, never through
a shell, and every answer is awaited with a deadline.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

ENV_VAR = "SCHOOLNET_CHROMIUM"
DEFAULT = Path("/usr/bin/chromium")
INSTALL_HINT = "apt-get install chromium"
TIMEOUT = 60.0  # seconds for Chromium to start, or to load and print one page
MAX_JOBS = 4
PAGES_PER_PRINTER = 10  # fewer pages than this per Chromium, and starting another costs more than it saves

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: a stray request fails on this machine
)
PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}


class ChromiumError(RuntimeError):
    """Chromium is missing, failed or did not answer in time; the message is one line for a person."""


def find_chromium() -> Path:
    """$SCHOOLNET_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChromiumError(f"{ENV_VAR}={configured} is not an executable file "
                            f"(unset it to use {DEFAULT}, or {INSTALL_HINT})")
    if DEFAULT.is_file() and os.access(DEFAULT, os.X_OK):
        return DEFAULT
    found = shutil.which("chromium")
    if found:
        return Path(found)
    raise ChromiumError(f"Chromium is needed to print PDF and is not installed: {INSTALL_HINT} "
                        f"(or set {ENV_VAR} to its path)")


class Printer:
    """A running headless Chromium that prints local HTML files to PDF, one after another.

    Use as a context manager: Chromium is stopped (and its profile removed) on the way out,
    whatever happened.  Start printers from one thread (a child's file descriptors are arranged
    between fork and exec); a started printer may then work in a thread of its own."""

    def __init__(self, executable: Path | None = None, timeout: float = TIMEOUT) -> None:
        self.executable = executable or find_chromium()
        self.timeout = timeout
        self._profile = Path(tempfile.mkdtemp(prefix="schoolnet-chromium-"))
        self._log = self._profile / "stderr.log"
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self._session = ""
        self._process, self._to_chromium, self._from_chromium = self._start()
        try:  # one tab, reused for every page: a new tab costs a new renderer process
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=True)
        except BaseException:
            self.close()
            raise

    def _start(self) -> tuple[subprocess.Popen[bytes], int, int]:
        commands_read, commands_write = os.pipe()  # Chromium reads the protocol on fd 3 ...
        answers_read, answers_write = os.pipe()  # ... and writes its answers to fd 4

        def on_fds_3_and_4() -> None:  # in the child, before exec: copies above 9 first, as the pipes (or
            read_copy = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)  # free numbers) may be fds 3 and 4
            write_copy = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 10)
            os.dup2(read_copy, 3)
            os.dup2(write_copy, 4)

        argv = [str(self.executable), *FLAGS, f"--user-data-dir={self._profile / 'profile'}",
                "--remote-debugging-pipe", "about:blank"]
        try:
            with self._log.open("wb") as log:
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                           pass_fds=(3, 4), preexec_fn=on_fds_3_and_4,
                                           start_new_session=True)
        except OSError as exc:
            for descriptor in (commands_read, commands_write, answers_read, answers_write):
                os.close(descriptor)
            shutil.rmtree(self._profile, ignore_errors=True)
            raise ChromiumError(f"cannot start {self.executable}: {exc.strerror or exc} ({INSTALL_HINT})") from None
        os.close(commands_read)
        os.close(answers_write)
        return process, commands_write, answers_read

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def print_pdf(self, html: Path, pdf: Path) -> None:
        """Load `html` (a local file) and write its print rendering, A4 as its CSS asks, to `pdf`."""
        self._events.clear()
        navigated = self._call("Page.navigate", {"url": html.resolve().as_uri()}, session=True)
        if navigated.get("errorText"):
            raise ChromiumError(f"Chromium could not load {html}: {navigated['errorText']}")
        self._event("Page.loadEventFired", html)
        data = self._call("Page.printToPDF", PRINT, session=True)["data"]
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, TypeError):
            raise ChromiumError(f"Chromium answered no PDF for {html}") from None
        if not content.startswith(b"%PDF-"):
            raise ChromiumError(f"Chromium answered no PDF for {html}")
        pdf.write_bytes(content)

    def close(self) -> None:
        """Ask Chromium to quit, then make sure it did; remove its profile."""
        if self._process.poll() is None:
            try:
                self._send("Browser.close")
                self._process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._process.poll() is None:
            os.killpg(self._process.pid, 9)  # its own session: the wrapper script and every helper process
            self._process.wait()
        for descriptor in (self._to_chromium, self._from_chromium):
            with contextlib.suppress(OSError):  # closed already: close() may run twice
                os.close(descriptor)
        self._to_chromium = self._from_chromium = -1
        shutil.rmtree(self._profile, ignore_errors=True)

    # The protocol: JSON messages, each ended by a NUL byte.

    def _send(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_chromium, data):]
        except OSError:
            raise self._failure(f"Chromium stopped before {method}") from None
        return self._next_id

    def _call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline, method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise ChromiumError(f"Chromium refused {method}: {message['error'].get('message', message)}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self._events.append(message)

    def _event(self, method: str, html: Path) -> None:
        deadline = time.monotonic() + self.timeout
        while not any(m.get("method") == method and m.get("sessionId") == self._session for m in self._events):
            self._events.append(self._receive(deadline, f"loading {html}"))

    def _receive(self, deadline: float, doing: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chromium], [], [], left)[0]:
                raise self._failure(f"Chromium did not answer within {self.timeout:.0f} s ({doing})")
            chunk = os.read(self._from_chromium, 1 << 20)
            if not chunk:
                raise self._failure(f"Chromium stopped while {doing}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def _failure(self, message: str) -> ChromiumError:
        code = self._process.poll()
        if code is not None:
            message += f", exit code {code}"
        last = _last_line(self._log)
        return ChromiumError(f"{message}{': ' + last if last else ''}")


def _last_line(log: Path) -> str:
    """Chromium's last complaint on stderr, without the noise every headless start prints (D-Bus)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    useful = [line for line in lines if line.strip() and "dbus" not in line.lower()]
    return useful[-1].strip()[:300] if useful else ""


def print_pdfs(pages: Iterable[tuple[Path, Path]], executable: Path | None = None, timeout: float = TIMEOUT,
               progress: Callable[[int], None] | None = None, jobs: int | None = None) -> None:
    """Print each (html, pdf) pair; `progress(done)` after each page.

    Printing a page keeps about one core busy (Chromium lays it out, then composes the PDF), so up
    to `jobs` Chromiums (default: one per core, at most 4) print side by side, each fed from one
    list, when there are enough pages to pay for starting them (about 0.6 s each)."""
    todo = list(pages)
    if not todo:
        return
    workers = max(1, min(jobs or min(os.cpu_count() or 1, MAX_JOBS), len(todo) // PAGES_PER_PRINTER))
    printers: list[Printer] = []
    try:
        for _ in range(workers):  # started here, one after the other, before any thread
            printers.append(Printer(executable, timeout))
        if workers == 1:
            for done, (html, pdf) in enumerate(todo, 1):
                printers[0].print_pdf(html, pdf)
                if progress:
                    progress(done)
            return
        _print_side_by_side(printers, todo, progress)
    finally:
        for running in printers:
            running.close()


def _print_side_by_side(printers: list[Printer], todo: list[tuple[Path, Path]],
                        progress: Callable[[int], None] | None) -> None:
    lock, stop = threading.Lock(), threading.Event()
    queue = iter(todo)
    done = 0

    def work(running: Printer) -> None:
        nonlocal done
        while not stop.is_set():
            with lock:
                page = next(queue, None)
            if page is None:
                return
            running.print_pdf(*page)
            with lock:
                done += 1
                if progress:
                    progress(done)

    with ThreadPoolExecutor(len(printers), thread_name_prefix="chromium") as pool:
        futures = [pool.submit(work, running) for running in printers]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()  # the others finish the page in hand, then stop (Ctrl-C, or one printer failed)
            raise

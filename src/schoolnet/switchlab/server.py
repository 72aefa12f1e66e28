"""The lab switch over SSH: `switchlab.cli`'s command line served by paramiko's server side.

    python -m schoolnet.switchlab.server --listen 127.20.5.7 --port 22 --host-key KEY --state DIR \\
        --platform huawei-vrp|cisco-ios --hostname NAME --user admin --password-file FILE \\
        [--serial SERIAL] [--model MODEL] [--boot CONFIG] [--reject REGEX]...

One process is one switch, and the lab may start hundreds, so it imports little and idles
without waking up: the main thread blocks in accept() until SIGTERM, each connection gets a
paramiko transport thread, each channel a thread of its own.  It says `ready ADDRESS:PORT`
on stdout once it listens.  `STATE/saved.cfg` is the saved configuration (the switch boots
from it, else from `--boot`, else from a factory default) and is replaced whole on each save.
`STATE/observed.json`, written by whoever lays out the lab's topology, is what the switch sees on the
wire (LLDP neighbours, MACs, links: `switchlab.observed`), read again when it changes.
Loopback addresses only: the lab and the tests never listen elsewhere.
"""

from __future__ import annotations

import argparse
import codecs
import hmac
import ipaddress
import json
import logging
import re
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import NoReturn

if __name__ == "__main__":
    # paramiko's ssh_config support imports `invoke` (and asyncio, unittest.mock) when it is installed;
    # a switch never reads ssh_config, and without it starts in two thirds of the time and memory.
    sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_FAILED_RESOURCE_SHORTAGE,
    OPEN_SUCCEEDED,
)

from schoolnet.atomic import write_atomically
from schoolnet.switchlab.cli import PLATFORMS, PRINTING, Device, Session
from schoolnet.switchlab.observed import STATE_FILE, StateFile

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
ANSWER_TIMEOUT = 30.0  # an exec request's command asks a question: how long its answer may take
REQUEST_TIMEOUT = 30.0  # a channel opened and never asked for a shell or a command


class _Stop(Exception):
    """SIGTERM (or SIGINT) arrived: stop serving."""


@dataclass
class _Request:
    """What the client asked of one channel: a shell, or one command."""

    ready: threading.Event = field(default_factory=threading.Event)
    command: str | None = None
    pty: bool = False


class _Lines:
    """The switch's VTY lines: a command-line session takes one, and with every line busy a new session
    channel is refused (VRP's `user-interface vty 0 4` and IOS's `line vty 0 4` are five)."""

    def __init__(self, count: int) -> None:
        self.free = count
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.free <= 0:
                return False
            self.free -= 1
            return True

    def give_back(self) -> None:
        with self.lock:
            self.free += 1


class _Server(paramiko.ServerInterface):
    """Password authentication, as the switch's local users have it (the password file for a switch whose
    configuration names none, or with --login-from-file); session channels, one VTY each."""

    def __init__(self, user: str, password: str, lines: _Lines, logins: dict[str, str] | None) -> None:
        self.user = user.encode()
        self.password = password.encode()
        self.lines = lines
        self.logins = logins  # the device's local users and passwords; None: the password file only
        self.lock = threading.Lock()
        self.requests: dict[int, _Request] = {}

    def request(self, channel_id: int) -> _Request:
        with self.lock:
            return self.requests.setdefault(channel_id, _Request())

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        configured = (self.logins or {}).get(username)
        if configured is not None:
            return AUTH_SUCCESSFUL if hmac.compare_digest(password.encode(), configured.encode()) else AUTH_FAILED
        # both compared in constant time, and both always, so timing does not tell which was wrong
        good_user = hmac.compare_digest(username.encode(), self.user)
        good_password = hmac.compare_digest(password.encode(), self.password)
        return AUTH_SUCCESSFUL if good_user and good_password else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED if self.lines.take() else OPEN_FAILED_RESOURCE_SHORTAGE
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, channel: paramiko.Channel, term: bytes, width: int, height: int,
                                  pixelwidth: int, pixelheight: int, modes: bytes) -> bool:
        self.request(channel.get_id()).pty = True
        return True

    def check_channel_window_change_request(self, channel: paramiko.Channel, width: int, height: int,
                                            pixelwidth: int, pixelheight: int) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.request(channel.get_id()).ready.set()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        request = self.request(channel.get_id())
        request.command = command.decode("utf-8", "replace")
        request.ready.set()
        return True


def _shell(channel: paramiko.Channel, device: Device) -> int:
    session = Session(device, interactive=True)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        channel.sendall(session.greeting().encode())
        while not session.closed:
            data = channel.recv(4096)
            if not data:
                break
            answer = session.feed(decoder.decode(data))
            if answer:
                channel.sendall(answer.encode())
    finally:
        session.close()
    return 0


def _exec(channel: paramiko.Channel, device: Device, command: str) -> int:
    """One command, as `ssh switch 'display current-configuration'`: its output, exit status 1 if
    the switch refused it.  A question (save's Y/N) is answered by a line on stdin; none by the
    end of stdin or within ANSWER_TIMEOUT counts as no."""
    session = Session(device, interactive=False)
    channel.settimeout(ANSWER_TIMEOUT)
    status = 0
    try:
        for line in command.splitlines() or [""]:
            channel.sendall(session.feed(line + "\n").encode())
            status = max(status, session.status)
            pending = b""
            while session.waiting:
                try:
                    data = channel.recv(4096)
                except TimeoutError:
                    data = b""
                if not data:  # what was typed is the answer; nothing: Ctrl+C, the question is dropped
                    answer = pending.decode("utf-8", "replace") + "\n" if pending else "\x03"
                    channel.sendall(session.feed(answer).encode())
                    break
                pending += data
                if b"\n" in pending or b"\r" in pending:
                    channel.sendall(session.feed(pending.decode("utf-8", "replace")).encode())
                    status = max(status, session.status)
            if session.closed:
                break
    finally:
        session.close()
    return status


def _serve_channel(channel: paramiko.Channel, server: _Server, device: Device) -> None:
    request = server.request(channel.get_id())
    status = 1
    try:
        if request.ready.wait(REQUEST_TIMEOUT):
            status = _shell(channel, device) if request.command is None else _exec(channel, device, request.command)
        channel.send_exit_status(status)
    except (OSError, EOFError, paramiko.SSHException):
        pass  # the client went away
    finally:  # also after a bug in the emulator (its traceback goes to stderr): the client is not left waiting
        channel.close()
        server.lines.give_back()


def _serve_connection(connection: socket.socket, host_key: paramiko.PKey, device: Device, user: str,
                      password: str, lines: _Lines, login_from_file: bool) -> None:
    transport = paramiko.Transport(connection)
    transport.add_server_key(host_key)
    server = _Server(user, password, lines, None if login_from_file else device.logins)
    try:
        transport.start_server(server=server)
    except (OSError, EOFError, paramiko.SSHException):
        transport.close()
        return
    while transport.is_active():
        channel = transport.accept()  # woken by a channel, or by the transport closing
        if channel is not None:
            threading.Thread(target=_serve_channel, args=(channel, server, device), daemon=True).start()
    transport.close()


def load_host_key(path: Path) -> paramiko.PKey:
    """An OpenSSH private key file: ed25519 (what the lab writes), ECDSA or RSA."""
    problems = []
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key_file(str(path))
        except (paramiko.SSHException, ValueError) as exc:
            problems.append(f"{kind.__name__}: {exc}")
    raise ValueError(f"{path}: not an unencrypted ed25519, ECDSA or RSA private key ({'; '.join(problems)})")


def write_saved(path: Path, text: str) -> None:
    """Replace the saved configuration whole (temporary file, fsync, rename, fsync of the directory: a
    crash mid-save leaves the last save), 0600 since it holds the switch's secrets."""
    write_atomically(path, text, 0o600)


def write_logins(path: Path, logins: dict[str, str]) -> None:
    """The local users' passwords beside the saved configuration (which holds them hashed only), 0600."""
    write_atomically(path, json.dumps(logins, sort_keys=True) + "\n", 0o600)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m schoolnet.switchlab.server",
        description="A lab switch: the Huawei VRP or Cisco IOS command line over SSH (no data plane).",
        epilog="example: python -m schoolnet.switchlab.server --listen 127.20.5.7 --port 22 --host-key key "
               "--state state --platform huawei-vrp --hostname nx-sad-001-sw1 --user admin --password-file pw")
    parser.add_argument("--listen", required=True, help="a loopback address (127.0.0.0/8)")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--host-key", type=Path, required=True, help="private key file (ed25519, ECDSA or RSA)")
    parser.add_argument("--state", type=Path, required=True, help="directory of saved.cfg")
    parser.add_argument("--platform", choices=PLATFORMS, required=True)
    parser.add_argument("--hostname", required=True, help="the name of a switch with no configuration yet")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", type=Path, required=True, help="the password is its first line")
    parser.add_argument("--boot", type=Path, help="configuration to start from when nothing was saved")
    parser.add_argument("--serial", default="", help="the serial number `display esn` / `show version` print (the "
                        "inventory's); STATE/observed.json may stand in another")
    parser.add_argument("--model", default="", help="the model `display version` / `show version` print "
                        "(S5735-L24P4S-A, C1000-24P-4G-L); default: the programme's default model of the platform")
    parser.add_argument("--reject", action="append", default=[], metavar="REGEX",
                        help="refuse configuration commands matching REGEX (repeatable)")
    parser.add_argument("--printing", choices=PRINTING, default="realistic",
                        help="realistic: secrets hashed, hidden lines, factory defaults, as the vendor's switches "
                             "print (default); echo: every line printed back as typed")
    parser.add_argument("--ports", nargs="*", default=[], metavar="PORTS",
                        help="the switch's ports in the catalogue's notation (GigabitEthernet0/0/1-24); "
                             "default: a 24-port switch of the platform")
    parser.add_argument("--login-from-file", action="store_true",
                        help="check logins against the password file only, not the local users configured (a "
                             "switch whose SSH logins are authenticated elsewhere)")
    parser.add_argument("--vty", type=int, default=5, metavar="N",
                        help="command-line sessions at once; with all N busy a new session is refused (default 5)")
    return parser.parse_args(argv)


def _fail(message: str) -> NoReturn:
    print(f"switch emulator: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    for pattern in args.reject:
        try:
            re.compile(pattern)
        except re.error as exc:
            _fail(f"--reject {pattern!r}: {exc}")
    try:
        if ipaddress.ip_address(args.listen) not in ipaddress.ip_network("127.0.0.0/8"):
            _fail(f"--listen {args.listen}: only loopback addresses (127.0.0.0/8)")
    except ValueError:
        _fail(f"--listen {args.listen!r}: not an IPv4 address")
    try:
        password = args.password_file.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError) as exc:
        _fail(f"--password-file {args.password_file}: {getattr(exc, 'strerror', None) or 'empty'}")
    try:
        host_key = load_host_key(args.host_key)
    except (OSError, ValueError) as exc:
        _fail(f"--host-key: {exc}")
    saved = args.state / "saved.cfg"
    try:
        args.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        config = (saved.read_text(encoding="utf-8") if saved.exists()
                  else args.boot.read_text(encoding="utf-8") if args.boot else None)
        logins_file = args.state / "logins.json"

        def persist(text: str) -> None:
            write_saved(saved, text)
            write_logins(logins_file, device.logins)

        device = Device(args.platform, args.hostname, config, persist=persist, reject=args.reject,
                        printing=args.printing, ports=args.ports, serial=args.serial, model=args.model)
        device.observed = StateFile(args.state / STATE_FILE, device.physical_ports(),
                                    lambda said: print(f"switch emulator: {said}", file=sys.stderr, flush=True))
        if saved.exists() and logins_file.exists():  # the local users' passwords, as saved with the configuration
            device.logins.update(json.loads(logins_file.read_text(encoding="utf-8")))
    except OSError as exc:
        _fail(f"{exc.filename}: {exc.strerror}")
    origin = saved if saved.exists() else args.boot if args.boot else "the factory default"
    for problem in device.problems:
        print(f"switch emulator: {origin}: skipped {problem}", file=sys.stderr)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # a readiness probe (connect, close) is not worth a traceback in the switch's log
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((args.listen, args.port))
    except OSError as exc:
        _fail(f"cannot listen on {args.listen}:{args.port}: {exc.strerror}")
    listener.listen(64)
    lines = _Lines(args.vty)
    print(f"ready {args.listen}:{args.port}", flush=True)
    try:
        while True:
            connection, _ = listener.accept()
            worker = threading.Thread(target=_serve_connection, daemon=True,
                                      args=(connection, host_key, device, args.user, password, lines,
                                            args.login_from_file))
            # Started with SIGTERM blocked, which it and the threads it starts inherit: the signal then
            # reaches this thread, the only one that leaves it unblocked, and wakes it from accept().
            unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                worker.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
    except _Stop:
        pass
    listener.close()
    with device.lock:  # a save under way finishes before the process ends
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

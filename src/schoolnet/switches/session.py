"""One SSH command-line session with a switch, over paramiko: the host key pinned, the password from
the secrets, paging turned off, each command answered when the prompt comes back.

This is the fact-reading and line-typing half; what to type is decided by compliance.py."""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import dataclass
from types import TracebackType

import paramiko

from schoolnet.switches.platforms import Dialect

# paramiko's transport thread logs a failed handshake with its traceback; with no logging set up that reaches
# stderr.  The failure is this switch's outcome (SwitchError, one line), so the log says nothing more.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

READ_CHUNK = 1 << 16
MAX_QUESTIONS = 3  # a command that keeps asking is not one schoolnet typed: it times out instead
# What a pager types to erase its marker once a key was pressed (VRP: cursor back, spaces, cursor back;
# IOS: backspaces, spaces, backspaces), then any other cursor move left over.
ERASE = re.compile(r"\x1b\[\d*D *\x1b\[\d*D|\x08+ *\x08+")
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x08")


def _clean(raw: str) -> str:
    return ESCAPES.sub("", ERASE.sub("", raw)).replace("\r", "")


class SwitchError(Exception):
    """The switch could not be reached, refused us, or stopped answering: one line says which."""


@dataclass(frozen=True)
class Target:
    hostname: str
    address: str
    port: int
    host_key: str   # pinned public key, "ssh-ed25519 AAAA..."
    user: str
    password: str


@dataclass(frozen=True)
class Refusal:
    command: str
    error: str  # the switch's own error line


def _pin(client: paramiko.SSHClient, target: Target) -> None:
    keytype, _, rest = target.host_key.partition(" ")
    data = rest.split()[0] if rest.split() else ""
    try:
        key = paramiko.PKey.from_type_string(keytype, base64.b64decode(data))
    except Exception as exc:  # a malformed pinned key is the inventory's to fix
        raise SwitchError(f"the pinned host key of {target.hostname} is not a public key ({exc})") from None
    name = target.address if target.port == 22 else f"[{target.address}]:{target.port}"
    client.get_host_keys().add(name, key.get_name(), key)  # the only key known: no ~/.ssh/known_hosts


class Session:
    """`with Session(target, dialect) as s: s.read_config()`; every wait has a deadline."""

    def __init__(self, target: Target, dialect: Dialect, timeout: float = 30.0) -> None:
        self.target = target
        self.dialect = dialect
        self.timeout = timeout
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        _pin(self.client, target)
        try:
            self.client.connect(target.address, target.port, username=target.user, password=target.password,
                                timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                                allow_agent=False, look_for_keys=False)
        except paramiko.BadHostKeyException:
            raise SwitchError(f"host key of {target.address}:{target.port} does not match the key pinned for "
                              f"{target.hostname} (changed switch, or not the switch): refusing") from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise SwitchError(f"{target.address}:{target.port} offers a host key of another type than the "
                                  f"one pinned for {target.hostname}: refusing") from None
            raise SwitchError(f"ssh to {target.address}:{target.port}: {exc}") from None
        except OSError as exc:  # TimeoutError included
            raise SwitchError(f"cannot reach {target.address}:{target.port}: {exc.strerror or exc}") from None
        try:
            self.shell = self.client.invoke_shell(term="vt100", width=250, height=0)
        except paramiko.ChannelException as exc:  # every vty busy, or sessions refused
            self.client.close()
            raise SwitchError(f"{target.hostname} refused a command-line session: {exc.text or exc}") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.client.close()
            raise SwitchError(f"{target.hostname} closed the connection before a session opened: {exc}") from None
        self.shell.settimeout(timeout)
        self._read_until_prompt("login")

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def _read_until_prompt(self, doing: str) -> str:
        """Read until a prompt ends the output, paging on at each pager marker, and answering yes to the
        questions a switch asks before it does what it was told (VRP's `Continue? [Y/N]:` before a save or a
        privilege change, IOS's `[confirm]` before `no username`): schoolnet asks only what it means."""
        deadline = time.monotonic() + self.timeout
        raw, kept = "", ""  # `kept`: the output of pages already answered, cleaned
        answered = 0
        while True:
            buffer = kept + _clean(raw)
            more = self.dialect.more.search(buffer)
            if more:
                kept, raw = buffer[: more.start()], ""
                self._send(" ")
            elif answered < MAX_QUESTIONS and self.dialect.question.search(buffer):
                kept, raw = buffer + "\n", ""
                self._send(self.dialect.yes)
                answered += 1
            elif self.dialect.prompt.search(buffer.rsplit("\n", 1)[-1]):
                return buffer
            if time.monotonic() > deadline:
                raise SwitchError(f"{self.target.hostname} did not answer within {self.timeout:.0f} s ({doing})")
            try:
                chunk = self.shell.recv(READ_CHUNK)
            except TimeoutError:
                raise SwitchError(f"{self.target.hostname} did not answer within {self.timeout:.0f} s "
                                  f"({doing})") from None
            except (OSError, EOFError, paramiko.SSHException) as exc:
                raise SwitchError(f"{self.target.hostname} dropped the session ({doing}): {exc}") from None
            if not chunk:
                raise SwitchError(f"{self.target.hostname} closed the session ({doing})")
            raw += chunk.decode("utf-8", "replace")

    def _send(self, text: str) -> None:
        try:
            self.shell.send(text.encode())
        except (OSError, EOFError, paramiko.SSHException) as exc:  # a closed channel says "Socket is closed"
            raise SwitchError(f"{self.target.hostname} dropped the session: {exc}") from None

    def run(self, command: str) -> str:
        """Type one command; its output, without the echo and the prompt."""
        self._send(command + "\n")
        output = self._read_until_prompt(command)
        lines = output.split("\n")
        if lines and lines[0].strip().endswith(command.strip()):
            lines = lines[1:]
        return "\n".join(lines[:-1])

    def read_config(self) -> str:
        self.run(self.dialect.no_paging)
        return self.run(self.dialect.show_config)

    def configure(self, lines: list[str]) -> tuple[list[str], Refusal | None]:
        """Type `lines` in configuration mode, stopping at the first the switch refuses; always leaves
        configuration mode.  Returns what was accepted and the refusal, if any."""
        self.run(self.dialect.enter_config)
        accepted: list[str] = []
        refusal = None
        for line in lines:
            found = self.dialect.refusal.search(self.run(line))
            if found:
                refusal = Refusal(line, found.group(0).strip())
                break
            accepted.append(line)
        self.run(self.dialect.leave_config)
        return accepted, refusal

    def save(self) -> None:
        self._send(self.dialect.save + "\n")
        output = self._read_until_prompt("saving")
        if not self.dialect.saved.search(output):
            last = [line for line in output.split("\n") if line.strip()][-2:-1] or ["no answer"]
            raise SwitchError(f"{self.target.hostname} did not confirm the save: {last[0].strip()}")

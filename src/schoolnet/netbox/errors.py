"""The one exception the NetBox stage raises: a single line a person can act on.

NetBox is a service that can be down, refuse a token or reject one object; each case
becomes one `NetboxError` line saying what failed, where, and how to fix it, so the
CLI prints it and exits without a traceback."""

from __future__ import annotations


class NetboxError(Exception):
    """NetBox unreachable, a refused token, a rejected object, a name NetBox cannot hold."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the server sent

    @property
    def line(self) -> str:
        return str(self)

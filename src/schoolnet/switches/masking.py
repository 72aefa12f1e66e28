"""Switch lines with their secrets masked, for every output, JSON and the deploy record.

Today's values are known to the store and become <secret:NAME>.  A line the switch holds may carry a
value rotated away since (or typed by hand); the store cannot name it, so any line that starts as a
secret-bearing line of the intended configuration starts (after `undo `/`no `) shows its start and
`<secret:NAME, an earlier value>` in place of the rest.  That a line differs stays visible; what it
held never is.

Credentials schoolnet never knew (a community typed by hand, a RADIUS key, `enable secret`) are
masked by syntax: the vendors' secret shapes wherever they stand (VRP's `%^%#…%^%#`, `%$%$…%$%$`,
`%@%@…%@%@`, `$1c$…`; IOS's `$8$…`, `$9$…`), and the word after a credential keyword (community,
key, password, secret, cipher, shared-key) shows as `<masked>`."""

from __future__ import annotations

import re

from schoolnet.secrets.redact import known_values, mask_known
from schoolnet.secrets.store import SecretStore

NEGATIONS = ("undo ", "no ")
MASKED = "<masked>"

# A secret by its shape: VRP's reversible (`%^%#`, `%$%$`, `%@%@` … the same again) and irreversible
# (`$1a$`, `$1c$`) ciphers, IOS's crypt-style hashes (`$1$` type 5, `$8$`, `$9$`, `$14$`).
_SHAPED = re.compile(r"%\^%#.*?%\^%#|%\$%\$.*?%\$%\$|%@%@.*?%@%@|\$1[a-z]\$\S*|\$(?:1|8|9|14)\$\S+")
# The value after a credential keyword, skipping the words that say how it is encoded.
_KEYWORDS = re.compile(
    r"(?<![\w-])(?:password|secret|key|shared-key|pre-shared-key|security-key"
    r"|(?:authentication-key|message-digest-key)\s+\d+\s+(?:md5|sha\S*|hmac-sha\S*)"
    r"|community(?:\s+(?:read|write|trap))?"
    r"|(?:authentication|privacy)-mode\s+\S+"
    r"|auth\s+(?:md5|sha|sha-2\s+\d+)|priv\s+(?:des|3des|aes(?:\s+\d+)?))"
    r"(?:\s+(?:cipher|irreversible-cipher|simple|encrypted|plain|[0-9]))?\s+(?P<value>\S+)")
# Words a keyword is followed by when the line sets no credential (`password expire 0`,
# `undo local-user password change-offline enable`, `snmp-agent community complexity-check disable`).
_NOT_VALUES = frozenset({"expire", "history", "policy", "change-offline", "complexity-check", "enable", "disable",
                         "min-length", "chain", "generate", "encryption", "local", "alert", "config-key", MASKED})


def mask_credentials(line: str) -> str:
    """`line` with every credential it carries, known to schoolnet or not, as `<masked>`."""
    line = _SHAPED.sub(MASKED, line)
    out, end = [], 0
    for found in _KEYWORDS.finditer(line):
        value = found["value"]
        if value in _NOT_VALUES or value.startswith("<secret:"):
            continue
        out += [line[end:found.start("value")], MASKED]
        end = found.end("value")
    return "".join(out) + line[end:]


class Masker:
    def __init__(self, intended: str, names: list[str], store: SecretStore) -> None:
        self.values = known_values(names, store)
        starts: dict[str, str] = {}
        for line in intended.splitlines():
            found: dict[str, str] = {}
            mask_known(line.strip(), self.values, found)
            for start, name in found.items():
                starts.setdefault(start, name)  # the first line a start is seen on names it
        self.prefixes = sorted(starts.items(), key=lambda pn: -len(pn[0]))

    def line(self, line: str) -> str:
        """A configuration line: every credential masked, known or not."""
        return mask_credentials(self._known(line))

    def prose(self, text: str) -> str:
        """A sentence of schoolnet's about a switch (a failure's reason): known secrets and anything shaped
        like a secret masked; its words (`host key of …`) left as they are."""
        return _SHAPED.sub(MASKED, mask_known(text, self.values))

    def _known(self, line: str) -> str:
        line = mask_known(line, self.values)
        if "<secret:" in line:
            return line
        indent = line[: len(line) - len(line.lstrip())]
        body = line.strip()
        negation = next((n for n in NEGATIONS if body.startswith(n)), "")
        rest = body[len(negation):]
        for start, name in self.prefixes:
            if rest.startswith(start) and len(rest) > len(start):
                return f"{indent}{negation}{start}<secret:{name}, an earlier value>"
        return line

    def lines(self, lines: list[str] | tuple[str, ...]) -> list[str]:
        return [self.line(line) for line in lines]

"""Switch lines with their secrets masked, for every output, JSON and the deploy record.

Today's values are known to the store and become <secret:NAME>.  A line the switch holds may carry a
value rotated away since (or typed by hand); the store cannot name it, so any line that starts as a
secret-bearing line of the intended configuration starts (after `undo `/`no `) shows its start and
`<secret:NAME, an earlier value>` in place of the rest.  That a line differs stays visible; what it
held never is."""

from __future__ import annotations

from schoolnet.secrets.redact import known_values, mask_known
from schoolnet.secrets.store import SecretStore

NEGATIONS = ("undo ", "no ")


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

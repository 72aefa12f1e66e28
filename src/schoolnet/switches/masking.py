"""Switch lines with their secrets masked, for every output, JSON and the deploy record.

Today's values are known to the store and become <secret:NAME>.  A line the switch holds may carry a
value rotated away since (or typed by hand); the store cannot name it, so any line that starts as a
secret-bearing line of the intended configuration starts (after `undo `/`no `) shows its start and
`<secret:NAME, an earlier value>` in place of the rest.  That a line differs stays visible; what it
held never is."""

from __future__ import annotations

from schoolnet.secrets.store import SecretStore

NEGATIONS = ("undo ", "no ")


class Masker:
    def __init__(self, intended: str, names: list[str], store: SecretStore) -> None:
        self.values = sorted(((n, store.get(n)) for n in names), key=lambda nv: -len(nv[1]))
        self.prefixes: list[tuple[str, str]] = []
        for line in intended.splitlines():
            text = line.strip()
            for name, value in self.values:
                if value and value in text:
                    start = text[: text.index(value)]
                    if start.strip():
                        self.prefixes.append((start, name))
        self.prefixes.sort(key=lambda pn: -len(pn[0]))

    def line(self, line: str) -> str:
        for name, value in self.values:
            if value and value in line:
                line = line.replace(value, f"<secret:{name}>")
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
